// Quiet TCP tunnels (TLS passthrough or plain TCP routes) that end on a timer. The TCP proxy closes a connection
// with no bytes in either direction for `idle_timeout` (default 1 h; api/envoy/extensions/filters/network/tcp_proxy/
// v3/tcp_proxy.proto), counting `tcp.<stat_prefix>.idle_timeout` (docs/root/configuration/listeners/
// network_filters/tcp_proxy_filter.rst). Envoy cannot inject pings into an encrypted passthrough stream, so only the
// application's own traffic, or TCP keepalive towards load balancers and NAT in between, keeps a quiet tunnel open.
// Keepalive: cluster `upstream_connection_options.tcp_keepalive`, listener SO_KEEPALIVE socket options
// (api/envoy/config/core/v3/address.proto, socket_option.proto).
// Tunnels that never carry long-lived traffic of their own are left out: Istio's BlackHoleCluster, PassthroughCluster,
// InboundPassthroughCluster and `inbound|` clusters (pilot/pkg/networking/core; to the local app or anywhere), health
// checks and DNS (port 53); a tunnel to loopback endpoints is judged by its idle timeouts alone (Envoy's idle timer ends
// it as any other, as the lab measured, but no middlebox lies on its way for keepalive to matter). Whether the tunnels lasted: the idle_timeout counter, the access log,
// and the cluster's `upstream_cx_length_ms` histogram (docs/root/configuration/upstream/cluster_manager/cluster_stats.rst).

import { findingType } from '../model/catalogue-entry.ts';
import { CLUSTER_STATS, TCP_STATS } from '../model/envoy-stats.ts';
import type { Finding, Severity } from '../model/finding.ts';
import type { Cluster, Histogram, Listener, Snapshot, Sourced, TcpProxy } from '../model/snapshot.ts';
import { delta, latestSample, stat } from '../model/stats-view.ts';
import { histogramKey } from '../parse/stats-builder.ts';
import { WELL_KNOWN_TIMERS } from '../model/timer-table.ts';
import { timerTolerance } from '../model/timers.ts';
import { defineAnalyzer, finding } from './analyzer.ts';

/** Evidence of a TCP proxy's tunnels ended by its idle timeout, or opened without keepalive. */
interface TunnelIdleTimeouts {
  statPrefix: string;
  cluster?: string;
  passthrough: boolean;
  idleTimeoutMs: number;
  idleTimeoutSource: Sourced<number>['source'];
  idleTimeouts?: number;
  windowIdleTimeouts?: number;
  windowSeconds?: number;
  connections?: number;
  listenerKeepalive: boolean;
  clusterKeepalive?: boolean;
  logTunnels?: number;
  logLongLived?: number;
  longLivedShare?: number;
  logAtIdleTimeout?: number;
  middleboxTimer?: string;
  logAtMiddleboxTimer?: number;
}

/** TCP tunnels closed by the TCP proxy's idle timeout, or opened without keepalive. */
const TUNNEL_IDLE_TIMEOUTS = findingType<TunnelIdleTimeouts>()(
  'tunnel-idle-timeouts',
  'TCP tunnels ended by the idle timeout or left without keepalive',
  'TCP proxy {statPrefix} to {cluster}: {idleTimeouts} {idleTimeouts|connection|connections} closed by idle_timeout {idleTimeoutMs} ({idleTimeoutSource}); keepalive on the listener {listenerKeepalive}, on the cluster {clusterKeepalive}[?; {logAtIdleTimeout} {logAtIdleTimeout|logged tunnel|logged tunnels} lasted the idle timeout]',
);

export const meta = defineAnalyzer({
  id: 'tcp-tunnels',
  title: 'TCP tunnels ended by the idle timeout or left without keepalive',
  reads: ['config', 'stats', 'stats-later', 'access-log'],
  stats: { cluster: [CLUSTER_STATS.cxLengthMs], tcp: [TCP_STATS.idleTimeout, TCP_STATS.cxTotal] },
  findings: [TUNNEL_IDLE_TIMEOUTS],
});

/** Logged tunnels at one duration before a band counts as a match for a middlebox timer. */
const MIN_TUNNELS_AT_TIMER = 3;

/** A tunnel that lasted this long carried long-lived traffic. */
const LONG_LIVED_MS = 60_000;

