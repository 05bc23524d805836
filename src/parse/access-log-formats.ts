// Access logs as Envoy and its control planes write them by default, one entry per request or upgraded session:
// - Envoy Gateway's JSON (envoyproxy/gateway internal/xds/translator/accesslog.go, `EnvoyJSONLogFields`): one object
//   per line, or pretty-printed over several lines (`kubectl logs ... | jq`); values are numbers, strings, `"-"` or null;
// - Envoy's default text format (envoyproxy/envoy docs/root/configuration/observability/access_log/usage.rst,
//   "Default Format String", the same from v1.5 to v1.37): `[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%
//   %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%
//   "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"`;
// - Istio's text format (istio/istio pilot/pkg/model/telemetry_logging.go, `EnvoyTextLogFormat`), which adds
//   `%RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "%UPSTREAM_TRANSPORT_FAILURE_REASON%"` after the flags and
//   `%UPSTREAM_CLUSTER_RAW% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS%
//   %REQUESTED_SERVER_NAME% %ROUTE_NAME%` after the upstream host (the middle part alone is accepted too);
// - any of these behind the RFC 3339 timestamp of `kubectl logs --timestamps` and the `[pod/<name>/<container>]` of
//   `kubectl logs --prefix`.
// Unset values are `-` in text and `"-"` or null in JSON (usage.rst, "Command Operators"); response flags are short
// codes joined by commas (source/common/stream_info/utility.h). Other lines (Envoy's own log) are counted, not parsed.

import type { AccessLog, AccessLogEntry } from '../model/access-log.ts';
import { InputError } from './input-error.ts';

/** Lines a pretty-printed JSON entry may span before the reader gives up on it as junk. */
const MAX_JSON_ENTRY_LINES = 1000;

const KUBECTL_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})\s/;
const KUBECTL_PREFIX = /^\[pod\/[^\]\s]+\]\s/;
const FLAGS = /^(?:-|[A-Z]+(?:,[A-Z]+)*)$/;
const INTEGER = /^\d+$/;
const NUMBER = /^-?\d+(?:\.\d+)?$/;

/** A line without the prefixes kubectl adds (`--prefix`, `--timestamps`, in either order). */
export function stripKubectlPrefixes(line: string): string {
  let out = line;
  for (let i = 0; i < 2; i++) out = out.replace(KUBECTL_PREFIX, '').replace(KUBECTL_TIMESTAMP, '');
  return out;
}

/** Response flags from `%RESPONSE_FLAGS%`: `UC,URX` → [`UC`, `URX`]; `-`, empty or absent → []. */
export function parseResponseFlags(value: unknown): string[] {
  const s = text(value);
  if (s === undefined) return [];
  return s
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '' && f !== '-');
}

function text(v: unknown): string | undefined {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t === '' || t === '-' ? undefined : t;
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  const s = text(v);
  return s !== undefined && NUMBER.test(s) ? Number(s) : undefined;
}

