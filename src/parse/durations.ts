// Protobuf Duration values as Envoy prints them in JSON ("3600s", "0.250s") and the
// Gateway API duration strings users write ("1h30m", "600s", "250ms"); and the timeouts of an HTTP protocol's
// `common_http_protocol_options` (api/envoy/config/core/v3/protocol.proto HttpProtocolOptions).

import { field } from './proto-json.ts';

/** Milliseconds of a protobuf JSON Duration (`"15s"`, `"0.5s"`, or `{seconds, nanos}`); undefined when absent or malformed. */
export function protoDurationMs(value: unknown): number | undefined {
  if (typeof value === 'string') {
    const m = /^(-?\d+(?:\.\d+)?)s$/.exec(value.trim());
    return m ? finite(Math.round(Number(m[1]) * 1000)) : undefined;
  }
  if (value !== null && typeof value === 'object') {
    const o = value as { seconds?: unknown; nanos?: unknown };
    const seconds = Number(o.seconds ?? 0);
    const nanos = Number(o.nanos ?? 0);
    if (Number.isFinite(seconds) && Number.isFinite(nanos)) return finite(Math.round(seconds * 1000 + nanos / 1e6));
  }
  return undefined;
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** Milliseconds of a user-written duration such as `30s`, `1m30s`, `250ms`, `2h`; undefined when malformed. */
export function parseDurationMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(trimmed); m; m = re.exec(trimmed)) {
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    consumed = re.lastIndex;
  }
  return consumed === trimmed.length && consumed > 0 ? finite(total) : undefined;
}

/** A number of milliseconds, or undefined when it overflowed (`1e309` seconds is no duration). */
function finite(ms: number): number | undefined {
  return Number.isFinite(ms) ? ms : undefined;
}

/** The timeouts `common_http_protocol_options` sets, on a cluster or a connection manager. */
interface CommonHttpTimeouts {
  idleTimeoutMs?: number;
  maxConnectionDurationMs?: number;
  maxStreamDurationMs?: number;
}

/** Sets on `into` the timeouts a `common_http_protocol_options` sets (idle, max connection, max stream), leaving the rest absent. */
export function readCommonHttpTimeouts(common: unknown, into: CommonHttpTimeouts): void {
  const idle = protoDurationMs(field(common, 'idle_timeout'));
  if (idle !== undefined) into.idleTimeoutMs = idle;
  const maxConnection = protoDurationMs(field(common, 'max_connection_duration'));
  if (maxConnection !== undefined) into.maxConnectionDurationMs = maxConnection;
  const maxStream = protoDurationMs(field(common, 'max_stream_duration'));
  if (maxStream !== undefined) into.maxStreamDurationMs = maxStream;
}
