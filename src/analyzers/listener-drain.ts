// Listener updates that drain connections. A listener update that cannot be applied to its filter chains alone
// replaces the listener and drains the old one; a filter-chain-only update drains the changed chains
// (docs/root/intro/arch_overview/listeners/listener_filters.rst "filter chain only update";
// source/common/listener_manager/listener_manager_impl.cc). Draining HTTP/1.1 connections close after their next
// response, but an upgraded WebSocket has none: it stays until the drain time (`--drain-time-s`, 600 s in Envoy,
// 60 s as Envoy Gateway starts Envoy, internal/infrastructure/common/proxy_args.go) ends, then is closed with flag DC
// and details `filter_chain_is_being_removed` when its filter chain was drained (envoyproxy/gateway#8889, #6716), or
// `purging_socket_that_have_not_progressed_to_connections` when its whole listener was replaced
// (source/common/listener_manager/active_tcp_listener.cc, ~ActiveTcpListener closes what is left; both measured by
// lab/scenarios/listener-drain.ts on Envoy 1.36.2 and 1.40.0). Stats: `listener_manager.
// listener_modified`, `listener_removed`, `listener_in_place_updated`, gauges `total_listeners_draining`,
// `total_filter_chains_draining` (docs/root/configuration/listeners/stats.rst).

import type { AccessLogEntry } from '../model/access-log.ts';
import { findingType } from '../model/catalogue-entry.ts';
import { HTTP_STATS, SERVER_STATS, type ServerStat } from '../model/envoy-stats.ts';
import type { Finding, Severity } from '../model/finding.ts';
import type { Snapshot, StatsSample } from '../model/snapshot.ts';
import { latestSample, stat, windowSeconds } from '../model/stats-view.ts';
import { connectionManagers, webSocketListeners } from '../model/topology.ts';
import { defineAnalyzer, finding } from './analyzer.ts';

/** Evidence of listener updates and drains on a proxy that holds long-lived connections. */
interface ListenersDrained {
  listenerModified?: number;
  listenerRemoved?: number;
  inPlaceUpdated?: number;
  windowUpdates?: number;
  windowSeconds?: number;
  listenersDraining?: number;
  filterChainsDraining?: number;
  drainingInConfig: number;
  upgradesActive?: number;
  websocketListeners: string;
  drainSeconds: number;
  logDrainCloses?: number;
  logDrainUpgrades?: number;
}

/** Listener updates that drain connections, listeners or filter chains draining, or connections closed by a drain. */
const LISTENERS_DRAINED = findingType<ListenersDrained>()(
  'listeners-drained',
  'Listener updates drain connections',
  '{listenerModified} {listenerModified|listener update|listener updates} ({inPlaceUpdated} of them filter-chain only) and {listenerRemoved} {listenerRemoved|removal|removals}[? ({windowUpdates} in {windowSeconds})]; {listenersDraining} {listenersDraining|listener|listeners} and {filterChainsDraining} {filterChainsDraining|filter chain|filter chains} draining now[?; {logDrainCloses} {logDrainCloses|connection|connections} closed by drains in the access log ({logDrainUpgrades} upgraded)]',
);

/**
 * Listener-manager counters that count an update which drains connections. `listener_modified` counts every update,
 * filter-chain-only ones included (`listener_in_place_updated` is a subset of it, reported on its own), so the two are
 * never added (source/common/listener_manager/listener_manager_impl.cc addOrUpdateListenerInternal).
 */
const UPDATE_COUNTERS = [SERVER_STATS.listenerModified, SERVER_STATS.listenerRemoved] as const;

export const meta = defineAnalyzer({
  id: 'listener-drain',
  title: 'Listener updates that drain long-lived connections',
  reads: ['config', 'stats', 'stats-later', 'access-log'],
  stats: {
    http: [HTTP_STATS.cxUpgradesActive],
    server: [...UPDATE_COUNTERS, SERVER_STATS.listenerInPlaceUpdated, SERVER_STATS.totalListenersDraining, SERVER_STATS.totalFilterChainsDraining],
  },
  findings: [LISTENERS_DRAINED],
});

/**
 * The close details Envoy logs for connections closed when the drain time ends: their filter chain drained away
 * (a filter-chain-only update), or their whole listener replaced or removed.
 */
const DRAIN_CLOSE_DETAILS = ['filter_chain_is_being_removed', 'purging_socket_that_have_not_progressed_to_connections'] as const;