/** Istio's catch-all clusters (pilot/pkg/networking/util): nothing of the proxy's own lives behind them. */
const CATCH_ALL = /^(BlackHoleCluster|PassthroughCluster|InboundPassthroughCluster(Ipv4|Ipv6)?)$|^inbound(-vip)?\|/;

/** Why a TCP proxy's tunnels are no candidates for this analysis, or undefined when they are. */
function notATunnel(listener: Listener, tcp: TcpProxy, cluster: Cluster | undefined): string | undefined {
  const name = tcp.cluster ?? '';
  if (CATCH_ALL.test(name) || CATCH_ALL.test(tcp.statPrefix)) return 'catch-all';
  if (cluster?.endpoints?.loopback) return 'loopback';
  if (/health/i.test(name) || /health/i.test(listener.name)) return 'health-check';
  if (/\|53\|/.test(name) || listener.address.endsWith('_53') || cluster?.endpoints?.ports.includes(53)) return 'dns';
  return undefined;
}

/** Share of a histogram's values at or above `ms`: from cumulative buckets, or from the first quantile that reaches it. */
function shareAtLeast(h: Histogram | undefined, ms: number): number | undefined {
  if (!h) return undefined;
  const { le, count } = h.buckets;
  if (le.length > 0) {
    const total = h.count ?? count[count.length - 1] ?? 0;
    if (total <= 0) return undefined;
    let below = 0;
    for (let i = 0; i < le.length; i++) if ((le[i] as number) < ms) below = count[i] as number;
    return Math.max(0, total - below) / total;
  }
  const reached = h.quantiles.filter((q) => q.cumulative !== null && Number.isFinite(q.quantile)).find((q) => (q.cumulative as number) >= ms);
  if (h.quantiles.length === 0) return undefined;
  return reached ? Math.max(0, 100 - reached.quantile) / 100 : 0;
}

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
      const skip = notATunnel(listener, tcp, cluster);
      if (skip && skip !== 'loopback') continue;
      const loopback = skip === 'loopback';
      const idleTimeouts = stat(s, 'tcp', tcp.statPrefix, TCP_STATS.idleTimeout);
      const windowIdleTimeouts = delta(s, 'tcp', tcp.statPrefix, TCP_STATS.idleTimeout);
      const connections = stat(s, 'tcp', tcp.statPrefix, TCP_STATS.cxTotal);
      const listenerKeepalive = listener.tcpKeepalive !== undefined;
      const clusterKeepalive = cluster && !loopback ? cluster.tcpKeepalive !== undefined : undefined;
      const longLivedShare = cluster
        ? shareAtLeast(latestSample(s)?.histograms.get(histogramKey('cluster', cluster.statName, CLUSTER_STATS.cxLengthMs)), LONG_LIVED_MS)
        : undefined;
      let logTunnels: number | undefined;
      let logLongLived: number | undefined;
      let logAtIdleTimeout: number | undefined;
      let middleboxTimer: string | undefined;
      let logAtMiddleboxTimer: number | undefined;
      if (s.accessLog && tcp.cluster !== undefined) {
        const durations = s.accessLog.entries.filter((e) => e.upstreamCluster === tcp.cluster && e.durationMs !== undefined).map((e) => e.durationMs as number);
        logTunnels = durations.length;
        logLongLived = durations.filter((d) => d >= LONG_LIVED_MS).length;
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
      if (!closedIdle && (!noKeepalive || loopback)) continue;
      // Without keepalive alone, only tunnels that were opened say anything: the configuration alone is no evidence.
      if (!closedIdle && !((connections ?? 0) > 0 || (logTunnels ?? 0) > 0)) continue;
      let severity: Severity = 'info';
      if ((windowIdleTimeouts ?? 0) > 0 || (logAtIdleTimeout ?? 0) > 0 || (noKeepalive && (logAtMiddleboxTimer ?? 0) > 0)) severity = 'error';
      else if ((idleTimeouts ?? 0) > 0) severity = 'warning';
      findings.push(
        finding(
          s,
          TUNNEL_IDLE_TIMEOUTS,
          severity,
          { kind: 'listener', name: listener.name },
          {
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
            logLongLived,
            longLivedShare: longLivedShare === undefined ? undefined : Math.round(longLivedShare * 10_000) / 10_000,
            logAtIdleTimeout,
            middleboxTimer,
            logAtMiddleboxTimer,
          },
        ),
      );
    }
  }
  return findings;
}
