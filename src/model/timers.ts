// Timers that end long-lived connections, as data, each with where its value was read. Envoy's defaults are from
// envoyproxy/data-plane-api (84e8436, 2026-01-29): HttpConnectionManager.stream_idle_timeout "defaults to 5 minutes"
// (envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto), RouteAction.timeout
// "the default is 15s" (envoy/config/route/v3/route_components.proto), HttpProtocolOptions.idle_timeout "defaults to
// 1 hour", counted only while no request is active (envoy/config/core/v3/protocol.proto), TcpProxy.idle_timeout "the
// default idle timeout is 1 hour" (envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto). The flags Envoy
// logs for its own timers are from docs/root/configuration/observability/access_log/usage.rst (SI, UT, DT).
// An idle timer of T or a heartbeat closes a session no earlier than T after it opened (sooner only if the peer
// never spoke), so a timer explains a band of closes whose lower edge sits at T.

import type { Snapshot } from './snapshot.ts';
import { type Timer, WELL_KNOWN_TIMERS } from './timer-table.ts';
import { managersForRouteConfig } from './topology.ts';

/** Timers matched against a band when lowMs is within this share of the timer's value... */
const TIMER_TOLERANCE_SHARE = 0.1;
/** ...or within this many ms, whichever is larger (timers fire on event-loop ticks and whole seconds). */
const TIMER_TOLERANCE_MIN_MS = 1000;

/** A band of session durations: the shortest and longest in ms, and the flag the sessions ended with. */
interface DurationBand {
  lowMs: number;
  highMs: number;
  /** Response flag (`UC`, `DC`, ..., `-` for none); timers whose known flags exclude it do not match. */
  flag?: string;
}

/** A timer that explains a band, with how far its value lies from the band's lower edge. */
interface TimerMatch {
  timer: Timer;
  /** timer.ms - band.lowMs */
  deltaMs: number;
}

/** How far from a timer's value a band's lower edge may lie and still match it. */
export function timerTolerance(ms: number): number {
  return Math.max(TIMER_TOLERANCE_MIN_MS, ms * TIMER_TOLERANCE_SHARE);
}

/**
 * Timers that explain a band, best first: the timer's value lies within tolerance of the band's lower edge and no
 * higher than its upper edge plus tolerance, it can end an open session, and its known flags include the band's.
 */
export function matchTimers(band: DurationBand, timers: readonly Timer[] = WELL_KNOWN_TIMERS): TimerMatch[] {
  const out: TimerMatch[] = [];
  for (const timer of timers) {
    if (timer.idleOnly || timer.ms <= 0) continue;
    if (band.flag !== undefined && timer.flags.length > 0 && !timer.flags.includes(band.flag)) continue;
    const tol = timerTolerance(timer.ms);
    const deltaMs = timer.ms - band.lowMs;
    if (Math.abs(deltaMs) > tol || timer.ms > band.highMs + tol) continue;
    out.push({ timer, deltaMs });
  }
  return out.sort((a, b) => Math.abs(a.deltaMs) - Math.abs(b.deltaMs) || a.timer.id.localeCompare(b.timer.id));
}

/** Where configured timers are looked for: a route by name, a cluster by name, or both. */
interface TimerScope {
  route?: string;
  cluster?: string;
}

function configured(id: string, name: string, ms: number, source: Timer['origin'], field: string, flags: string[], idleOnly = false): Timer {
  return { id, name, owner: 'envoy', ms, flags, idleOnly, origin: source, source: field };
}

/**
 * The snapshot's own timers on the way of a route or cluster: the route's `timeout`, `idle_timeout` and
 * `max_stream_duration`, the `stream_idle_timeout` of the connection managers serving it (unless the route's
 * `idle_timeout` overrides it), their `common_http_protocol_options` idle_timeout, max_connection_duration and
 * max_stream_duration (unless the route's overrides it), and the cluster's idle_timeout, max_connection_duration and
 * max_stream_duration. Disabled timers (0) are left out; defaults are marked as such. max_connection_duration is
 * marked `idleOnly`: it drains, and an open upgraded session outlives it.
 */
