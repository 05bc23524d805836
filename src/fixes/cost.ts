// What a fix costs, stated beside it: a buffer limit is memory per connection, so raising it costs up to the new
// limit times the connections open through that listener or cluster (both sides of a proxied stream hold one), and
// a raised maximum stream duration still ends streams at the new age.

import type { Explanation, FixChange } from '../model/finding.ts';
import type { Snapshot, StatsSample } from '../model/snapshot.ts';

/** A gauge from the later sample when there is one (it is the newer reading), else the first. */
function gauge(s: Snapshot, pick: (sample: StatsSample) => number | undefined): number | undefined {
  for (const sample of [s.statsLater, s.stats]) {
    const v = sample ? pick(sample) : undefined;
    if (v !== undefined) return v;
  }
  return undefined;
}

/**
 * Open connections through a cluster (`upstream_cx_active`) or a listener (the `downstream_cx_active` of its
 * connection managers, which the live stats filter reads already).
 */
function openConnections(s: Snapshot, c: FixChange): number | undefined {
  if (c.kind === 'cluster-buffer-limit') {
    const statName = s.clusters.get(c.cluster)?.statName ?? c.cluster;
    return gauge(s, (x) => x.clusters.get(statName)?.get('upstream_cx_active'));
  }
  if (c.kind === 'listener-buffer-limit') {
    const prefixes = [...new Set(s.listeners.find((l) => l.name === c.listener)?.filterChains.flatMap((f) => (f.connectionManager ? [f.connectionManager.statPrefix] : [])) ?? [])];
    return gauge(s, (x) => {
      const counts = prefixes.map((p) => x.connectionManagers.get(p)?.get('downstream_cx_active'));
      return prefixes.length > 0 && counts.every((n) => n !== undefined) ? counts.reduce<number>((a, n) => a + (n as number), 0) : undefined;
    });
  }
  return undefined;
}

/** Notes on what the changes of one rendered fix cost. */
export function costNotes(s: Snapshot, changes: readonly FixChange[]): Explanation[] {
  const notes: Explanation[] = [];
  for (const c of changes) {
    if (c.kind === 'cluster-buffer-limit' || c.kind === 'listener-buffer-limit') {
      const resource = c.kind === 'cluster-buffer-limit' ? `cluster ${c.cluster}` : `listener ${c.listener}`;
      // The pods of one deployment or gateway share one fix object: a count from one pod would not be the others'.
      if (s.owner !== undefined) {
        notes.push({ code: 'buffer-raise-cost-per-pod', values: { resource, limitBytes: c.bytes } });
        continue;
      }
      const connections = openConnections(s, c);
      notes.push(
        connections === undefined
          ? { code: 'buffer-raise-cost-unknown', values: { resource, limitBytes: c.bytes } }
          : { code: 'buffer-raise-cost', values: { resource, limitBytes: c.bytes, connections, worstCaseBytes: c.bytes * connections } },
      );
    }
    if (c.kind === 'listener-max-stream-duration' && c.ms > 0) notes.push({ code: 'max-stream-duration-still-ends-streams', values: { listener: c.listener, maxStreamMs: c.ms } });
  }
  return notes;
}
