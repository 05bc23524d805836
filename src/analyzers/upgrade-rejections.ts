// Upgrade requests refused because the route they matched does not enable the upgrade. The connection manager
// answers them itself with 403, response code details `upgrade_failed`, and counts
// `http.<stat_prefix>.downstream_rq_ws_on_non_ws_route` (for any upgrade type, despite the name):
// envoy source/common/http/conn_manager_impl.cc (ActiveStream::decodeHeaders, `upgrade_rejected`);
// whether a route enables an upgrade: docs/root/intro/arch_overview/http/upgrades.rst (route `upgrade_configs`
// override the connection manager's, api/envoy/config/route/v3/route_components.proto RouteAction.UpgradeConfig).
// The Upgrade header is not in the access log, so only Envoy's own refusals are counted there: 403 with
// `upgrade_failed`, never a backend's 4xx.

import type { AccessLogEntry } from '../model/access-log.ts';
import { findingType } from '../model/catalogue-entry.ts';
import { HTTP_STATS } from '../model/envoy-stats.ts';
import type { Finding, Severity } from '../model/finding.ts';
import type { Route, Snapshot } from '../model/snapshot.ts';
import { delta, latestSample, stat, windowSeconds } from '../model/stats-view.ts';
import { type PlacedConnectionManager, routeAllowsUpgrade, servedRoutes } from '../model/topology.ts';
import { defineAnalyzer, finding, ratio } from './analyzer.ts';

/** Evidence of upgrade requests a connection manager refused because their route does not enable the upgrade. */
interface UpgradeOnNonWebSocketRoute {
  refused: number;
  windowRefused?: number;
  windowSeconds?: number;
  upgradesTotal?: number;
  routesDisabled?: number;
  routesNotConfigured?: number;
}

/** Evidence of Envoy's own refusals of upgrades on one route, from the access log. */
interface UpgradeRejectedOnRoute {
  refused: number;
  entries: number;
  share: number | null;
  upgradeSetting: UpgradeSetting;
  cluster?: string;
  connectionManager?: string;
}

/** Upgrade requests refused with 403 on routes that do not enable the upgrade (stats). */
const UPGRADE_ON_NON_WEBSOCKET_ROUTE = findingType<UpgradeOnNonWebSocketRoute>()(
  'upgrade-on-non-websocket-route',
  'Upgrade requests refused on routes without upgrades',
  '{refused} {refused|upgrade request was|upgrade requests were} refused with 403 because their route does not enable the upgrade[? ({windowRefused} in {windowSeconds})]; routes served here: {routesDisabled} with websocket disabled, {routesNotConfigured} without it',
);

/** WebSocket handshakes Envoy refused on a route (access log). */
const UPGRADE_REJECTED_ON_ROUTE = findingType<UpgradeRejectedOnRoute>()(
  'upgrade-rejected-on-route',
  'WebSocket handshakes refused on a route',
  '{refused} of {entries} {entries|logged request|logged requests} on the route {refused|was an upgrade|were upgrades} Envoy refused with 403 upgrade_failed; websocket on this route: {upgradeSetting}',
);

export const meta = defineAnalyzer({
  id: 'upgrade-rejections',
  title: 'Upgrade requests refused on routes without upgrades',
  reads: ['config', 'stats', 'stats-later', 'access-log'],
  stats: { http: [HTTP_STATS.rqWsOnNonWsRoute, HTTP_STATS.cxUpgradesTotal, HTTP_STATS.cxUpgradesActive] },
  families: [
    {
      family: 'upgrade',
      rootCauses: ['websocket-upgrade-disabled'],
      cluster: [],
      http: [HTTP_STATS.cxUpgradesTotal, HTTP_STATS.cxUpgradesActive, HTTP_STATS.rqWsOnNonWsRoute],
    },
  ],
  findings: [UPGRADE_ON_NON_WEBSOCKET_ROUTE, UPGRADE_REJECTED_ON_ROUTE],
});

/** Response code and details of Envoy's own refusal of an upgrade. */
const REFUSAL_CODE = 403;
const REFUSAL_DETAILS = 'upgrade_failed';
/** Refusals on a route from which the access-log finding is a warning rather than info. */
const MIN_ROUTE_REFUSALS = 3;

