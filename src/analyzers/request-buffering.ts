// Request buffering on routes that carry WebSocket upgrades. The buffer filter holds a request until its body
// is complete (or max_request_bytes), but an upgrade request's body only ends when the connection does, so the
// upgrade never reaches the backend (envoyproxy/gateway#8578; Envoy Gateway >= 1.9 refuses `requestBuffer`
// together with `httpUpgrade` in BackendTrafficPolicy validation). Filter:
// api/envoy/extensions/filters/http/buffer/v3/buffer.proto (Buffer, BufferPerRoute.disabled); a filter listed
// with `disabled: true` runs only on routes whose typed_per_filter_config turns it on
// (http_connection_manager.proto HttpFilter.disabled).

import { findingType } from '../model/catalogue-entry.ts';
import { HTTP_STATS } from '../model/envoy-stats.ts';
import type { Finding } from '../model/finding.ts';
import { BUFFER_FILTER, type Snapshot } from '../model/snapshot.ts';
import { servedRoutes, upgradesOn } from '../model/topology.ts';
import { defineAnalyzer, finding } from './analyzer.ts';

/** Evidence of the buffer filter running on a route that carries WebSocket upgrades. */
interface WebSocketRouteBuffersRequests {
  connectionManager: string;
  enabledBy: 'route' | 'connection-manager';
  upgradesTotal?: number;
}

/** The buffer filter runs on a WebSocket route. */
const WEBSOCKET_ROUTE_BUFFERS_REQUESTS = findingType<WebSocketRouteBuffersRequests>()(
  'websocket-route-buffers-requests',
  'Request buffering on a WebSocket route',
  'the buffer filter runs on this WebSocket route (turned on by the {enabledBy}, connection manager {connectionManager})',
);

export const meta = defineAnalyzer({
  id: 'request-buffering',
  title: 'Request buffering on WebSocket routes',
  reads: ['config', 'stats'],
  stats: { http: [HTTP_STATS.cxUpgradesTotal] },
  findings: [WEBSOCKET_ROUTE_BUFFERS_REQUESTS],
});

export function analyze(s: Snapshot): Finding[] {
  const findings: Finding[] = [];
  for (const { route, managers, websocket } of servedRoutes(s)) {
    if (!websocket) continue;
    for (const m of managers) {
      const cm = m.connectionManager;
      if (!cm.httpFilters.includes(BUFFER_FILTER) || route.disabledFilters.includes(BUFFER_FILTER)) continue;
      const offByDefault = cm.disabledHttpFilters.includes(BUFFER_FILTER);
      const onForRoute = route.perFilterConfig.includes(BUFFER_FILTER);
      if (offByDefault && !onForRoute) continue;
      const upgrades = upgradesOn(s, [m]);
      findings.push(
        finding(
          s,
          WEBSOCKET_ROUTE_BUFFERS_REQUESTS,
          'warning',
          { kind: 'route', name: route.name },
          {
            connectionManager: cm.statPrefix,
            enabledBy: onForRoute ? 'route' : 'connection-manager',
            upgradesTotal: upgrades,
          },
        ),
      );
      break;
    }
  }
  return findings;
}