export function configuredTimers(s: Snapshot, scope: TimerScope): Timer[] {
  const out: Timer[] = [];
  const route = scope.route !== undefined ? s.routes.find((r) => r.name === scope.route) : undefined;
  if (route) {
    const where = `route ${route.name}`;
    if (route.timeoutMs.value > 0) {
      out.push(
        configured(
          'route-timeout',
          `route timeout ${route.timeoutMs.value} ms`,
          route.timeoutMs.value,
          route.timeoutMs.source,
          `${where} RouteAction.timeout`,
          ['UT'],
        ),
      );
    }
    if (route.idleTimeoutMs !== undefined && route.idleTimeoutMs > 0) {
      out.push(
        configured('route-idle-timeout', `route idle_timeout ${route.idleTimeoutMs} ms`, route.idleTimeoutMs, 'explicit', `${where} RouteAction.idle_timeout`, [
          'SI',
        ]),
      );
    }
    if (route.maxStreamDurationMs !== undefined && route.maxStreamDurationMs > 0) {
      out.push(
        configured(
          'route-max-stream-duration',
          `route max_stream_duration ${route.maxStreamDurationMs} ms`,
          route.maxStreamDurationMs,
          'explicit',
          `${where} RouteAction.max_stream_duration.max_stream_duration`,
          [],
        ),
      );
    }
    const seen = new Set<string>();
    for (const { connectionManager: cm } of managersForRouteConfig(s, route.routeConfigName)) {
      if (seen.has(cm.statPrefix)) continue;
      seen.add(cm.statPrefix);
      const hcm = `connection manager ${cm.statPrefix}`;
      const sit = cm.streamIdleTimeoutMs;
      if (route.idleTimeoutMs === undefined && sit.value > 0) {
        out.push(configured('stream-idle-timeout', `stream_idle_timeout ${sit.value} ms`, sit.value, sit.source, `${hcm} stream_idle_timeout`, ['SI']));
      }
      const idle = cm.idleTimeoutMs ?? 3_600_000;
      if (idle > 0) {
        out.push(
          configured(
            'hcm-idle-timeout',
            `connection idle_timeout ${idle} ms`,
            idle,
            cm.idleTimeoutMs === undefined ? 'envoy-default' : 'explicit',
            `${hcm} common_http_protocol_options.idle_timeout`,
            [],
            true,
          ),
        );
      }
      // max_connection_duration only drains: the connection closes once no stream is active, so an open upgraded
      // session outlives it (measured by lab/scenarios/connection-max-duration.ts on Envoy 1.36.2 and 1.40.0).
      if (cm.maxConnectionDurationMs !== undefined && cm.maxConnectionDurationMs > 0) {
        out.push(
          configured(
            'hcm-max-connection-duration',
            `max_connection_duration ${cm.maxConnectionDurationMs} ms`,
            cm.maxConnectionDurationMs,
            'explicit',
            `${hcm} common_http_protocol_options.max_connection_duration`,
            ['DT'],
            true,
          ),
        );
      }
      // A route's own max_stream_duration (0 included) replaces the connection manager's for that route.
      if (route.maxStreamDurationMs === undefined && cm.maxStreamDurationMs !== undefined && cm.maxStreamDurationMs > 0) {
        out.push(
          configured(
            'hcm-max-stream-duration',
            `max_stream_duration ${cm.maxStreamDurationMs} ms`,
            cm.maxStreamDurationMs,
            'explicit',
            `${hcm} common_http_protocol_options.max_stream_duration`,
            [],
          ),
        );
      }
    }
  }
  const clusterName = scope.cluster ?? (route?.clusters.length === 1 ? route.clusters[0] : undefined);
  const cluster = clusterName !== undefined ? s.clusters.get(clusterName) : undefined;
  if (cluster) {
    const where = `cluster ${cluster.name}`;
    const idle = cluster.idleTimeoutMs ?? 3_600_000;
    if (idle > 0) {
      out.push(
        configured(
          'cluster-idle-timeout',
          `cluster idle_timeout ${idle} ms`,
          idle,
          cluster.idleTimeoutMs === undefined ? 'envoy-default' : 'explicit',
          `${where} common_http_protocol_options.idle_timeout`,
          [],
          true,
        ),
      );
    }
    if (cluster.maxConnectionDurationMs !== undefined && cluster.maxConnectionDurationMs > 0) {
      out.push(
        configured(
          'cluster-max-connection-duration',
          `cluster max_connection_duration ${cluster.maxConnectionDurationMs} ms`,
          cluster.maxConnectionDurationMs,
          'explicit',
          `${where} common_http_protocol_options.max_connection_duration`,
          [],
          true,
        ),
      );
    }
    if (cluster.maxStreamDurationMs !== undefined && cluster.maxStreamDurationMs > 0) {
      out.push(
        configured(
          'cluster-max-stream-duration',
          `cluster max_stream_duration ${cluster.maxStreamDurationMs} ms`,
          cluster.maxStreamDurationMs,
          'explicit',
          `${where} common_http_protocol_options.max_stream_duration`,
          ['UMSDR'],
        ),
      );
    }
  }
  return out;
}

/**
 * Every timer worth matching for a route or cluster: its configured timers and the well-known ones, where Envoy's
 * well-known defaults give way to the configured values once the route was found in the config.
 */
export function candidateTimers(s: Snapshot, scope: TimerScope): Timer[] {
  const own = configuredTimers(s, scope);
  const routeKnown = scope.route !== undefined && s.routes.some((r) => r.name === scope.route);
  const external = WELL_KNOWN_TIMERS.filter((t) => !routeKnown || t.owner !== 'envoy');
  return [...own, ...external];
}
