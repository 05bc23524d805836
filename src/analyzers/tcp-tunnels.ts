// Quiet TCP tunnels (TLS passthrough or plain TCP routes) that end on a timer. The TCP proxy closes a connection
// with no bytes in either direction for `idle_timeout` (default 1 h; api/envoy/extensions/filters/network/tcp_proxy/
// v3/tcp_proxy.proto), counting `tcp.<stat_prefix>.idle_timeout` (docs/root/configuration/listeners/
// network_filters/tcp_proxy_filter.rst). Envoy cannot inject pings into an encrypted passthrough stream, so only the
// application's own traffic, or TCP keepalive towards load balancers and NAT in between, keeps a quiet tunnel open.
// Keepalive: cluster `upstream_connection_options.tcp_keepalive`, listener SO_KEEPALIVE socket options
// (api/envoy/config/core/v3/address.proto, socket_option.proto).

import type { Finding, Severity } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { delta, stat } from '../model/stats-view.ts';
import { timerTolerance, WELL_KNOWN_TIMERS } from '../model/timers.ts';
import { type AnalyzerMeta, finding } from './analyzer.ts';

export const meta: AnalyzerMeta = {
  id: 'tcp-tunnels',
  title: 'TCP tunnels ended by the idle timeout or left without keepalive',
  reads: ['config', 'stats', 'stats-later', 'access-log'],
  emits: ['tunnel-idle-timeouts'],
  docs: 'docs/analyzers/tcp-tunnels.md',
};

/** Logged tunnels at one duration before a band counts as a match for a middlebox timer. */
export const MIN_TUNNELS_AT_TIMER = 3;

/** Entries whose duration lies within a timer's tolerance. */
function atTimer(durations: number[], ms: number): number {
  const tol = timerTolerance(ms);
  return durations.filter((d) => Math.abs(d - ms) <= tol).length;
}

export function analyze(s: Snapshot): Finding[] {
  const findings: Finding[] = [];
  const hasWindow = s.stats !== undefined && s.statsLater !== undefined;
  for (const listener of s.listeners) {
    if (listener.state !== 'active') continue;
    const seen = new Set<string>();
    for (const chain of listener.filterChains) {
      const tcp = chain.tcpProxy;
      // A chain that terminates TLS could carry its own pings; tunnels are the chains Envoy only forwards.
      if (!tcp || chain.tls || seen.has(tcp.statPrefix)) continue;
      seen.add(tcp.statPrefix);
      const cluster = tcp.cluster !== undefined ? s.clusters.get(tcp.cluster) : undefined;
      const idleTimeouts = stat(s, 'tcp', tcp.statPrefix, 'idle_timeout');
      const windowIdleTimeouts = delta(s, 'tcp', tcp.statPrefix, 'idle_timeout');
      const connections = stat(s, 'tcp', tcp.statPrefix, 'downstream_cx_total');
      const listenerKeepalive = listener.tcpKeepalive !== undefined;
      const clusterKeepalive = cluster ? cluster.tcpKeepalive !== undefined : undefined;
      let logTunnels: number | undefined;
      let logAtIdleTimeout: number | undefined;
      let middleboxTimer: string | undefined;
      let logAtMiddleboxTimer: number | undefined;
      if (s.accessLog && tcp.cluster !== undefined) {
        const durations = s.accessLog.entries.filter((e) => e.upstreamCluster === tcp.cluster && e.durationMs !== undefined).map((e) => e.durationMs as number);
        logTunnels = durations.length;
        logAtIdleTimeout = tcp.idleTimeoutMs.value > 0 ? atTimer(durations, tcp.idleTimeoutMs.value) : 0;
        for (const timer of WELL_KNOWN_TIMERS.filter((t) => t.owner === 'middlebox')) {
          const n = atTimer(durations, timer.ms);
          if (n >= MIN_TUNNELS_AT_TIMER && n > (logAtMiddleboxTimer ?? 0)) {
            middleboxTimer = timer.id;
            logAtMiddleboxTimer = n;
          }
        }
      }
      const closedIdle = (idleTimeouts ?? 0) > 0 || (logAtIdleTimeout ?? 0) > 0;
      const noKeepalive = !listenerKeepalive || clusterKeepalive === false;
      if (!closedIdle && !noKeepalive) continue;
      // Tunnels nobody opened are no evidence either way.
      if (!closedIdle && connections === 0) continue;
      let severity: Severity = 'info';
      if ((windowIdleTimeouts ?? 0) > 0 || (logAtIdleTimeout ?? 0) > 0 || (noKeepalive && (logAtMiddleboxTimer ?? 0) > 0)) severity = 'error';
      else if ((idleTimeouts ?? 0) > 0) severity = 'warning';
      findings.push(
        finding(s, 'tunnel-idle-timeouts', severity, { kind: 'listener', name: listener.name }, {
          statPrefix: tcp.statPrefix,
          cluster: tcp.cluster,
          passthrough: chain.serverNames.length > 0,
          idleTimeoutMs: tcp.idleTimeoutMs.value,
          idleTimeoutSource: tcp.idleTimeoutMs.source,
          idleTimeouts,
          windowIdleTimeouts,
          windowSeconds: hasWindow && windowIdleTimeouts !== undefined ? s.intervalSeconds : undefined,
          connections,
          listenerKeepalive,
          clusterKeepalive,
          logTunnels,
          logAtIdleTimeout,
          middleboxTimer,
          logAtMiddleboxTimer,
        }),
      );
    }
  }
  return findings;
}
