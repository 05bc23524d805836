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

import { compareVersions } from '../model/envoy-version.ts';
import type { Finding, Severity } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { delta, stat } from '../model/stats-view.ts';
import { servedRoutes, upgradesOn } from '../model/topology.ts';
import { type AnalyzerMeta, finding } from './analyzer.ts';

export const meta: AnalyzerMeta = {
  id: 'upgrade-route-timeouts',
  title: 'Route timeouts on routes that carry WebSocket upgrades',
  reads: ['config', 'stats', 'stats-later'],
  emits: ['upgrade-route-timeouts-fired'],
  docs: 'docs/analyzers/upgrade-route-timeouts.md',
};

/** The first Envoy release that applies the route timeout to the wait for an upgrade response. */
export const ROUTE_TIMEOUT_ON_UPGRADE_SINCE = '1.36.0';

/** What a route `timeout` covers on an upgraded request: the handshake only, nothing, or unknown (no version). */
export type RouteTimeoutOnUpgrade = 'upgrade-handshake' | 'not-applied' | 'unknown';

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
      const timeouts = stat(s, 'cluster', statName, 'upstream_rq_timeout');
      if (timeouts === undefined || timeouts <= 0) continue;
      const window = delta(s, 'cluster', statName, 'upstream_rq_timeout');
      let downstream: number | undefined;
      for (const prefix of new Set(managers.map((m) => m.connectionManager.statPrefix))) {
        const v = stat(s, 'http', prefix, 'downstream_rq_timeout');
        if (v !== undefined) downstream = (downstream ?? 0) + v;
      }
      findings.push(
        finding(s, 'upgrade-route-timeouts-fired', severityOf(applies, window), { kind: 'route', name: route.name }, {
          cluster: clusterName,
          timeoutMs: route.timeoutMs.value,
          timeoutSource: route.timeoutMs.source,
          upstreamRqTimeout: timeouts,
          windowUpstreamRqTimeout: window,
          windowSeconds: window !== undefined ? s.intervalSeconds : undefined,
          downstreamRqTimeout: downstream,
          envoyVersion: s.envoyVersion ?? null,
          appliesTo: applies,
          upgradesTotal: upgradesOn(s, managers),
        }),
      );
    }
  }
  return findings;
}
