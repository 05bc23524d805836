// The identity of a root cause across runs: its catalogue id, what it is about (entity kinds and names, sorted)
// and where (the owner of the proxies, else their namespace). Never text or numbers, which drift between runs,
// and never pod names, which change with every rollout.

import { createHash } from 'node:crypto';
import { distinctEntities, type EntityRef, type RootCause } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';

/** What a fingerprint is computed from. */
interface FingerprintInput {
  /** Root-cause catalogue id. */
  id: string;
  /** `gateway home/eg`, `deployment shop/web`, `namespace shop`, or null when the proxies' place is unknown. */
  scope: string | null;
  entities: EntityRef[];
}

/** An entity's `kind:name`, what fingerprints and sorted entity lists go by. */
const entityKey = (e: EntityRef): string => `${e.kind}:${e.name}`;

/** Entities without repeats (the first of each kept), sorted by `kind:name`. */
export function sortedEntities(entities: EntityRef[]): EntityRef[] {
  return distinctEntities(entities)
    .map((e) => ({ key: entityKey(e), e }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ e }) => e);
}

/** The stable fingerprint: 16 hex digits of a SHA-256 over id, scope and sorted entities. */
export function fingerprint(input: FingerprintInput): string {
  const text = JSON.stringify([input.id, input.scope, sortedEntities(input.entities).map(entityKey)]);
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Where a root cause was seen: the owner of its proxies, else their namespace, else null. */
export function scopeOf(r: Pick<RootCause, 'snapshot' | 'seenOn'>, snapshots: Pick<Snapshot, 'id' | 'owner' | 'namespace'>[]): string | null {
  const byId = new Map(snapshots.map((s) => [s.id, s]));
  for (const id of [r.snapshot, ...r.seenOn]) {
    const s = byId.get(id);
    if (s?.owner) return s.owner;
  }
  for (const id of [r.snapshot, ...r.seenOn]) {
    const s = byId.get(id);
    if (s?.namespace) return `namespace ${s.namespace}`;
  }
  return null;
}

/** The scope a snapshot gives its root causes (see `scopeOf`). */
export function scopeOfSnapshot(s: Pick<Snapshot, 'owner' | 'namespace'>): string | null {
  return s.owner ?? (s.namespace ? `namespace ${s.namespace}` : null);
}
