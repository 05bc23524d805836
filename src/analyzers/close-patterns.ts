// Who closes connections while a request is still active. Upstream-initiated closes with an active request
// are what access logs flag UC; client-initiated ones are DC; Envoy-side ones mean Envoy gave up (timeouts,
// resets). Shares are of all closes of that side. Per user agent (`add_user_agent`) for iOS and Android clients.
// Stats: envoy/upstream/stats.h (upstream_cx_destroy_*), source/common/http/conn_manager_config.h
// (downstream_cx_destroy_*active_rq), source/common/http/user_agent.h. Clusters only TCP proxies use are left out:
// the TCP connection pool counts each tunnel as a request (source/common/tcp_proxy/tcp_proxy.cc), so all their
// closes come "with a request active"; so are control-plane clusters (xDS, SDS), whose gRPC streams never end.

import type { Finding, Severity } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { delta, latestSample, stat, userAgentStat } from '../model/stats-view.ts';
import { clusterNameOfStat, isControlPlaneCluster, isTcpOnlyCluster } from '../model/topology.ts';
import { type AnalyzerMeta, finding, ratio } from './analyzer.ts';

export const meta: AnalyzerMeta = {
  id: 'close-patterns',
  title: 'Connections closed with a request active (UC and DC patterns)',
  reads: ['stats', 'stats-later'],
  emits: ['upstream-close-with-active-request', 'envoy-close-with-active-request', 'downstream-close-with-active-request'],
  docs: 'docs/analyzers/close-patterns.md',
};

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
    const destroyed = stat(s, 'cluster', name, 'upstream_cx_destroy');
    for (const [code, statName] of [
      ['upstream-close-with-active-request', 'upstream_cx_destroy_remote_with_active_rq'],
      ['envoy-close-with-active-request', 'upstream_cx_destroy_local_with_active_rq'],
    ] as const) {
      const count = stat(s, 'cluster', name, statName);
      if (count === undefined) continue;
      // A total below its own part (edited or reset captures) is no total at all.
      const total = destroyed !== undefined && destroyed >= count ? destroyed : undefined;
      const share = ratio(count, total);
      const severity = severityOf(count, share);
      if (!severity) continue;
      findings.push(
        finding(s, code, severity, { kind: 'cluster', name: clusterNameOfStat(s, name) }, {
          count,
          totalCloses: total,
          share,
          windowCount: delta(s, 'cluster', name, statName),
          windowSeconds: s.statsLater ? s.intervalSeconds : undefined,
        }),
      );
    }
  }
  for (const prefix of sample.connectionManagers.keys()) {
    const count = stat(s, 'http', prefix, 'downstream_cx_destroy_remote_active_rq');
    const destroyed = stat(s, 'http', prefix, 'downstream_cx_destroy');
    if (count === undefined) continue;
    const total = destroyed !== undefined && destroyed >= count ? destroyed : undefined;
    const share = ratio(count, total);
    const severity = severityOf(count, share);
    if (severity) {
      findings.push(
        finding(s, 'downstream-close-with-active-request', severity, { kind: 'connection-manager', name: prefix }, {
          count,
          basisCount: total,
          basis: 'closed-connections',
          share,
          windowCount: delta(s, 'http', prefix, 'downstream_cx_destroy_remote_active_rq'),
        }),
      );
    }
  }
  for (const [prefix, agents] of sample.userAgents) {
    for (const agent of agents.keys()) {
      const count = userAgentStat(s, prefix, agent, 'downstream_cx_destroy_remote_active_rq');
      if (count === undefined) continue;
      // Per-agent stats have no close total; the agent's connections (closed and open) stand in for it.
      const connections = userAgentStat(s, prefix, agent, 'downstream_cx_total');
      // As for the totals above: a base smaller than its own part is no base.
      const agentConnections = connections !== undefined && connections >= count ? connections : undefined;
      const share = ratio(count, agentConnections);
      const severity = severityOf(count, share);
      if (!severity) continue;
      findings.push(
        finding(s, 'downstream-close-with-active-request', severity, { kind: 'user-agent', name: `${prefix}/${agent}` }, {
          agent,
          connectionManager: prefix,
          count,
          basisCount: agentConnections,
          basis: 'agent-connections',
          share,
        }),
      );
    }
  }
  return findings;
}
