// What a fix costs, stated beside it: a buffer limit is memory per connection, so raising it costs up to the new
// limit times the connections open through that listener or cluster (both sides of a proxied stream hold one). The
// open connections are the gauges `cluster.<name>.upstream_cx_active` and `http.<stat_prefix>.downstream_cx_active`
// (source/common/upstream/upstream_impl.h ALL_CLUSTER_STATS, source/common/http/conn_manager_impl.h
// ALL_HTTP_CONN_MAN_STATS). Each fix kind states its own cost (src/fixes/kinds/).

import { noteType } from '../model/catalogue-entry.ts';
import { CLUSTER_STATS, HTTP_STATS } from '../model/envoy-stats.ts';
import type { EvidenceValue, Explanation } from '../model/finding.ts';
import type { Snapshot, StatsSample } from '../model/snapshot.ts';
import { listenerByName } from '../model/topology.ts';
import { note } from './fix-kind.ts';

/** The buffer limit raised, and the resource it is raised on. */
interface Raise {
  resource: EvidenceValue;
  limitBytes: EvidenceValue;
}

const RAISE_COST = noteType<Raise & { worstCaseBytes: EvidenceValue; connections: EvidenceValue }>()(
  'buffer-raise-cost',
  "a buffer limit is per connection: {limitBytes} on {resource} costs up to {worstCaseBytes} with its {connections} open connections if all fill at once (a proxied stream holds one on the listener side and one on the cluster side). Envoy's overload manager, where one watches the heap, stops accepting connections or requests and can reset the streams that buffer most (envoy.overload_actions.reset_high_memory_stream): these long-lived ones first",
);
const RAISE_COST_UNKNOWN = noteType<Raise>()(
  'buffer-raise-cost-unknown',
  "a buffer limit is per connection: {limitBytes} on {resource} costs up to that much per open connection (the stats gave no count of them), on the listener side and the cluster side of each proxied stream. Envoy's overload manager, where one watches the heap, stops accepting connections or requests and can reset the streams that buffer most (envoy.overload_actions.reset_high_memory_stream)",
);
const RAISE_COST_PER_POD = noteType<Raise>()(
  'buffer-raise-cost-per-pod',
  "a buffer limit is per connection: {limitBytes} on {resource} costs up to that much per connection open through it on each proxy it was seen on (their stats give each one's count), on the listener side and the cluster side of each proxied stream. Envoy's overload manager, where one watches the heap, stops accepting connections or requests and can reset the streams that buffer most (envoy.overload_actions.reset_high_memory_stream)",
);

/** The note types of the costs stated here. */
export const NOTE_TYPES = [RAISE_COST, RAISE_COST_UNKNOWN, RAISE_COST_PER_POD];

/** A gauge from the later sample when there is one (it is the newer reading), else the first. */
function gauge(s: Snapshot, pick: (sample: StatsSample) => number | undefined): number | undefined {
  for (const sample of [s.statsLater, s.stats]) {
    const v = sample ? pick(sample) : undefined;
    if (v !== undefined) return v;
  }
  return undefined;
}

/** Open connections through a cluster (`upstream_cx_active`). */
export function clusterConnections(s: Snapshot, cluster: string): number | undefined {
  const statName = s.clusters.get(cluster)?.statName ?? cluster;
  return gauge(s, (x) => x.clusters.get(statName)?.get(CLUSTER_STATS.cxActive));
}

/** Open connections through a listener: the `downstream_cx_active` of its connection managers. */
export function listenerConnections(s: Snapshot, listener: string): number | undefined {
  const prefixes = [...new Set(listenerByName(s, listener)?.filterChains.flatMap((f) => (f.connectionManager ? [f.connectionManager.statPrefix] : [])) ?? [])];
  return gauge(s, (x) => {
    const counts = prefixes.map((p) => x.connectionManagers.get(p)?.get(HTTP_STATS.cxActive));
    return prefixes.length > 0 && counts.every((n) => n !== undefined) ? counts.reduce<number>((a, n) => a + (n as number), 0) : undefined;
  });
}

/** The cost of raising a buffer limit on a resource (`cluster <name>`, `listener <name>`) to `bytes`. */
export function bufferRaiseCost(s: Snapshot, resource: string, bytes: number, connections: () => number | undefined): Explanation[] {
  // The pods of one deployment or gateway share one fix object: a count from one pod would not be the others'.
  if (s.owner !== undefined) return [note(RAISE_COST_PER_POD, { resource, limitBytes: bytes })];
  const open = connections();
  return [
    open === undefined
      ? note(RAISE_COST_UNKNOWN, { resource, limitBytes: bytes })
      : note(RAISE_COST, { resource, limitBytes: bytes, connections: open, worstCaseBytes: bytes * open }),
  ];
}
