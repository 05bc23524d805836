// Accumulates stats from any of Envoy's three /stats formats into one entity-keyed sample.

import type { Histogram, StatsSample } from '../model/snapshot.ts';
import { entityStats } from '../model/stats-view.ts';
import { type KnownEntities, type StatEntityKind, splitStatName, statKey } from './stat-names.ts';

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

/** Builds a `StatsSample` one stat at a time. */
export class StatsBuilder {
  readonly sample: StatsSample;
  private readonly known: KnownEntities;
  /** Every distinct name once, as a flat copy: names cut from lines would keep whole lines (or chunks) alive. */
  private readonly names = new Map<string, string>();

  /** The one flat copy of `name` this builder keeps: safe to hold for as long as the sample lives. */
  intern(name: string): string {
    let flat = this.names.get(name);
    if (flat === undefined) {
      flat = Buffer.from(name, 'utf8').toString('utf8');
      this.names.set(flat, flat);
    }
    return flat;
  }

  constructor(format: StatsSample['format'], known: KnownEntities = {}) {
    this.known = known;
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
    this.sample.count++;
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
    this.addEntity(split.kind, split.entity, split.stat, value);
  }

  /** Adds a stat already split by entity (Prometheus labels). */
  addEntity(kind: StatEntityKind, entity: string, stat: string, value: number): void {
    getOrCreate(entityStats(this.sample, kind), entity, () => new Map<string, number>(), (e) => this.intern(e)).set(this.intern(stat), value);
  }

  /** Adds a per-user-agent connection manager stat (`http.<prefix>.user_agent.<ua>.<stat>`). */
  addUserAgent(prefix: string, agent: string, stat: string, value: number): void {
    const agents = getOrCreate(this.sample.userAgents, prefix, () => new Map<string, Map<string, number>>(), (e) => this.intern(e));
    getOrCreate(agents, agent, () => new Map<string, number>(), (e) => this.intern(e)).set(this.intern(stat), value);
  }

  /** Adds a stat that belongs to no entity the analyzers read, by a canonical name. */
  addOther(name: string, value: number): void {
    this.sample.other.set(this.intern(name), value);
  }

  /** Adds a histogram by its full Envoy name. */
  addHistogramNamed(name: string, histogram: Histogram): void {
    this.sample.count++;
    const split = splitStatName(name, this.known);
    this.sample.histograms.set(this.intern(split ? histogramKey(split.kind, split.entity, split.stat) : histogramKey('other', '', statKey(name))), histogram);
  }

  /** Adds a histogram already split by entity. */
  addHistogram(key: string, histogram: Histogram): void {
    this.sample.histograms.set(this.intern(key), histogram);
  }

  /** Counts one stat value read (used by formats that add through addEntity). */
  countValue(): void {
    this.sample.count++;
  }
}
