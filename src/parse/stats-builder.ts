// Accumulates stats from any of Envoy's three /stats formats into one entity-keyed sample.

import type { Histogram, StatsSample } from '../model/snapshot.ts';
import { entityStats, statKey } from '../model/stats-view.ts';
import { ListedInOrder } from './listed-in-order.ts';
import { type KnownEntities, type SplitName, type StatEntityKind, STAT_PREFIX, splitStatName, statTailFits } from './stat-names.ts';

/** Key of a histogram in `StatsSample.histograms`: `<kind>|<entity>|<stat>`, or `other|<full name>`. */
export function histogramKey(kind: StatEntityKind | 'other', entity: string, stat: string): string {
  return `${kind}|${entity}|${stat}`;
}

function getOrCreate<K, V>(map: Map<K, V>, key: K, make: () => V, keep: (key: K) => K = (k) => k): V {
  let v = map.get(key);
  if (v === undefined) {
    v = make();
    map.set(keep(key), v);
  }
  return v;
}

/** A stat tail (`circuit_breakers.default.cx_open`) as kept, and its key in the model. */
interface Tail {
  tail: string;
  key: string;
}

/**
 * The entity the last named stat went to. Envoy lists an entity's stats one after another (sorted by name), so the
 * next name usually starts with the same `<kind>.<entity>.` and only its tail needs reading; and the next entity of
 * the same kind usually lists the same tails in the same order, so the tail can be checked in place, not cut out.
 */
interface EntityRun {
  kind: StatEntityKind;
  entity: string;
  /** `cluster.<entity>.` */
  prefix: string;
  /** `cluster|<entity>|`: the start of its histograms' keys. */
  histogramPrefix: string;
  /** Its counters and gauges, once it has one (an entity with histograms only has none). */
  stats: Map<string, number> | undefined;
  /**
   * True when the entity is known from the config: then every name starting with the prefix splits there. An entity
   * found by its stat family splits there only when the tail is a stat of the family, the entity has no dot and no
   * entity of its kind is known (otherwise `splitStatName` decides).
   */
  exact: boolean;
}

/**
 * Which stats of an entity a sample keeps, by model key (`circuit_breakers_default_cx_open`): the ones the diagnosis
 * reads. The others are counted in `count` and let go; the entity is kept even when none of its stats is.
 */
export interface KeptStats {
  has(kind: StatEntityKind, key: string): boolean;
  /** Per-user-agent stats of a connection manager (`downstream_cx_total`). */
  hasUserAgent(key: string): boolean;
}

/** Builds a `StatsSample` one stat at a time. */
export class StatsBuilder {
  readonly sample: StatsSample;
  private readonly known: KnownEntities;
  private readonly kept: KeptStats | undefined;
  /** Every distinct name once, as a flat copy: names cut from lines would keep whole lines (or chunks) alive. */
  private readonly names = new Map<string, string>();
  /** Every distinct stat tail and its key. */
  private readonly tails = new Map<string, Tail>();
  private run: EntityRun | undefined;
  /** The current run's tails, and those it expects: the last run's of its kind. */
  private readonly tailOrder = new ListedInOrder<StatEntityKind, Tail>();

  /** The one flat copy of `name` this builder keeps: safe to hold for as long as the sample lives. */
  intern(name: string): string {
    let flat = this.names.get(name);
    if (flat === undefined) {
      flat = Buffer.from(name, 'utf8').toString('utf8');
      this.names.set(flat, flat);
    }
    return flat;
  }

  constructor(format: StatsSample['format'], known: KnownEntities = {}, kept?: KeptStats) {
    this.known = known;
    this.kept = kept;
    this.sample = {
      format,
      clusters: new Map(),
      connectionManagers: new Map(),
      userAgents: new Map(),
      listeners: new Map(),
      tcpProxies: new Map(),
      other: new Map(),
      histograms: new Map(),
      count: 0,
    };
  }

