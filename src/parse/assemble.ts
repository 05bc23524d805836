// Joining a parsed config and stats samples into one snapshot.

import type { ParsedConfig } from './config-dump.ts';
import { countersReset } from './counters-reset.ts';
import type { KnownEntities } from './stat-names.ts';
import type { Flavor, Snapshot, SnapshotInputs, StatsSample } from '../model/snapshot.ts';

/** Entity names from a config, so stats names with dots split exactly. */
export function knownEntities(config: ParsedConfig | undefined): KnownEntities {
  if (!config) return {};
  const http = new Set<string>();
  const tcp = new Set<string>();
  for (const l of config.listeners) {
    for (const fc of l.filterChains) {
      if (fc.connectionManager) http.add(fc.connectionManager.statPrefix);
      if (fc.tcpProxy) tcp.add(fc.tcpProxy.statPrefix);
    }
  }
  return {
    cluster: new Set([...config.clusters.values()].map((c) => c.statName)),
    http,
    listener: new Set(config.listeners.map((l) => l.address)),
    tcp,
  };
}

/** Flavor guessed from stats alone (no config dump). */
function flavorFromStats(stats: StatsSample | undefined): Flavor {
  if (!stats) return 'envoy';
  for (const name of stats.clusters.keys()) {
    if (/^(httproute|grpcroute|tcproute|tlsroute|udproute)\//.test(name)) return 'envoy-gateway';
    if (/^(outbound|inbound)\|/.test(name)) return 'istio';
  }
  return 'envoy';
}

/** Parts of a snapshot. */
interface SnapshotParts {
  id: string;
  config?: ParsedConfig;
  stats?: StatsSample;
  statsLater?: StatsSample;
  intervalSeconds?: number;
  inputs: SnapshotInputs;
}

/** Builds a snapshot; with no config the topology is empty and config-based analyzers report unknown. */
export function assembleSnapshot(parts: SnapshotParts): Snapshot {
  const { config } = parts;
  const snapshot: Snapshot = {
    id: config?.id ?? parts.id,
    flavor: config?.flavor ?? flavorFromStats(parts.stats),
    inputs: parts.inputs,
    clusters: config?.clusters ?? new Map(),
    listeners: config?.listeners ?? [],
    routes: config?.routes ?? [],
  };
  if (config?.namespace !== undefined) snapshot.namespace = config.namespace;
  if (config?.envoyVersion !== undefined) snapshot.envoyVersion = config.envoyVersion;
  if (config?.statsConfig !== undefined) snapshot.statsConfig = config.statsConfig;
  if (config?.overloadManager !== undefined) snapshot.overloadManager = config.overloadManager;
  if (config?.node !== undefined) snapshot.node = config.node;
  if (config && config.rejectedListeners.length > 0) snapshot.rejectedListeners = config.rejectedListeners;
  const reset = parts.stats && parts.statsLater ? countersReset(parts.stats, parts.statsLater) : undefined;
  if (reset) {
    // The change between the samples means nothing: the later sample alone is read.
    snapshot.stats = parts.statsLater as StatsSample;
    snapshot.countersReset = reset;
    return snapshot;
  }
  if (parts.stats) snapshot.stats = parts.stats;
  if (parts.statsLater) snapshot.statsLater = parts.statsLater;
  if (parts.intervalSeconds !== undefined) snapshot.intervalSeconds = parts.intervalSeconds;
  return snapshot;
}
