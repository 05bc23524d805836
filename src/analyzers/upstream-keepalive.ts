// Requests reset on pooled upstream connections the backend closed while idle: the keep-alive race. Envoy keeps idle
// upstream connections for the cluster's `idle_timeout` (HttpProtocolOptions.common_http_protocol_options, 1 h unless
// set; api/envoy/config/core/v3/protocol.proto) and hands a new request the most recently used idle one
// (source/common/conn_pool/conn_pool_base.cc). A backend whose keep-alive is shorter (Node.js 5 s, and 6 s from 24.6)
// closes idle connections first; a request Envoy writes before the FIN reaches it is reset: CodecClient::onEvent
// (source/common/http/codec_client.cc) resets the requests of a connected connection that closes with
// ConnectionTermination, the router answers 503, flag UC, details
// `upstream_reset_before_response_started{connection_termination}` (source/common/router/router.cc), and the cluster
// counts upstream_cx_destroy_remote_with_active_rq and upstream_rq_503 (or upstream_rq_retry when a retry policy with
// `reset`, `5xx` or `gateway-error` retries it; source/common/router/retry_state_impl.cc). The lab measured it on
// Envoy 1.36.2 and 1.40.0 (lab/scenarios/upstream-keepalive-race.ts).
// What tells the race from other closes with a request active (WebSockets a backend closes, the UC pattern of a flow
// control stall): the backend, not Envoy's idle timer, ends the idle connections (upstream_cx_destroy_remote without a
// request against upstream_cx_idle_timeout), and nearly every reset became a 503 or a retry (a closed WebSocket had
// its 101). The shortest upstream connection (upstream_cx_length_ms P0, docs/root/configuration/upstream/
// cluster_manager/cluster_stats.rst) bounds the backend's keep-alive from above: a connection it closed after one
// request lived that long.

import type { AccessLogEntry } from '../model/access-log.ts';
import { findingType } from '../model/catalogue-entry.ts';
import { CLUSTER_STATS } from '../model/envoy-stats.ts';
import type { Finding, Severity } from '../model/finding.ts';
import type { Histogram, Snapshot } from '../model/snapshot.ts';
import { delta, latestSample, stat, windowSeconds } from '../model/stats-view.ts';
import { clusterNameOfStat, isControlPlaneCluster, isTcpOnlyCluster } from '../model/topology.ts';
import { histogramKey } from '../parse/stats-builder.ts';
import { defineAnalyzer, finding, ratio } from './analyzer.ts';

/** Evidence of requests reset on connections a cluster's backend closed while idle. */
interface UpstreamKeepaliveResets {
  /** upstream_cx_destroy_remote_with_active_rq. */
  resets: number;
  windowResets?: number;
  windowSeconds?: number;
  /** upstream_cx_destroy_remote less the resets: idle connections the backend closed. */
  backendIdleCloses: number;
  /** upstream_cx_idle_timeout: idle connections Envoy closed. */
  envoyIdleCloses?: number;
  /** The cluster's idle_timeout in ms (Envoy's 1 h when unset). */
  idleTimeoutMs: number;
  idleTimeoutSet: boolean;
  responses503?: number;
  retries?: number;
  retriesSucceeded?: number;
  /** Share of the resets that became a 503 or a retry. */
  shareAnswered: number | null;
  /** upstream_cx_length_ms P0: the shortest connection, an upper bound of the backend's keep-alive. */
  shortestConnectionMs?: number;
  /** Access log: 503 UC upstream_reset_before_response_started{connection_termination} of the cluster. */
  logResets?: number;
  logResetDurationMsMax?: number;
}

/** Requests were reset on connections the backend closed while idle. */
const UPSTREAM_KEEPALIVE_RESETS = findingType<UpstreamKeepaliveResets>()(
  'upstream-keepalive-resets',
  'Requests reset on pooled connections the backend closed while idle',
  "{resets} {resets|request was|requests were} reset on connections the backend closed ({backendIdleCloses} idle {backendIdleCloses|connection|connections} closed by the backend, {envoyIdleCloses} by Envoy's idle_timeout of {idleTimeoutMs}); {shareAnswered} became a 503 or a retry[?, the shortest connection lasted {shortestConnectionMs}][?, {logResets} logged 503 UC connection_termination]",
);

const STATS = [
  CLUSTER_STATS.cxDestroyRemote,
  CLUSTER_STATS.cxDestroyRemoteWithActiveRq,
  CLUSTER_STATS.cxIdleTimeout,
  CLUSTER_STATS.rq503,
  CLUSTER_STATS.rqRetry,
  CLUSTER_STATS.rqRetrySuccess,
  CLUSTER_STATS.cxLengthMs,
] as const;

export const meta = defineAnalyzer({
  id: 'upstream-keepalive',
  title: 'Requests reset on pooled connections the backend closed while idle (the keep-alive race)',
  reads: ['config', 'stats', 'stats-later', 'access-log'],
  stats: { cluster: STATS },
  findings: [UPSTREAM_KEEPALIVE_RESETS],
});

