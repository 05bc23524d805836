// Who closes connections while a request is still active. Upstream-initiated closes with an active request
// are what access logs flag UC; client-initiated ones are DC; Envoy-side ones mean Envoy gave up (timeouts,
// resets). Shares are of all closes of that side. Per user agent (`add_user_agent`) for iOS and Android clients.
// Stats: envoy/upstream/stats.h (upstream_cx_destroy_*), source/common/http/conn_manager_config.h
// (downstream_cx_destroy_*active_rq), source/common/http/user_agent.h. Clusters only TCP proxies use are left out:
// the TCP connection pool counts each tunnel as a request (source/common/tcp_proxy/tcp_proxy.cc), so all their
// closes come "with a request active"; so are control-plane clusters (xDS, SDS), whose gRPC streams never end.

import { findingType } from '../model/catalogue-entry.ts';
import { CLUSTER_STATS, HTTP_STATS, USER_AGENT_STATS } from '../model/envoy-stats.ts';
import type { Finding, Severity } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { delta, latestSample, stat, userAgentStat } from '../model/stats-view.ts';
import { clusterNameOfStat, isControlPlaneCluster, isTcpOnlyCluster } from '../model/topology.ts';
import { defineAnalyzer, finding, ratio } from './analyzer.ts';

/** Evidence of a cluster's connections closed with a request active, by one side. */
interface UpstreamCloseWithActiveRequest {
  count: number;
  totalCloses?: number;
  share: number | null;
  windowCount?: number;
  windowSeconds?: number;
}

/** Evidence of client connections closed with a request active: per connection manager, or per user agent. */
type DownstreamCloseWithActiveRequest = { count: number; basisCount?: number; share: number | null } & (
  | { basis: 'closed-connections'; windowCount?: number }
  | { basis: 'agent-connections'; agent: string; connectionManager: string }
);

/** The upstream closed connections with a request active (UC). */
const UPSTREAM_CLOSE_WITH_ACTIVE_REQUEST = findingType<UpstreamCloseWithActiveRequest>()(
  'upstream-close-with-active-request',
  'Upstream closed connections with a request active (UC)',
  '{count} of {totalCloses} {totalCloses|upstream connection close|upstream connection closes} came from the upstream with a request active ({share})',
);

/** Envoy closed upstream connections with a request active. */
const ENVOY_CLOSE_WITH_ACTIVE_REQUEST = findingType<UpstreamCloseWithActiveRequest>()(
  'envoy-close-with-active-request',
  'Envoy closed upstream connections with a request active',
  '{count} of {totalCloses} {totalCloses|upstream connection close|upstream connection closes} {count|was|were} Envoy-side with a request active ({share})',
);

/** Clients closed connections with a request active (DC). */
const DOWNSTREAM_CLOSE_WITH_ACTIVE_REQUEST = findingType<DownstreamCloseWithActiveRequest>()(
  'downstream-close-with-active-request',
  'Clients closed connections with a request active (DC)',
  '{count} {count|client connection was|client connections were} closed by the client with a request active: {share} of {basisCount} {basis}',
);

const CLUSTER_FAMILY = [CLUSTER_STATS.cxDestroy, CLUSTER_STATS.cxDestroyRemoteWithActiveRq, CLUSTER_STATS.cxDestroyLocalWithActiveRq] as const;
const HTTP_FAMILY = [HTTP_STATS.cxDestroy, HTTP_STATS.cxDestroyRemoteActiveRq] as const;

export const meta = defineAnalyzer({
  id: 'close-patterns',
  title: 'Connections closed with a request active (UC and DC patterns)',
  reads: ['stats', 'stats-later'],
  stats: { cluster: CLUSTER_FAMILY, http: HTTP_FAMILY, userAgent: [USER_AGENT_STATS.cxDestroyRemoteActiveRq, USER_AGENT_STATS.cxTotal] },
  families: [{ family: 'close', rootCauses: ['flow-control-stall'], cluster: CLUSTER_FAMILY, http: HTTP_FAMILY }],
  findings: [UPSTREAM_CLOSE_WITH_ACTIVE_REQUEST, ENVOY_CLOSE_WITH_ACTIVE_REQUEST, DOWNSTREAM_CLOSE_WITH_ACTIVE_REQUEST],
});

