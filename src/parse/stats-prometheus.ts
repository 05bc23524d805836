// Envoy's /stats/prometheus (source/server/admin/prometheus_stats.cc) read line by line into the stats sample. How a
// sample's name and labels map back to Envoy's entities and stat names is in stats-prometheus-names.ts; the syntax of
// a line, in stats-prometheus-line.ts.

import type { Histogram } from '../model/snapshot.ts';
import { plainDecimal } from './decimal.ts';
import { ListedInOrder } from './listed-in-order.ts';
import { eachLine, type RejectedLine, rejectedLine } from './lines.ts';
import { histogramKey, type StatsBuilder } from './stats-builder.ts';
import { statKey } from '../model/stats-view.ts';
import type { StatEntityKind } from './stat-names.ts';
import { entityLabelPrefix, labelAndValue, parseLabels, promNumber, tailClose } from './stats-prometheus-line.ts';
import { locate } from './stats-prometheus-names.ts';

const HISTOGRAM_SUFFIXES = [
  ['bucket', '_bucket'],
  ['sum', '_sum'],
  ['count', '_count'],
] as const;

/** An entity's name as kept, and its stats. */
interface EntityEntry {
  entity: string;
  stats: Map<string, number>;
}

/** A family's sample lines up to the entity label's value (`name{code="200",envoy_cluster_name="`) and their stat. */
interface Family {
  prefix: string;
  kind: StatEntityKind;
  stat: string;
  /** Whether the sample keeps this stat (StatsBuilder.keeps). */
  kept: boolean;
}

/** Streaming parser for Prometheus text exposition. */
export class PrometheusStatsParser {
  private readonly types = new Map<string, string>();
  private histogramTypes = 0;
  /** Where the parts of a histogram the sample does not keep are read. */
  private readonly scratch: Histogram = { quantiles: [], buckets: { le: [], count: [] } };
  private readonly into: StatsBuilder;
  /**
   * The last bucket line up to its `le="` (Envoy writes `le` last) and its histogram: the buckets of a histogram come
   * one after another, so the next line with the same start only needs its bound and count read.
   */
  private lastBucket: { prefix: string; histogram: Histogram } | undefined;
  /**
   * The family of the last sample line whose entity label comes last: Envoy writes a family's samples one after
   * another, so the next one only needs its entity and value read.
   */
  private lastSample: Family | undefined;
  /** The last family's entities, and those it expects: the family before it of its kind listed the same, in order. */
  private readonly entityOrder = new ListedInOrder<StatEntityKind, EntityEntry>();
  /** Every entity seen, by kind and name. */
  private readonly entities = new Map<StatEntityKind, Map<string, EntityEntry>>();

  constructor(into: StatsBuilder) {
    this.into = into;
  }

  /** Lines that are samples or comments, and non-empty lines that are neither. */
  parsed = 0;
  rejected = 0;
  /** Lines read so far, empty ones included. */
  lines = 0;
  /** The first line that is neither a sample nor a comment: its number (from 1) and text. */
  firstRejected?: RejectedLine;

  /**
   * Parses a window of whole lines (see `lineWindows`). A sample or bucket line that continues the previous line's
   * family or histogram, most of any capture, is read in place; every other line goes through `line`.
   */
  window(text: string): void {
    this.lines += eachLine(text, (at, end) => {
      if (this.continued(text, at, end) || this.line(text.slice(at, end))) this.parsed++;
      else {
        this.rejected++;
        this.firstRejected ??= rejectedLine(text, at, end, this.lines);
      }
    });
  }

  /**
   * Reads the line `text[at, end)` in place when it continues the previous line's histogram (a bucket) or family
   * (a sample with one entity label), laid out as Envoy writes it with a plain decimal value; false to read it whole.
   * Whatever it reads, `line` would read the same.
   */
  private continued(text: string, at: number, end: number): boolean {
    const bucket = this.lastBucket;
    if (bucket !== undefined && end - at > bucket.prefix.length && text.slice(at, at + bucket.prefix.length) === bucket.prefix) {
      const from = at + bucket.prefix.length;
      const close = tailClose(text, from, end);
      const le = close < 0 ? Number.NaN : plainDecimal(text, from, close);
      const value = close < 0 ? Number.NaN : plainDecimal(text, close + 3, end);
      if (!Number.isNaN(le) && !Number.isNaN(value)) {
        bucket.histogram.buckets.le.push(le);
        bucket.histogram.buckets.count.push(value);
        return true;
      }
      return false;
    }
    const sample = this.lastSample;
    if (sample !== undefined && end - at > sample.prefix.length && text.slice(at, at + sample.prefix.length) === sample.prefix) {
      const from = at + sample.prefix.length;
      const close = tailClose(text, from, end);
      const value = close < 0 ? Number.NaN : plainDecimal(text, close + 3, end);
      return !Number.isNaN(value) && this.addSample(sample, text, from, close, value);
    }
    return false;
  }

  /** Adds the sample whose entity is `text[from, close)` to its family; false when the entity needs unescaping. */
  private addSample(family: Family, text: string, from: number, close: number, value: number): boolean {
    let entry = this.entityOrder.next();
    if (entry === undefined || close - from !== entry.entity.length || text.slice(from, close) !== entry.entity) {
      const label = text.slice(from, close);
      if (label.includes('\\')) return false;
      entry = this.entryOf(family.kind, label);
    }
    this.entityOrder.add(entry);
    this.into.countValue();
    if (family.kept) entry.stats.set(family.stat, value);
    else this.into.unkept(entry.stats);
    return true;
  }