/** How a route stands on WebSocket upgrades: `disabled` (route `enabled: false`), `not-configured` (neither route nor connection manager), `enabled`, or `unknown` (not in the config). */
type UpgradeSetting = 'disabled' | 'not-configured' | 'enabled' | 'unknown';

/** The WebSocket upgrade setting of a route under its connection managers. */
function upgradeSetting(route: Route | undefined, managers: PlacedConnectionManager[]): UpgradeSetting {
  if (!route) return 'unknown';
  if (route.upgrades.websocket === false) return 'disabled';
  const allowed = managers.length > 0 ? managers.some((m) => routeAllowsUpgrade(route, m.connectionManager)) : routeAllowsUpgrade(route, undefined);
  return allowed ? 'enabled' : 'not-configured';
}

/** Envoy's own refusal of an upgrade (403 with `upgrade_failed`). */
function isUpgradeRefusal(e: AccessLogEntry): boolean {
  return e.responseCode === REFUSAL_CODE && e.responseCodeDetails === REFUSAL_DETAILS;
}

/** error: refusals during the window; warning: refusals with no window to date them; info: history. */
function severityOf(total: number, windowCount: number | undefined): Severity {
  if (windowCount !== undefined) return windowCount > 0 ? 'error' : 'info';
  return total > 0 ? 'warning' : 'info';
}

export function analyze(s: Snapshot): Finding[] {
  const findings: Finding[] = [];
  const served = servedRoutes(s);
  const sample = latestSample(s);
  for (const prefix of sample ? sample.connectionManagers.keys() : []) {
    const refused = stat(s, 'http', prefix, HTTP_STATS.rqWsOnNonWsRoute);
    if (refused === undefined || refused <= 0) continue;
    const windowRefused = delta(s, 'http', prefix, HTTP_STATS.rqWsOnNonWsRoute);
    const routes = served.filter((r) => r.managers.some((m) => m.connectionManager.statPrefix === prefix));
    const settings = routes.map((r) => upgradeSetting(r.route, r.managers));
    findings.push(
      finding(
        s,
        UPGRADE_ON_NON_WEBSOCKET_ROUTE,
        severityOf(refused, windowRefused),
        { kind: 'connection-manager', name: prefix },
        {
          refused,
          windowRefused,
          windowSeconds: windowSeconds(s, windowRefused),
          upgradesTotal: stat(s, 'http', prefix, HTTP_STATS.cxUpgradesTotal),
          routesDisabled: routes.length > 0 ? settings.filter((x) => x === 'disabled').length : undefined,
          routesNotConfigured: routes.length > 0 ? settings.filter((x) => x === 'not-configured').length : undefined,
        },
      ),
    );
  }

  if (s.accessLog) {
    const byRoute = new Map<string, { refused: number; total: number; cluster?: string }>();
    for (const e of s.accessLog.entries) {
      const key = e.routeName ?? '(unknown)';
      const entry = byRoute.get(key) ?? { refused: 0, total: 0 };
      entry.total++;
      if (isUpgradeRefusal(e)) {
        entry.refused++;
        if (e.upstreamCluster !== undefined) entry.cluster = e.upstreamCluster;
      }
      byRoute.set(key, entry);
    }
    for (const [name, counts] of byRoute) {
      if (counts.refused === 0) continue;
      const servedRoute = served.find((r) => r.route.name === name);
      const setting = upgradeSetting(servedRoute?.route, servedRoute?.managers ?? []);
      findings.push(
        finding(
          s,
          UPGRADE_REJECTED_ON_ROUTE,
          counts.refused >= MIN_ROUTE_REFUSALS ? 'warning' : 'info',
          { kind: 'route', name },
          {
            refused: counts.refused,
            entries: counts.total,
            share: ratio(counts.refused, counts.total),
            upgradeSetting: setting,
            cluster: servedRoute?.route.clusters[0] ?? counts.cluster,
            connectionManager: servedRoute?.managers[0]?.connectionManager.statPrefix,
          },
        ),
      );
    }
  }
  return findings;
}