  /** Adds a counter or gauge by its full Envoy name (text and JSON formats). */
  addNamed(name: string, value: number): void {
    this.addNamedIn(name, 0, name.length, value);
  }

  /**
   * Adds a counter or gauge whose full Envoy name is `text[start, end)`. The same as `addNamed(text.slice(start, end))`,
   * but a name that continues the last entity is read in place.
   */
  addNamedIn(text: string, start: number, end: number, value: number): void {
    this.sample.count++;
    let tail = this.continueRun(text, start, end);
    if (tail !== undefined) {
      this.setRunStat(this.run as EntityRun, tail, value);
      return;
    }
    const name = start === 0 && end === text.length ? text : text.slice(start, end);
    const split = splitStatName(name, this.known);
    if (!split) {
      this.sample.other.set(this.intern(name), value);
      return;
    }
    if (split.kind === 'http' && split.stat.startsWith('user_agent_')) {
      const m = /^user_agent_([^_]+)_(.+)$/.exec(split.stat);
      if (m) {
        this.addUserAgent(split.entity, m[1] as string, m[2] as string, value);
        return;
      }
    }
    tail = this.startRun(split, name);
    if (tail !== undefined) this.setRunStat(this.run as EntityRun, tail, value);
    else this.addEntity(split.kind, split.entity, split.stat, value);
  }

  /** Adds a histogram whose full Envoy name is `text[start, end)`, as `addHistogramNamed` does. */
  addHistogramIn(text: string, start: number, end: number, histogram: Histogram): void {
    this.sample.count++;
    let tail = this.continueRun(text, start, end);
    if (tail === undefined) {
      const name = start === 0 && end === text.length ? text : text.slice(start, end);
      const split = splitStatName(name, this.known);
      tail = split && this.startRun(split, name);
      if (tail === undefined) {
        if (split && this.kept?.has(split.kind, split.stat) === false) return;
        this.sample.histograms.set(
          this.intern(split ? histogramKey(split.kind, split.entity, split.stat) : histogramKey('other', '', statKey(name))),
          histogram,
        );
        return;
      }
    }
    const run = this.run as EntityRun;
    if (this.kept?.has(run.kind, tail.key) === false) return;
    // Both parts are kept strings already: the key holds nothing of the text.
    this.sample.histograms.set(run.histogramPrefix + tail.key, histogram);
  }

  /** The tail of the name `text[start, end)` when the name belongs to the current run's entity. */
  private continueRun(text: string, start: number, end: number): Tail | undefined {
    const run = this.run;
    // Compared as slices: V8 compares strings with === at memory speed, and `startsWith` a character at a time.
    if (run === undefined || end - start <= run.prefix.length || text.slice(start, start + run.prefix.length) !== run.prefix) return undefined;
    const tail = text.slice(start + run.prefix.length, end);
    const next = this.tailOrder.next();
    if (next !== undefined && tail === next.tail) {
      this.tailOrder.add(next);
      return next;
    }
    if (run.kind === 'http' && tail.startsWith('user_agent')) return undefined;
    return run.exact || statTailFits(run.kind, tail) ? this.addTail(tail) : undefined;
  }

  /**
   * Makes the entity of a split name the current run, when later names can be split in place (see EntityRun.exact),
   * and returns the name's tail in it; undefined otherwise.
   */
  private startRun(split: SplitName, name: string): Tail | undefined {
    const prefix = `${STAT_PREFIX[split.kind]}${split.entity}.`;
    const tail = name.slice(prefix.length);
    if (split.kind === 'http' && tail.startsWith('user_agent')) return undefined;
    const known = this.known[split.kind];
    const exact = known?.has(split.entity) === true;
    if (!exact && (split.entity.includes('.') || (known !== undefined && known.size > 0))) return undefined;
    this.tailOrder.start(split.kind);
    // Built from the kept entity name, so neither holds the text the name was read from.
    const entity = this.intern(split.entity);
    this.run = {
      kind: split.kind,
      entity,
      prefix: `${STAT_PREFIX[split.kind]}${entity}.`,
      histogramPrefix: histogramKey(split.kind, entity, ''),
      stats: undefined,
      exact,
    };
    return this.addTail(tail);
  }

