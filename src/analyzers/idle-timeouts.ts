// Stream idle timeouts firing on connection managers that serve WebSocket-capable routes. The connection manager's
// `stream_idle_timeout` (default 5 min) applies to upgraded streams too, and a route's `idle_timeout` overrides it
// for that route (envoyproxy/data-plane-api envoy/extensions/filters/network/http_connection_manager/v3/
// http_connection_manager.proto `stream_idle_timeout`; envoy/config/route/v3/route_components.proto
// `RouteAction.idle_timeout`; no exemption for upgrades in docs/root/intro/arch_overview/http/upgrades.rst). Each
// expiry counts `http.<prefix>.downstream_rq_idle_timeout` (source/common/http/conn_manager_impl.cc
// ActiveStream::onIdleTimeout; docs/root/configuration/http/http_conn_man/stats.rst) and logs flag SI. The counter is
// per connection manager, so it also counts plain requests that went quiet: the rule weighs it with the upgrades
// and, when an access log was read, with upgraded sessions that ended with SI.

import { findingType } from '../model/catalogue-entry.ts';
import { HTTP_STATS } from '../model/envoy-stats.ts';
import type { Finding, Severity } from '../model/finding.ts';
import type { ConnectionManager, Route, Snapshot } from '../model/snapshot.ts';
import { delta, stat, windowSeconds } from '../model/stats-view.ts';
import { webSocketManagers } from '../model/topology.ts';
import { defineAnalyzer, finding } from './analyzer.ts';

/** Evidence of stream idle timeouts on a connection manager that serves WebSockets. */
interface StreamIdleTimeoutsFired {
  idleTimeouts: number;
  windowIdleTimeouts?: number;
  windowSeconds?: number;
  streamIdleTimeoutMs: number;
  streamIdleTimeoutSource: string;
  routeIdleTimeoutMs?: number;
  effectiveIdleTimeoutMs: number;
  websocketRoutes: number;
  upgradesTotal?: number;
  upgradesActive?: number;
}

/** Stream idle timeouts fired on a connection manager serving WebSocket routes. */
const STREAM_IDLE_TIMEOUTS_FIRED = findingType<StreamIdleTimeoutsFired>()(
  'stream-idle-timeouts-fired',
  'Stream idle timeouts fire where WebSockets are served',
  '{idleTimeouts} {idleTimeouts|stream was|streams were} reset by the stream idle timeout ({effectiveIdleTimeoutMs} on WebSocket routes; stream_idle_timeout {streamIdleTimeoutMs}, {streamIdleTimeoutSource}) on a connection manager with {upgradesTotal} {upgradesTotal|upgrade|upgrades}',
);

export const meta = defineAnalyzer({
  id: 'idle-timeouts',
  title: 'Stream idle timeouts firing where WebSockets are served',
  reads: ['config', 'stats', 'stats-later'],
  stats: { http: [HTTP_STATS.rqIdleTimeout, HTTP_STATS.cxUpgradesTotal, HTTP_STATS.cxUpgradesActive] },
  families: [{ family: 'idle-timeout', rootCauses: ['stream-idle-timeout'], cluster: [], http: [HTTP_STATS.rqIdleTimeout] }],
  findings: [STREAM_IDLE_TIMEOUTS_FIRED],
});

/** The idle timeout a WebSocket on `route` gets: the route's `idle_timeout`, else the connection manager's (0: none). */
function effectiveIdleTimeoutMs(route: Route, cm: ConnectionManager): number {
  return route.idleTimeoutMs ?? cm.streamIdleTimeoutMs.value;
}

/** Severity: expiries during the window (or totals with one sample) warn; totals that did not move are history. */
function severityOf(window: number | undefined): Severity {
  return window === undefined || window > 0 ? 'warning' : 'info';
}

export function analyze(s: Snapshot): Finding[] {
  const findings: Finding[] = [];
  for (const [prefix, { connectionManager: cm, routes }] of webSocketManagers(s)) {
    const fired = stat(s, 'http', prefix, HTTP_STATS.rqIdleTimeout);
    if (fired === undefined || fired <= 0) continue;
    const window = delta(s, 'http', prefix, HTTP_STATS.rqIdleTimeout);
    const overrides = routes.map((r) => r.idleTimeoutMs).filter((v): v is number => v !== undefined && v > 0);
    const effective = routes.map((r) => effectiveIdleTimeoutMs(r, cm)).filter((v) => v > 0);
    findings.push(
      finding(
        s,
        STREAM_IDLE_TIMEOUTS_FIRED,
        severityOf(window),
        { kind: 'connection-manager', name: prefix },
        {
          idleTimeouts: fired,
          windowIdleTimeouts: window,
          windowSeconds: windowSeconds(s, window),
          streamIdleTimeoutMs: cm.streamIdleTimeoutMs.value,
          streamIdleTimeoutSource: cm.streamIdleTimeoutMs.source,
          routeIdleTimeoutMs: overrides.length > 0 ? Math.min(...overrides) : undefined,
          effectiveIdleTimeoutMs: effective.length > 0 ? Math.min(...effective) : 0,
          websocketRoutes: routes.length,
          upgradesTotal: stat(s, 'http', prefix, HTTP_STATS.cxUpgradesTotal),
          upgradesActive: stat(s, 'http', prefix, HTTP_STATS.cxUpgradesActive),
        },
      ),
    );
  }
  return findings;
}
