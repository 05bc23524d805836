// Envoy lists stats in a steady order: every entity of a kind lists the same stat tails in the same order, and every
// Prometheus family of a kind lists the same entities in the same order. A group (an entity's names, a family's
// lines) can then compare each item with the one the last group of its kind had at that place, instead of looking
// it up. Used by the stats parsers (stats-builder.ts, stats-prometheus.ts).

/** The items of the current group, and the items it is expected to list: those of the last group of its kind. */
export class ListedInOrder<K, T> {
  private readonly lastOfKind = new Map<K, T[]>();
  private kind: K | undefined;
  private items: T[] = [];
  private expected: T[] = [];
  private matched = 0;

  /** Starts a group of `kind`; the group before it, if it listed anything, is what the next group of its kind expects. */
  start(kind: K): void {
    if (this.kind !== undefined && this.items.length > 0) this.lastOfKind.set(this.kind, this.items);
    this.kind = kind;
    this.items = [];
    this.expected = this.lastOfKind.get(kind) ?? [];
    this.matched = 0;
  }

  /** The item the current group is expected to list next; undefined past the last group's items. */
  next(): T | undefined {
    return this.expected[this.matched];
  }

  /** Records the current group's next item, and keeps its place among the expected items. */
  add(item: T): void {
    this.items.push(item);
    // An item this group has and the last one did not, or the other way round: find the place again a little ahead.
    for (let i = this.matched; i < this.expected.length && i < this.matched + 4; i++) {
      if (this.expected[i] === item) {
        this.matched = i + 1;
        return;
      }
    }
  }
}
