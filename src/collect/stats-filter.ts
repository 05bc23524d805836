// The stats a live `diagnose` asks Envoy for: `/stats?filter=<regex>` restricted to the stats the analyzers, the
// rules and the verify checks read, so a proxy with thousands of clusters answers a fraction of its /stats.
// The regex uses only what RE2 (Envoy's engine for `filter`) and ECMAScript read alike: anchors, alternation,
// escaped dots, `.+` and `[^.]`. `usedonly` is never sent: it drops stats that are still zero, and a zero counter
// is what rules a hypothesis out. `collect` asks for the whole /stats, so a bundle holds everything.
// Stat names: envoy/upstream/upstream.h (cluster), source/common/http/conn_manager_config.h (http, user agent),
// source/common/tcp_proxy/tcp_proxy.h (tcp), source/common/listener_manager/listener_manager_impl.h.

import type { NeededStats } from '../model/needed-stats.ts';

function escapeRegExp(name: string): string {
  return name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function tails(names: readonly string[]): string {
  return `(${names.map(escapeRegExp).join('|')})`;
}

/** The `/stats?filter=` regex that keeps every needed stat (entity names may hold dots: `.+` spans them). */
export function statsFilter(needed: NeededStats): string {
  return [
    `^cluster\\..+\\.${tails(needed.cluster)}$`,
    `^http\\..+\\.${tails(needed.http)}$`,
    `^http\\..+\\.user_agent\\.[^.]+\\.${tails(needed.userAgent)}$`,
    `^tcp\\..+\\.${tails(needed.tcp)}$`,
    ...(needed.listener.length > 0 ? [`^listener\\..+\\.${tails(needed.listener)}$`] : []),
    ...needed.prefixes.map((p) => `^${escapeRegExp(p)}`),
  ].join('|');
}