/** Fewer closes than this are noise whatever their share. */
const MIN_COUNT = 10;
/** Share of closes from which a pattern is worth a warning. */
const WARN_SHARE = 0.05;

function severityOf(count: number, share: number | null): Severity | undefined {
  if (count < MIN_COUNT) return undefined;
  if (share === null) return 'info';
  return share >= WARN_SHARE ? 'warning' : 'info';
}

export function analyze(s: Snapshot): Finding[] {
  const sample = latestSample(s);
  if (!sample) return [];
  const findings: Finding[] = [];
  for (const name of sample.clusters.keys()) {
    // A TCP proxy's every tunnel is an active request, and a control plane's gRPC streams never end: their closes
    // are no UC pattern.
    if (isTcpOnlyCluster(s, name) || isControlPlaneCluster(s, name)) continue;
    const destroyed = stat(s, 'cluster', name, CLUSTER_STATS.cxDestroy);
    for (const [type, statName] of [
      [UPSTREAM_CLOSE_WITH_ACTIVE_REQUEST, CLUSTER_STATS.cxDestroyRemoteWithActiveRq],
      [ENVOY_CLOSE_WITH_ACTIVE_REQUEST, CLUSTER_STATS.cxDestroyLocalWithActiveRq],
    ] as const) {
      const count = stat(s, 'cluster', name, statName);
      if (count === undefined) continue;
      // A total below its own part (edited or reset captures) is no total at all.
      const total = destroyed !== undefined && destroyed >= count ? destroyed : undefined;
      const share = ratio(count, total);
      const severity = severityOf(count, share);
      if (!severity) continue;
      findings.push(
        finding(
          s,
          type,
          severity,
          { kind: 'cluster', name: clusterNameOfStat(s, name) },
          {
            count,
            totalCloses: total,
            share,
            windowCount: delta(s, 'cluster', name, statName),
            windowSeconds: s.statsLater ? s.intervalSeconds : undefined,
          },
        ),
      );
    }
  }
  for (const prefix of sample.connectionManagers.keys()) {
    const count = stat(s, 'http', prefix, HTTP_STATS.cxDestroyRemoteActiveRq);
    const destroyed = stat(s, 'http', prefix, HTTP_STATS.cxDestroy);
    if (count === undefined) continue;
    const total = destroyed !== undefined && destroyed >= count ? destroyed : undefined;
    const share = ratio(count, total);
    const severity = severityOf(count, share);
    if (severity) {
      findings.push(
        finding(
          s,
          DOWNSTREAM_CLOSE_WITH_ACTIVE_REQUEST,
          severity,
          { kind: 'connection-manager', name: prefix },
          {
            count,
            basisCount: total,
            basis: 'closed-connections',
            share,
            windowCount: delta(s, 'http', prefix, HTTP_STATS.cxDestroyRemoteActiveRq),
          },
        ),
      );
    }
  }
  for (const [prefix, agents] of sample.userAgents) {
    for (const agent of agents.keys()) {
      const count = userAgentStat(s, prefix, agent, USER_AGENT_STATS.cxDestroyRemoteActiveRq);
      if (count === undefined) continue;
      // Per-agent stats have no close total; the agent's connections (closed and open) stand in for it.
      const connections = userAgentStat(s, prefix, agent, USER_AGENT_STATS.cxTotal);
      // As for the totals above: a base smaller than its own part is no base.
      const agentConnections = connections !== undefined && connections >= count ? connections : undefined;
      const share = ratio(count, agentConnections);
      const severity = severityOf(count, share);
      if (!severity) continue;
      findings.push(
        finding(
          s,
          DOWNSTREAM_CLOSE_WITH_ACTIVE_REQUEST,
          severity,
          { kind: 'user-agent', name: `${prefix}/${agent}` },
          {
            agent,
            connectionManager: prefix,
            count,
            basisCount: agentConnections,
            basis: 'agent-connections',
            share,
          },
        ),
      );
    }
  }
  return findings;
}
