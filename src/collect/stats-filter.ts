// The stats a live `diagnose` asks Envoy for: `/stats?filter=<regex>` restricted to the stats the analyzers, the
// rules and the verify checks read, so a proxy with thousands of clusters answers a fraction of its /stats.
// The regex uses only what RE2 (Envoy's engine for `filter`) and ECMAScript read alike: anchors, alternation,
// escaped dots, `.+` and `[^.]`. `usedonly` is never sent: it drops stats that are still zero, and a zero counter
// is what rules a hypothesis out. `collect` asks for the whole /stats, so a bundle holds everything.
// Stat names: envoy/upstream/upstream.h (cluster), source/common/http/conn_manager_config.h (http, user agent),
// source/common/tcp_proxy/tcp_proxy.h (tcp), source/common/listener_manager/listener_manager_impl.h.

import { isComparedCounter } from '../parse/counters-reset.ts';
import type { KeptStats } from '../parse/stats-builder.ts';
import { CORE_STATS, NEEDED_FAMILIES } from '../model/needed-stats.ts';
import { statKey } from '../model/stats-view.ts';
import type { StatEntityKind } from '../parse/stat-names.ts';
import { VERIFY } from '../model/verify-checks.ts';

/** Stats read per entity family, as Envoy names them after the entity (`circuit_breakers.default.cx_open`). */
export interface NeededStats {
  /** `cluster.<stat name>.<stat>` */
  cluster: readonly string[];
  /** `http.<stat_prefix>.<stat>` */
  http: readonly string[];
  /** `http.<stat_prefix>.user_agent.<agent>.<stat>` */
  userAgent: readonly string[];
  /** `tcp.<stat_prefix>.<stat>` */
  tcp: readonly string[];
  /** Whole families kept by name prefix (`listener_manager.`). */
  prefixes: readonly string[];
}

/** Stats read beyond the WebSocket families `stats-coverage` declares and the verify checks. */
const ALSO_READ: NeededStats = {
  // upstream-protocol (http1 against http2), close-patterns, buffered-bytes, tcp-tunnels (how long tunnels last)
  cluster: ['upstream_cx_http1_total', 'upstream_cx_http2_total', 'upstream_cx_active', 'upstream_cx_destroy', 'upstream_cx_rx_bytes_buffered', 'upstream_cx_tx_bytes_buffered', 'upstream_cx_length_ms'],
  // websocket-alpn (h2 connections, refused extended CONNECTs), route and idle timeouts, close-patterns
  http: ['downstream_cx_http2_total', 'downstream_cx_protocol_error', 'downstream_rq_timeout', 'downstream_cx_active', 'downstream_cx_destroy', 'downstream_cx_destroy_remote_active_rq'],
  // close-patterns by client kind (ios, android)
  userAgent: ['downstream_cx_total', 'downstream_cx_destroy_remote_active_rq'],
  // tcp-tunnels
  tcp: ['idle_timeout', 'downstream_cx_total'],
  // listener-drains; stats-samples (a restart between the samples)
  prefixes: ['listener_manager.', 'server.uptime'],
};

function unique(names: Iterable<string>): string[] {
  return [...new Set(names)].sort();
}

/** Every stat the diagnosis reads, from the analyzers' declared families, the verify checks and the list above. */
export function neededStats(): NeededStats {
  const cluster = [...ALSO_READ.cluster];
  const http = [...ALSO_READ.http];
  for (const f of NEEDED_FAMILIES) {
    cluster.push(...f.cluster);
    http.push(...f.http);
  }
  for (const checks of Object.values(VERIFY)) {
    for (const c of checks) {
      if (!('stat' in c)) continue;
      const list = c.scope === 'cluster' ? cluster : http;
      list.push(c.stat);
      if (c.other) list.push(c.other);
    }
  }
  return { cluster: unique(cluster), http: unique(http), userAgent: unique(ALSO_READ.userAgent), tcp: unique(ALSO_READ.tcp), prefixes: unique(ALSO_READ.prefixes) };
}

function escape(name: string): string {
  return name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function tails(names: readonly string[]): string {
  return `(${names.map(escape).join('|')})`;
}

/** The `/stats?filter=` regex that keeps every needed stat (entity names may hold dots: `.+` spans them). */
export function statsFilter(needed: NeededStats = neededStats()): string {
  return [
    `^cluster\\..+\\.${tails(needed.cluster)}$`,
    `^http\\..+\\.${tails(needed.http)}$`,
    `^http\\..+\\.user_agent\\.[^.]+\\.${tails(needed.userAgent)}$`,
    `^tcp\\..+\\.${tails(needed.tcp)}$`,
    ...needed.prefixes.map((p) => `^${escape(p)}`),
  ].join('|');
}

/**
 * The stats a sample read from a file keeps (StatsBuilder): every stat the diagnosis reads (`neededStats`, the same
 * the live filter asks Envoy for), the ones that tell a sample was understood (stats-samples), and with `counters`
 * (two samples) every counter the comparison for a reset between them reads. A giant proxy's other stats (response
 * codes, membership, most histograms) are counted and let go.
 */
export function keptStats(counters: boolean, needed: NeededStats = neededStats()): KeptStats {
  const keys = (names: readonly string[]) => names.map(statKey);
  const sets: Record<StatEntityKind, Set<string>> = {
    cluster: new Set(keys(needed.cluster)),
    http: new Set(keys(needed.http)),
    listener: new Set(),
    tcp: new Set(keys(needed.tcp)),
  };
  for (const { scope, names } of CORE_STATS) for (const name of names) sets[scope].add(statKey(name));
  const userAgent = new Set(keys(needed.userAgent));
  // Decided once per distinct key of each kind: a giant sample asks for the same few hundred keys millions of times.
  const decided: Record<StatEntityKind, Map<string, boolean>> = { cluster: new Map(), http: new Map(), listener: new Map(), tcp: new Map() };
  return {
    has(kind, key) {
      const memo = decided[kind];
      let keep = memo.get(key);
      if (keep === undefined) {
        keep = sets[kind].has(key) || (counters && isComparedCounter(key));
        memo.set(key, keep);
      }
      return keep;
    },
    hasUserAgent: (key) => userAgent.has(key),
  };
}