/** Whether an access-log entry is a connection Envoy closed when its drained filter chain or listener went away. */
export function closedByDrain(e: Pick<AccessLogEntry, 'responseCodeDetails' | 'connectionTerminationDetails'>): boolean {
  const details = `${e.responseCodeDetails ?? ''} ${e.connectionTerminationDetails ?? ''}`;
  return DRAIN_CLOSE_DETAILS.some((d) => details.includes(d));
}

function other(sample: StatsSample | undefined, name: ServerStat): number | undefined {
  const v = sample?.other.get(name);
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

function windowOf(s: Snapshot, name: ServerStat): number | undefined {
  const before = other(s.stats, name);
  const after = other(s.statsLater, name);
  return before !== undefined && after !== undefined ? after - before : undefined;
}

/** How long draining listeners keep connections by default, by what started Envoy. */
function defaultDrainSeconds(s: Snapshot): number {
  if (s.flavor === 'envoy-gateway') return 60;
  if (s.flavor === 'istio') return 45;
  return 600;
}

export function analyze(s: Snapshot): Finding[] {
  const sample = latestSample(s);
  const wsListeners = webSocketListeners(s);
  const tunnels = s.listeners.some((l) => l.state === 'active' && l.filterChains.some((fc) => fc.tcpProxy && !fc.tls));
  if (wsListeners.length === 0 && !tunnels) return [];
  const totals = Object.fromEntries(UPDATE_COUNTERS.map((c) => [c, other(sample, c)]));
  const inPlaceUpdated = other(sample, SERVER_STATS.listenerInPlaceUpdated);
  const windows = s.statsLater ? Object.fromEntries(UPDATE_COUNTERS.map((c) => [c, windowOf(s, c)])) : {};
  const windowUpdates =
    s.statsLater && UPDATE_COUNTERS.every((c) => windows[c] !== undefined) ? UPDATE_COUNTERS.reduce((n, c) => n + (windows[c] ?? 0), 0) : undefined;
  const listenersDraining = other(sample, SERVER_STATS.totalListenersDraining);
  const filterChainsDraining = other(sample, SERVER_STATS.totalFilterChainsDraining);
  const drainingInConfig = s.listeners.filter((l) => l.state === 'draining').length;
  let upgradesActive: number | undefined;
  for (const prefix of new Set(connectionManagers(s).map((m) => m.connectionManager.statPrefix))) {
    const v = stat(s, 'http', prefix, HTTP_STATS.cxUpgradesActive);
    if (v !== undefined) upgradesActive = (upgradesActive ?? 0) + v;
  }
  let logDrainCloses: number | undefined;
  let logDrainUpgrades: number | undefined;
  if (s.accessLog) {
    const drained = s.accessLog.entries.filter(closedByDrain);
    logDrainCloses = drained.length;
    logDrainUpgrades = drained.filter((e) => e.responseCode === 101).length;
  }
  const updates = UPDATE_COUNTERS.reduce((n, c) => n + (totals[c] ?? 0), 0);
  const drainingNow = (listenersDraining ?? 0) + (filterChainsDraining ?? 0) + drainingInConfig;
  if (updates === 0 && drainingNow === 0 && (logDrainCloses ?? 0) === 0) return [];
  let severity: Severity = 'info';
  if ((logDrainUpgrades ?? 0) > 0 || ((windowUpdates ?? 0) > 0 && (upgradesActive ?? 0) > 0)) severity = 'error';
  else if ((logDrainCloses ?? 0) > 0 || (drainingNow > 0 && (upgradesActive ?? 0) > 0)) severity = 'warning';
  return [
    finding(
      s,
      LISTENERS_DRAINED,
      severity,
      { kind: 'proxy', name: s.id },
      {
        listenerModified: totals[SERVER_STATS.listenerModified],
        listenerRemoved: totals[SERVER_STATS.listenerRemoved],
        inPlaceUpdated,
        windowUpdates,
        windowSeconds: windowSeconds(s, windowUpdates),
        listenersDraining,
        filterChainsDraining,
        drainingInConfig,
        upgradesActive,
        websocketListeners: wsListeners.map((l) => l.listener.name).join(','),
        drainSeconds: defaultDrainSeconds(s),
        logDrainCloses,
        logDrainUpgrades,
      },
    ),
  ];
}