  /** Whether the sample keeps a stat of an entity (by model key). */
  keeps(kind: StatEntityKind, key: string): boolean {
    return this.kept === undefined || this.kept.has(kind, key);
  }

  /** Counts a counter or gauge of an entity that was read and not kept. */
  unkept(stats: Map<string, number>): void {
    const unkept = (this.sample.unkept ??= new WeakMap());
    unkept.set(stats, (unkept.get(stats) ?? 0) + 1);
  }

  /** Sets a counter or gauge of the run's entity, when it is kept; the entity is created either way. */
  private setRunStat(run: EntityRun, tail: Tail, value: number): void {
    const stats = this.runStats(run);
    if (this.kept === undefined || this.kept.has(run.kind, tail.key)) stats.set(tail.key, value);
    else this.unkept(stats);
  }

  /** The stats of the run's entity, created with its first counter or gauge. */
  private runStats(run: EntityRun): Map<string, number> {
    if (run.stats === undefined) run.stats = this.statsOf(run.kind, run.entity);
    return run.stats;
  }

  /** Records `tail` as the run's next tail. */
  private addTail(tail: string): Tail {
    let known = this.tails.get(tail);
    if (known === undefined) {
      const flat = this.intern(tail);
      known = { tail: flat, key: this.intern(statKey(flat)) };
      this.tails.set(flat, known);
    }
    this.tailOrder.add(known);
    return known;
  }

  /** Adds a stat already split by entity (Prometheus labels). */
  addEntity(kind: StatEntityKind, entity: string, stat: string, value: number): void {
    const stats = this.statsOf(kind, entity);
    if (this.kept === undefined || this.kept.has(kind, stat)) stats.set(this.intern(stat), value);
    else this.unkept(stats);
  }

  /** The counters and gauges of an entity, created empty when it has none yet. */
  statsOf(kind: StatEntityKind, entity: string): Map<string, number> {
    return getOrCreate(
      entityStats(this.sample, kind),
      entity,
      () => new Map<string, number>(),
      (e) => this.intern(e),
    );
  }

  /** Adds a per-user-agent connection manager stat (`http.<prefix>.user_agent.<ua>.<stat>`). */
  addUserAgent(prefix: string, agent: string, stat: string, value: number): void {
    const agents = getOrCreate(
      this.sample.userAgents,
      prefix,
      () => new Map<string, Map<string, number>>(),
      (e) => this.intern(e),
    );
    const stats = getOrCreate(
      agents,
      agent,
      () => new Map<string, number>(),
      (e) => this.intern(e),
    );
    if (this.kept === undefined || this.kept.hasUserAgent(stat)) stats.set(this.intern(stat), value);
  }

  /** Adds a stat that belongs to no entity the analyzers read, by a canonical name. */
  addOther(name: string, value: number): void {
    this.sample.other.set(this.intern(name), value);
  }

  /** Adds a histogram by its full Envoy name. */
  addHistogramNamed(name: string, histogram: Histogram): void {
    this.addHistogramIn(name, 0, name.length, histogram);
  }

  /** Adds a histogram already split by entity. */
  addHistogram(key: string, histogram: Histogram): void {
    if (this.kept) {
      const kind = key.slice(0, key.indexOf('|'));
      if (kind !== 'other' && !this.kept.has(kind as StatEntityKind, key.slice(key.lastIndexOf('|') + 1))) return;
    }
    this.sample.histograms.set(this.intern(key), histogram);
  }

  /** Counts one stat value read (used by formats that add through addEntity). */
  countValue(): void {
    this.sample.count++;
  }
}