  /** The entry of an entity, its stats created when it has none yet. */
  private entryOf(kind: StatEntityKind, entity: string): EntityEntry {
    let byName = this.entities.get(kind);
    if (byName === undefined) this.entities.set(kind, (byName = new Map()));
    let entry = byName.get(entity);
    if (entry === undefined) {
      const kept = this.into.intern(entity);
      entry = { entity: kept, stats: this.into.statsOf(kind, kept) };
      byName.set(kept, entry);
    }
    return entry;
  }

  /** Parses one line; false when the line is neither a comment nor a sample. */
  line(raw: string): boolean {
    const line = raw.trim();
    if (line === '') return true;
    if (this.lastBucket && line.startsWith(this.lastBucket.prefix) && this.nextBucket(line, this.lastBucket)) return true;
    if (this.lastSample && line.startsWith(this.lastSample.prefix) && this.nextSample(line, this.lastSample)) return true;
    if (line.startsWith('#')) {
      const m = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(line);
      if (m) {
        // Interned: a name cut from the line would keep the text it was decoded from alive.
        this.types.set(this.into.intern(m[1] as string), this.into.intern(m[2] as string));
        if (m[2] === 'histogram') this.histogramTypes++;
      }
      return true;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/.exec(line);
    if (!m) return false;
    const name = m[1] as string;
    const labels = m[2] === undefined ? new Map<string, string>() : parseLabels(m[2]);
    if (!labels) return false;
    const value = promNumber(m[3] as string);
    if (Number.isNaN(value) && !/^nan$/i.test(m[3] as string)) return false;
    const histogramPart = this.histogramPart(name);
    if (histogramPart) {
      const h = this.addHistogramPart(histogramPart.base, histogramPart.part, labels, value);
      const le = line.lastIndexOf(',le="');
      this.lastBucket = histogramPart.part === 'bucket' && le > 0 ? { prefix: line.slice(0, le + 5), histogram: h } : undefined;
      return true;
    }
    this.lastBucket = undefined;
    const located = locate(name, labels);
    const prefix =
      located.kind !== 'other' && located.agent === undefined && located.label !== undefined
        ? entityLabelPrefix(line, located.label, located.entity)
        : undefined;
    this.lastSample = undefined;
    if (prefix !== undefined && located.kind !== 'other') {
      const family: Family = { prefix, kind: located.kind, stat: this.into.intern(located.stat), kept: this.into.keeps(located.kind, located.stat) };
      this.lastSample = family;
      this.entityOrder.start(located.kind);
      const entry = this.entryOf(located.kind, located.entity);
      this.entityOrder.add(entry);
      this.into.countValue();
      if (family.kept) entry.stats.set(family.stat, value);
      else this.into.unkept(entry.stats);
      return true;
    }
    this.into.countValue();
    if (located.kind === 'other') this.into.addOther(located.stat, value);
    else if (located.agent !== undefined) this.into.addUserAgent(located.entity, located.agent, located.stat, value);
    else this.into.addEntity(located.kind, located.entity, located.stat, value);
    return true;
  }

  /** Reads a sample of the family the previous line belonged to; false to parse it in full instead. */
  private nextSample(line: string, family: Family): boolean {
    const from = family.prefix.length;
    const tail = labelAndValue(line, from);
    return tail !== undefined && this.addSample(family, line, from, from + tail.label.length, tail.value);
  }

  /** Reads a bucket line of the histogram the previous line belonged to; false to parse it in full instead. */
  private nextBucket(line: string, last: { prefix: string; histogram: Histogram }): boolean {
    const tail = labelAndValue(line, last.prefix.length);
    if (!tail) return false;
    last.histogram.buckets.le.push(promNumber(tail.label));
    last.histogram.buckets.count.push(tail.value);
    return true;
  }

  private histogramPart(name: string): { base: string; part: 'bucket' | 'sum' | 'count' } | undefined {
    if (this.histogramTypes === 0) return undefined;
    for (const [part, suffix] of HISTOGRAM_SUFFIXES) {
      if (name.endsWith(suffix)) {
        const base = name.slice(0, -suffix.length);
        if (this.types.get(base) === 'histogram') return { base, part };
      }
    }
    return undefined;
  }

  private addHistogramPart(base: string, part: 'bucket' | 'sum' | 'count', labels: Map<string, string>, value: number): Histogram {
    const le = labels.get('le');
    labels.delete('le');
    const located = locate(base, labels);
    if (located.kind !== 'other' && !this.into.keeps(located.kind, located.stat)) {
      // Not kept: counted once (by its one _count line) and read into a scratch histogram that is emptied each time.
      if (part === 'count') this.into.countValue();
      this.scratch.buckets.le.length = 0;
      this.scratch.buckets.count.length = 0;
      return this.scratch;
    }
    const key = histogramKey(located.kind, located.entity, located.kind === 'other' ? statKey(located.stat) : located.stat);
    let h = this.into.sample.histograms.get(key);
    if (!h) {
      h = { quantiles: [], buckets: { le: [], count: [] } };
      this.into.addHistogram(key, h);
      this.into.countValue();
    }
    if (part === 'bucket' && le !== undefined) {
      h.buckets.le.push(promNumber(le));
      h.buckets.count.push(value);
    } else if (part === 'sum') h.sum = value;
    else if (part === 'count') h.count = value;
    return h;
  }
}