/** Envoy's upstream idle_timeout when a cluster sets none (api/envoy/config/core/v3/protocol.proto). */
const ENVOY_UPSTREAM_IDLE_TIMEOUT_MS = 3_600_000;
/** Resets in the totals from which the pattern is worth a warning. */
const MIN_RESETS = 3;
/** Envoy's idle closes beyond this share of the backend's mean Envoy's timer, not the backend's, ends idle connections. */
const ENVOY_IDLE_SHARE = 0.1;
/** The reset detail of a request written to a connection that then closed (source/common/router/router.cc). */
const RESET_DETAIL = 'upstream_reset_before_response_started{connection_termination}';

/** The shortest value a histogram recorded: its P0, or the lower edge of its first bucket with values. */
function shortestValue(h: Histogram | undefined): number | undefined {
  if (!h) return undefined;
  const p0 = h.quantiles.find((q) => q.quantile === 0 && q.cumulative !== null && Number.isFinite(q.cumulative));
  if (p0) return Math.round(p0.cumulative as number);
  const { le, count } = h.buckets;
  const first = count.findIndex((c) => c > 0);
  if (first < 0) return undefined;
  return first === 0 ? 0 : (le[first - 1] as number);
}

/** Logged requests of a cluster reset on a closing connection; entries naming no cluster count when `alone`. */
function loggedResets(entries: AccessLogEntry[], cluster: string, alone: boolean): AccessLogEntry[] {
  return entries.filter(
    (e) =>
      e.responseCode === 503 &&
      e.responseFlags.includes('UC') &&
      (e.responseCodeDetails === undefined || e.responseCodeDetails === RESET_DETAIL) &&
      (e.upstreamCluster === cluster || (e.upstreamCluster === undefined && alone)),
  );
}

export function analyze(s: Snapshot): Finding[] {
  const sample = latestSample(s);
  if (!sample) return [];
  const candidates = [...sample.clusters.keys()].filter((name) => {
    if (isTcpOnlyCluster(s, name) || isControlPlaneCluster(s, name)) return false;
    return (stat(s, 'cluster', name, CLUSTER_STATS.cxDestroyRemoteWithActiveRq) ?? 0) > 0;
  });
  const findings: Finding[] = [];
  for (const statName of candidates) {
    const name = clusterNameOfStat(s, statName);
    const resets = stat(s, 'cluster', statName, CLUSTER_STATS.cxDestroyRemoteWithActiveRq) as number;
    const remote = stat(s, 'cluster', statName, CLUSTER_STATS.cxDestroyRemote);
    if (remote === undefined || remote < resets) continue;
    const backendIdleCloses = remote - resets;
    const envoyIdleCloses = stat(s, 'cluster', statName, CLUSTER_STATS.cxIdleTimeout);
    // The backend must be what ends idle connections: it closed some, and Envoy's own timer hardly any.
    if (backendIdleCloses === 0 || (envoyIdleCloses ?? 0) > ENVOY_IDLE_SHARE * backendIdleCloses) continue;
    const responses503 = stat(s, 'cluster', statName, CLUSTER_STATS.rq503);
    const retries = stat(s, 'cluster', statName, CLUSTER_STATS.rqRetry);
    const answered = responses503 === undefined && retries === undefined ? undefined : Math.min(resets, (responses503 ?? 0) + (retries ?? 0));
    const cluster = s.clusters.get(name);
    const log = s.accessLog ? loggedResets(s.accessLog.entries, name, candidates.length === 1) : undefined;
    const windowResets = delta(s, 'cluster', statName, CLUSTER_STATS.cxDestroyRemoteWithActiveRq);
    const shareAnswered = ratio(answered, resets);
    let severity: Severity = 'info';
    if ((shareAnswered ?? 0) >= 0.5 && ((windowResets ?? 0) > 0 || (log?.length ?? 0) > 0)) severity = 'error';
    else if ((shareAnswered ?? 0) >= 0.5 && resets >= MIN_RESETS) severity = 'warning';
    findings.push(
      finding(
        s,
        UPSTREAM_KEEPALIVE_RESETS,
        severity,
        { kind: 'cluster', name },
        {
          resets,
          windowResets,
          windowSeconds: windowSeconds(s, windowResets),
          backendIdleCloses,
          envoyIdleCloses,
          idleTimeoutMs: cluster?.idleTimeoutMs ?? ENVOY_UPSTREAM_IDLE_TIMEOUT_MS,
          idleTimeoutSet: cluster?.idleTimeoutMs !== undefined,
          responses503,
          retries,
          retriesSucceeded: stat(s, 'cluster', statName, CLUSTER_STATS.rqRetrySuccess),
          shareAnswered,
          shortestConnectionMs: shortestValue(sample.histograms.get(histogramKey('cluster', statName, CLUSTER_STATS.cxLengthMs))),
          logResets: log?.length,
          logResetDurationMsMax: log && log.length > 0 ? Math.max(...log.map((e) => e.durationMs ?? 0)) : undefined,
        },
      ),
    );
  }
  return findings;
}
