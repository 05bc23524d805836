// Route timeouts counted on clusters behind WebSocket-capable routes, read against what the running Envoy does with
// a route `timeout` on an upgrade. The router arms the route timeout only once the downstream request is complete
// (envoy source/common/router/router.cc Filter::onRequestComplete), and the HTTP/1 codec never completes an upgrade
// request while the session is open (source/common/http/http1/codec_impl.cc: "If this is an upgrade request, swallow
// the onMessageComplete. The upgrade payload will be treated as stream body."). So before Envoy 1.36.0 a route
// timeout never applies to an upgrade (envoyproxy/envoy#41068). Since 1.36.0 (envoyproxy/envoy#41075,
// changelogs/1.36.0.yaml "Support route and per-try timeouts on WebSocket upgrade", runtime guard
// envoy.reloadable_features.websocket_enable_timeout_on_upgrade_response) it is armed while Envoy waits for the
// upgrade response and disarmed when the upstream answers 101 (source/common/router/upstream_codec_filter.cc,
// disableRouteTimeoutForWebsocketUpgrade): it can fail slow handshakes with 504 (flag UT, upstream_rq_timeout) but
// does not end an established session. Default route timeout: 15 s (envoy/config/route/v3/route_components.proto).

import { findingType } from '../model/catalogue-entry.ts';
import { CLUSTER_STATS, HTTP_STATS } from '../model/envoy-stats.ts';
import { compareVersions } from '../model/envoy-version.ts';
import type { Finding, Severity } from '../model/finding.ts';
import type { Snapshot, Sourced } from '../model/snapshot.ts';
import { delta, stat, windowSeconds } from '../model/stats-view.ts';
import { routeTimeoutSplit } from '../model/route-timeouts.ts';
import { servedRoutes, upgradesOn } from '../model/topology.ts';
import { defineAnalyzer, finding } from './analyzer.ts';

/** Evidence of route timeouts counted on a cluster behind a route that carries WebSocket upgrades. */
interface UpgradeRouteTimeoutsFired {
  cluster: string;
  timeoutMs: number;
  timeoutSource: Sourced<number>['source'];
  upstreamRqTimeout: number;
  windowUpstreamRqTimeout?: number;
  windowSeconds?: number;
  downstreamRqTimeout?: number;
  envoyVersion: string | null;
  appliesTo: RouteTimeoutOnUpgrade;
  upgradesTotal?: number;
}

/** Route timeouts counted behind a WebSocket-capable route, read against what this Envoy applies them to. */
const UPGRADE_ROUTE_TIMEOUTS_FIRED = findingType<UpgradeRouteTimeoutsFired>()(
  'upgrade-route-timeouts-fired',
  'Route timeouts counted behind a route that carries WebSocket upgrades',
  '{upstreamRqTimeout} {upstreamRqTimeout|upstream request timeout|upstream request timeouts} on {cluster} behind a WebSocket-capable route with timeout {timeoutMs} ({timeoutSource}); what the route timeout covers on upgrades with Envoy {envoyVersion}: {appliesTo}',
);

export const meta = defineAnalyzer({
  id: 'upgrade-route-timeouts',
  title: 'Route timeouts on routes that carry WebSocket upgrades',
  reads: ['config', 'stats', 'stats-later'],
  stats: { cluster: [CLUSTER_STATS.rqTimeout, CLUSTER_STATS.rq504, CLUSTER_STATS.rq2xx], http: [HTTP_STATS.rqTimeout, HTTP_STATS.cxUpgradesTotal] },
  families: [{ family: 'route-timeout', rootCauses: ['route-timeout-on-upgrade'], cluster: [CLUSTER_STATS.rqTimeout], http: [] }],
  findings: [UPGRADE_ROUTE_TIMEOUTS_FIRED],
});

/** The first Envoy release that applies the route timeout to the wait for an upgrade response. */
const ROUTE_TIMEOUT_ON_UPGRADE_SINCE = '1.36.0';

/** What a route `timeout` covers on an upgraded request: the handshake only, nothing, or unknown (no version). */
type RouteTimeoutOnUpgrade = 'upgrade-handshake' | 'not-applied' | 'unknown';

/** What the route timeout does to upgrades on this Envoy version. */
export function routeTimeoutOnUpgrade(envoyVersion: string | undefined): RouteTimeoutOnUpgrade {
  if (envoyVersion === undefined) return 'unknown';
  const c = compareVersions(envoyVersion, ROUTE_TIMEOUT_ON_UPGRADE_SINCE);
  if (c === undefined) return 'unknown';
  return c >= 0 ? 'upgrade-handshake' : 'not-applied';
}

/** Severity: timeouts that this Envoy can apply to upgrades, counted during the window (or in one sample), warn. */
function severityOf(applies: RouteTimeoutOnUpgrade, window: number | undefined): Severity {
  if (applies === 'not-applied') return 'info';
  return window === undefined || window > 0 ? 'warning' : 'info';
}

export function analyze(s: Snapshot): Finding[] {
  const findings: Finding[] = [];
  const applies = routeTimeoutOnUpgrade(s.envoyVersion);
  for (const { route, managers, websocket } of servedRoutes(s)) {
    if (!websocket || route.timeoutMs.value <= 0) continue;
    for (const clusterName of route.clusters) {
      const statName = s.clusters.get(clusterName)?.statName ?? clusterName;
      const timeouts = stat(s, 'cluster', statName, CLUSTER_STATS.rqTimeout);
      if (timeouts === undefined || timeouts <= 0) continue;
      const window = delta(s, 'cluster', statName, CLUSTER_STATS.rqTimeout);
      // A failed handshake is answered with 504; timeouts without one cut responses already started (streams, see
      // stream-route-timeouts): none of those is an upgrade, and only the answered ones count towards the severity.
      const split = routeTimeoutSplit(s, statName);
      if (split && split.answered504 === 0) continue;
      const handshakeWindow = window !== undefined && split?.windowAfterResponse !== undefined ? window - split.windowAfterResponse : window;
      let downstream: number | undefined;
      for (const prefix of new Set(managers.map((m) => m.connectionManager.statPrefix))) {
        const v = stat(s, 'http', prefix, HTTP_STATS.rqTimeout);
        if (v !== undefined) downstream = (downstream ?? 0) + v;
      }
      findings.push(
        finding(
          s,
          UPGRADE_ROUTE_TIMEOUTS_FIRED,
          severityOf(applies, handshakeWindow),
          { kind: 'route', name: route.name },
          {
            cluster: clusterName,
            timeoutMs: route.timeoutMs.value,
            timeoutSource: route.timeoutMs.source,
            upstreamRqTimeout: timeouts,
            windowUpstreamRqTimeout: window,
            windowSeconds: windowSeconds(s, window),
            downstreamRqTimeout: downstream,
            envoyVersion: s.envoyVersion ?? null,
            appliesTo: applies,
            upgradesTotal: upgradesOn(s, managers),
          },
        ),
      );
    }
  }
  return findings;
}