function date(v: unknown): Date | undefined {
  const s = text(v);
  if (s === undefined) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** Builds an entry, leaving out absent values (the model's optional fields are absent, never undefined). */
function entryOf(fields: {
  startTime?: Date | undefined;
  method?: string | undefined;
  path?: string | undefined;
  protocol?: string | undefined;
  responseCode?: number | undefined;
  responseFlags: string[];
  responseCodeDetails?: string | undefined;
  connectionTerminationDetails?: string | undefined;
  bytesReceived?: number | undefined;
  bytesSent?: number | undefined;
  durationMs?: number | undefined;
  userAgent?: string | undefined;
  upstreamHost?: string | undefined;
  upstreamCluster?: string | undefined;
  routeName?: string | undefined;
  contentType?: string | undefined;
}): AccessLogEntry {
  const out: AccessLogEntry = { responseFlags: fields.responseFlags };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && k !== 'responseFlags') (out as unknown as Record<string, unknown>)[k] = v;
  return out;
}

// JSON keys: Envoy Gateway's first, then the names Istio's JSON encoding and hand-written formats use.
const JSON_KEYS = {
  startTime: ['start_time', 'startTime'],
  method: ['method'],
  path: ['x-envoy-origin-path', 'x-envoy-original-path', 'path'],
  protocol: ['protocol'],
  responseCode: ['response_code', 'responseCode'],
  responseFlags: ['response_flags', 'responseFlags'],
  responseCodeDetails: ['response_code_details'],
  connectionTerminationDetails: ['connection_termination_details'],
  bytesReceived: ['bytes_received'],
  bytesSent: ['bytes_sent'],
  durationMs: ['duration'],
  userAgent: ['user-agent', 'user_agent', 'userAgent'],
  upstreamHost: ['upstream_host'],
  upstreamCluster: ['upstream_cluster'],
  routeName: ['route_name'],
  contentType: ['content-type', 'content_type'],
} as const;

const ALL_JSON_KEYS = new Set<string>(Object.values(JSON_KEYS).flat());

function pick(o: Record<string, unknown>, keys: readonly string[]): unknown {
  for (const k of keys) if (k in o) return o[k];
  return undefined;
}

/** An access log entry from a parsed JSON value; undefined unless it looks like one (a response code or a duration, and three known keys). */
function entryFromJson(value: unknown): AccessLogEntry | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const o = value as Record<string, unknown>;
  let known = 0;
  for (const k of Object.keys(o)) if (ALL_JSON_KEYS.has(k)) known++;
  const hasCode = JSON_KEYS.responseCode.some((k) => k in o);
  const hasDuration = JSON_KEYS.durationMs.some((k) => k in o);
  if (known < 3 || !(hasCode || hasDuration)) return undefined;
  return entryOf({
    startTime: date(pick(o, JSON_KEYS.startTime)),
    method: text(pick(o, JSON_KEYS.method)),
    path: text(pick(o, JSON_KEYS.path)),
    protocol: text(pick(o, JSON_KEYS.protocol)),
    responseCode: num(pick(o, JSON_KEYS.responseCode)),
    responseFlags: parseResponseFlags(pick(o, JSON_KEYS.responseFlags)),
    responseCodeDetails: text(pick(o, JSON_KEYS.responseCodeDetails)),
    connectionTerminationDetails: text(pick(o, JSON_KEYS.connectionTerminationDetails)),
    bytesReceived: num(pick(o, JSON_KEYS.bytesReceived)),
    bytesSent: num(pick(o, JSON_KEYS.bytesSent)),
    durationMs: num(pick(o, JSON_KEYS.durationMs)),
    userAgent: text(pick(o, JSON_KEYS.userAgent)),
    upstreamHost: text(pick(o, JSON_KEYS.upstreamHost)),
    upstreamCluster: text(pick(o, JSON_KEYS.upstreamCluster)),
    routeName: text(pick(o, JSON_KEYS.routeName)),
    contentType: text(pick(o, JSON_KEYS.contentType)),
  });
}

interface Token {
  quoted: boolean;
  value: string;
}

/** Splits a text-format line: a leading `[...]`, then `"..."` strings and bare words. Undefined on an unclosed quote. */
function tokenize(line: string): Token[] | undefined {
  const out: Token[] = [];
  let i = 0;
  if (line[0] === '[') {
    const end = line.indexOf(']');
    if (end < 0) return undefined;
    out.push({ quoted: true, value: line.slice(1, end) });
    i = end + 1;
  }
  while (i < line.length) {
    const c = line[i];
    if (c === ' ' || c === '\t') {
      i++;
    } else if (c === '"') {
      const end = line.indexOf('"', i + 1);
      if (end < 0) return undefined;
      out.push({ quoted: true, value: line.slice(i + 1, end) });
      i = end + 1;
    } else {
      let end = i;
      while (end < line.length && line[end] !== ' ' && line[end] !== '\t') end++;
      out.push({ quoted: false, value: line.slice(i, end) });
      i = end;
    }
  }
  return out;
}

/** An entry from a line in Envoy's default text format or Istio's; undefined when the line is something else. */
function entryFromText(line: string): AccessLogEntry | undefined {
  if (!line.startsWith('[')) return undefined;
  const t = tokenize(line);
  if (!t || t.length < 7) return undefined;
  const [start, request, code, flags] = t as [Token, Token, Token, Token];
  if (request.quoted !== true || code.quoted || !INTEGER.test(code.value) || flags.quoted || !FLAGS.test(flags.value)) return undefined;
  // Istio's layout has RESPONSE_CODE_DETAILS, CONNECTION_TERMINATION_DETAILS and a quoted transport failure next.
  const istio = t[6]?.quoted === true && t[4]?.quoted === false && t[5]?.quoted === false;
  const at = istio ? 7 : 4;
  const [rx, tx, duration] = [t[at], t[at + 1], t[at + 2]];
  if (!rx || !tx || !duration || rx.quoted || tx.quoted || duration.quoted) return undefined;
  if (!INTEGER.test(rx.value) || !INTEGER.test(tx.value) || !INTEGER.test(duration.value)) return undefined;
  const quoted = t.slice(at + 4, at + 9);
  if (quoted.some((q) => !q.quoted)) return undefined;
  const trailing = t.slice(at + 9);
  const istioTrailer = trailing.length === 6 && trailing.every((x) => !x.quoted);
  const parts = request.value.trim().split(/\s+/);
  const method = parts.length >= 2 ? parts[0] : undefined;
  const protocol = parts.length >= 3 ? parts[parts.length - 1] : undefined;
  const path = parts.length >= 3 ? parts.slice(1, -1).join(' ') : parts.length === 2 ? parts[1] : undefined;
  return entryOf({
    startTime: date(start.value),
    method: text(method),
    path: text(path),
    protocol: text(protocol),
    responseCode: num(code.value),
    responseFlags: parseResponseFlags(flags.value),
    responseCodeDetails: istio ? text(t[4]?.value) : undefined,
    connectionTerminationDetails: istio ? text(t[5]?.value) : undefined,
    bytesReceived: num(rx.value),
    bytesSent: num(tx.value),
    durationMs: num(duration.value),
    userAgent: text(quoted[1]?.value),
    upstreamHost: text(quoted[4]?.value),
    upstreamCluster: istioTrailer ? text(trailing[0]?.value) : undefined,
    routeName: istioTrailer ? text(trailing[5]?.value) : undefined,
  });
}

function tryJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** Brace depth change of a line of JSON, outside strings; `inString` carries across lines. */
function braceDelta(line: string, state: { inString: boolean; escaped: boolean }): number {
  let d = 0;
  for (const c of line) {
    if (state.inString) {
      if (state.escaped) state.escaped = false;
      else if (c === '\\') state.escaped = true;
      else if (c === '"') state.inString = false;
    } else if (c === '"') state.inString = true;
    else if (c === '{' || c === '[') d++;
    else if (c === '}' || c === ']') d--;
  }
  return d;
}

/** Reads an access log line by line; `finish` returns what was read. Keeps only the entries, never the text. */
class AccessLogReader {
  readonly source: string;
  private readonly entries: AccessLogEntry[] = [];
  private skipped = 0;
  private lineCount = 0;
  private block: string[] = [];
  private depth = 0;
  private readonly strings = { inString: false, escaped: false };

  constructor(source: string) {
    this.source = source;
  }

  /** Reads one line (without its line break). */
  push(raw: string): void {
    this.lineCount++;
    const line = stripKubectlPrefixes(raw.replace(/\r$/, '')).trim();
    if (this.block.length > 0) {
      // A complete entry on one line means the open block was not an entry after all.
      const alone = this.single(line);
      if (alone) {
        this.abandonBlock();
        this.entries.push(alone);
        return;
      }
      this.block.push(line);
      this.depth += braceDelta(line, this.strings);
      if (this.depth <= 0) this.closeBlock();
      else if (this.block.length >= MAX_JSON_ENTRY_LINES) this.abandonBlock();
      return;
    }
    const entry = this.single(line);
    if (entry) {
      this.entries.push(entry);
      return;
    }
    if (line.startsWith('{')) {
      this.strings.inString = false;
      this.strings.escaped = false;
      const depth = braceDelta(line, this.strings);
      if (depth > 0) {
        this.block = [line];
        this.depth = depth;
        return;
      }
    }
    this.skipped++;
  }

  /** Everything read; throws `InputError` when no line was an access log entry. */
  finish(): AccessLog {
    if (this.block.length > 0) this.abandonBlock();
    if (this.entries.length === 0) {
      throw new InputError(
        this.source,
        `no access log entry in ${this.lineCount} lines; expected Envoy access log lines: Envoy Gateway's JSON (one object per line or pretty-printed) or Envoy's default text format ("[START_TIME] \\"METHOD PATH PROTOCOL\\" CODE FLAGS ..."), optionally after kubectl --timestamps`,
      );
    }
    return { source: this.source, entries: this.entries, skipped: this.skipped };
  }

  private single(line: string): AccessLogEntry | undefined {
    if (line.startsWith('{')) return line.endsWith('}') ? entryFromJson(tryJson(line)) : undefined;
    return entryFromText(line);
  }

  private closeBlock(): void {
    const entry = entryFromJson(tryJson(this.block.join('\n')));
    if (entry) this.entries.push(entry);
    else this.skipped += this.block.length;
    this.block = [];
    this.depth = 0;
  }

  private abandonBlock(): void {
    this.skipped += this.block.length;
    this.block = [];
    this.depth = 0;
  }
}

/** Parses a whole access log held in memory. `source` names it in errors and in the result. */
export function parseAccessLog(text: string, source: string): AccessLog {
  const reader = new AccessLogReader(source);
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) reader.push(line);
  return reader.finish();
}
