// websocket-upgrade-disabled: WebSocket handshakes reach routes that do not enable the upgrade, and the connection
// manager refuses them with 403 (`upgrade_failed`, `downstream_rq_ws_on_non_ws_route`:
// source/common/http/conn_manager_impl.cc). A route enables an upgrade through its own `upgrade_configs` or
// inherits the connection manager's (docs/root/intro/arch_overview/http/upgrades.rst). Envoy Gateway leaves the
// upgrade off routes with `requestBuffer` and on GRPCRoutes, and `httpUpgrade` replaces its default list; Istio
// enables `websocket` on every connection manager, so there only an EnvoyFilter turns it off.
// One root cause per proxy: the connection managers whose counter moved, and the routes the access log names.

import { explanationType } from '../../model/catalogue-entry.ts';
import { HTTP_STATS } from '../../model/envoy-stats.ts';
import type { EvidenceValue, EntityRef, Explanation, Finding, FixChange } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { servedRoutes } from '../../model/topology.ts';
import { type Diagnosed, defineRootCause, explain, scoring } from '../root-cause.ts';

/** Explanation `upgrades-refused`. */
const UPGRADES_REFUSED = explanationType<{
  refused: EvidenceValue;
  connectionManager: EvidenceValue;
  windowRefused?: EvidenceValue;
  windowSeconds?: EvidenceValue;
}>()(
  'upgrades-refused',
  '{refused} {refused|upgrade request|upgrade requests} refused on {connectionManager}[? ({windowRefused} in {windowSeconds})]: Envoy answers 403 and closes the connection',
);

/** What refused the handshakes on a route the access log names: the route's own setting. */
type RouteRefusals = { route: EvidenceValue; refused: EvidenceValue; connectionManager: EvidenceValue };
const ROUTE_UPGRADE_DISABLED = explanationType<RouteRefusals>()(
  'route-upgrade-disabled',
  'route {route} disables websocket in its upgrade_configs (enabled: false): {refused} {refused|handshake|handshakes} refused with 403 upgrade_failed',
);
const ROUTE_UPGRADE_NOT_CONFIGURED = explanationType<RouteRefusals>()(
  'route-upgrade-not-configured',
  'neither route {route} nor connection manager {connectionManager} enables websocket: {refused} {refused|handshake|handshakes} refused with 403 upgrade_failed',
);
const ROUTE_UPGRADES_REFUSED = explanationType<RouteRefusals>()(
  'route-upgrades-refused',
  '{refused} {refused|upgrade request|upgrade requests} refused with 403 upgrade_failed on route {route}',
);

/** WebSocket upgrades on the routes the log names, else on the connection managers' routes that lack them. */
function upgradeChanges(s: Snapshot, routes: Finding[], managers: Finding[]): FixChange[] {
  const names = new Set(routes.map((r) => r.entity.name).filter((n) => s.routes.some((r) => r.name === n)));
  if (names.size === 0) {
    const prefixes = new Set(managers.map((m) => m.entity.name));
    for (const served of servedRoutes(s)) {
      if (!served.websocket && served.managers.some((m) => prefixes.has(m.connectionManager.statPrefix))) names.add(served.route.name);
    }
  }
  return [...names].map((route) => ({ kind: 'route-websocket-upgrade', route }));
}

export const rootCause = defineRootCause({
  id: 'websocket-upgrade-disabled',
  title: 'WebSocket upgrades not enabled on the route',
  message:
    'WebSocket handshakes reach routes that do not enable the upgrade (websocket disabled in the route upgrade_configs, or on neither the route nor the connection manager), and Envoy refuses them with 403 upgrade_failed',
  uses: ['upgrade-on-non-websocket-route', 'upgrade-rejected-on-route'],
  explanations: [UPGRADES_REFUSED, ROUTE_UPGRADE_DISABLED, ROUTE_UPGRADE_NOT_CONFIGURED, ROUTE_UPGRADES_REFUSED],
  verify: [
    { scope: 'connection-manager', stat: HTTP_STATS.rqWsOnNonWsRoute, expect: 'stops-growing' },
    { scope: 'connection-manager', stat: HTTP_STATS.cxUpgradesTotal, expect: 'keeps-growing' },
    { scope: 'route', setting: 'upgrade_configs websocket enabled on the route (or on its connection manager)', expect: 'present' },
  ],
  diagnose(s: Snapshot, findings: Finding[]): Diagnosed[] {
    const managers = findings.filter((f) => f.code === 'upgrade-on-non-websocket-route' && f.severity !== 'info');
    const routes = findings.filter((f) => f.code === 'upgrade-rejected-on-route' && f.severity !== 'info');
    if (managers.length === 0 && routes.length === 0) return [];
    const explains: Explanation[] = [];
    let score = 0;
    const inWindow = managers.filter((f) => f.severity === 'error');
    if (inWindow.length > 0) score += 0.6;
    else if (managers.length > 0) score += 0.45;
    for (const m of managers) {
      explains.push(
        explain(UPGRADES_REFUSED, {
          refused: m.evidence.refused ?? null,
          windowRefused: m.evidence.windowRefused ?? null,
          windowSeconds: m.evidence.windowSeconds ?? null,
          connectionManager: m.entity.name,
        }),
      );
    }
    if (routes.length > 0) {
      // The access log names the routes: Envoy's own 403 upgrade_failed, not a backend's answer.
      score += managers.length > 0 ? 0.3 : 0.5;
      for (const r of routes) {
        const setting = r.evidence.upgradeSetting;
        const type = setting === 'disabled' ? ROUTE_UPGRADE_DISABLED : setting === 'not-configured' ? ROUTE_UPGRADE_NOT_CONFIGURED : ROUTE_UPGRADES_REFUSED;
        explains.push(explain(type, { route: r.entity.name, refused: r.evidence.refused ?? null, connectionManager: r.evidence.connectionManager ?? null }));
      }
      if (routes.some((r) => r.evidence.upgradeSetting === 'disabled' || r.evidence.upgradeSetting === 'not-configured')) score += 0.1;
    }
    const entities: EntityRef[] = [...routes.map((r) => r.entity), ...managers.map((m) => m.entity)];
    return [
      {
        id: 'websocket-upgrade-disabled',
        ...scoring(s, score, (confidence) => (confidence === 'high' || inWindow.length > 0 ? 'error' : 'warning')),
        entities,
        evidence: [...routes, ...managers],
        explains,
        checks: [],
        changes: upgradeChanges(s, routes, managers),
      },
    ];
  },
});
