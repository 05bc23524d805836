// Envoy's /stats/prometheus (source/server/admin/prometheus_stats.cc): `envoy_` + the tag-extracted name with
// dots as underscores, tags as labels (`envoy_cluster_name`, `envoy_http_conn_manager_prefix`, ...). Istio's
// Prometheus merge renames the labels without the `envoy_` prefix (`cluster_name`).
// Labels Envoy's own tags do not make (no `envoy_` prefix and none of the renamed ones) are constant labels: a
// `stats_tags` entry with a `fixed_value` (api/envoy/config/metrics/v3/stats.proto TagSpecifier), the five the Consul
// dataplane adds to every sample, or a scrape's `pod`/`namespace`. They say nothing about the stat and are dropped,
// so a sample that carries them reads like one that does not.

import type { Histogram } from '../model/snapshot.ts';
import { plainDecimal } from './decimal.ts';
import { ListedInOrder } from './listed-in-order.ts';
import { eachLine, type RejectedLine, rejectedLine } from './lines.ts';
import { histogramKey, type StatsBuilder } from './stats-builder.ts';
import { statKey } from '../model/stats-view.ts';
import type { StatEntityKind } from './stat-names.ts';

const ENTITY_FAMILIES: Array<{ prefix: string; kind: StatEntityKind; labels: string[] }> = [
  { prefix: 'envoy_cluster_', kind: 'cluster', labels: ['envoy_cluster_name', 'cluster_name'] },
  { prefix: 'envoy_http_', kind: 'http', labels: ['envoy_http_conn_manager_prefix', 'http_conn_manager_prefix'] },
  { prefix: 'envoy_listener_', kind: 'listener', labels: ['envoy_listener_address', 'listener_address'] },
  { prefix: 'envoy_tcp_', kind: 'tcp', labels: ['envoy_tcp_prefix', 'tcp_prefix'] },
];
const USER_AGENT_LABELS = ['envoy_http_user_agent', 'http_user_agent'];

/** Parses `{a="x",b="y"}` label sets with Prometheus escapes; undefined when malformed. */
export function parseLabels(text: string): Map<string, string> | undefined {
  const labels = new Map<string, string>();
  if (!text.includes('\\')) {
    // Fast path: no escapes, so every value runs to the next quote.
    const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"\s*,?/y;
    let at = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      labels.set(m[1] as string, m[2] as string);
      at = re.lastIndex;
    }
    if (text.slice(at).trim() === '') return labels;
    labels.clear();
  }
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === ',') i++;
    if (i >= text.length) break;
    const eq = text.indexOf('=', i);
    if (eq < 0 || text[eq + 1] !== '"') return undefined;
    const key = text.slice(i, eq).trim();
    let value = '';
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\' && j + 1 < text.length) {
        j++;
        value += text[j] === 'n' ? '\n' : text[j];
      } else value += text[j];
    }
    if (j >= text.length) return undefined;
    labels.set(key, value);
    i = j + 1;
  }
  return labels;
}

function promNumber(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** Labels without the `envoy_` prefix that still come from Envoy's tags (Istio's renames, Envoy Gateway's priority). */
const RENAMED_TAGS = new Set(['response_code', 'response_code_class', 'priority']);

/** True for a label Envoy's tags did not make: a constant label, which is dropped. */
function isConstantLabel(name: string): boolean {
  return !name.startsWith('envoy_') && !RENAMED_TAGS.has(name);
}

/** The stat key for labels beyond the entity's: response codes fold back into Envoy's names, constant labels go. */
function withExtraLabels(stat: string, extra: Map<string, string>): string {
  if (extra.size === 0) return stat;
  let out = stat;
  const rest: string[] = [];
  for (const [k, v] of [...extra].sort(([a], [b]) => a.localeCompare(b))) {
    if (isConstantLabel(k)) continue;
    // Envoy Gateway >= 1.7 tags circuit breaker gauges with their priority: fold it back to Envoy's name.
    if (k === 'priority' && out.startsWith('circuit_breakers_')) out = `circuit_breakers_${v}_${out.slice('circuit_breakers_'.length)}`;
    else if (k === 'envoy_response_code' || k === 'response_code') out += `_${v}`;
    // Envoy's tag takes the class digit out of the name: upstream_rq_2xx is upstream_rq_xx{envoy_response_code_class="2"}.
    else if (k === 'envoy_response_code_class' || k === 'response_code_class') out = `${out.endsWith('_xx') ? out.slice(0, -3) : out}_${v.endsWith('xx') ? v : `${v}xx`}`;
    else rest.push(`${k}=${v}`);
  }
  return rest.length > 0 ? `${out}{${rest.join(',')}}` : out;
}

interface Located {
  kind: StatEntityKind | 'other';
  entity: string;
  stat: string;
  agent?: string;
  /** The label that named the entity. */
  label?: string;
}

/**
 * The line up to the value of its entity label, when that label comes last (`name{code="200",cluster="`): every line
 * that starts the same has the same family and other labels, so only its entity and value differ.
 */
function entityLabelPrefix(line: string, label: string, entity: string): string | undefined {
  const at = line.lastIndexOf(`${label}="`);
  if (at <= 0 || (line.charCodeAt(at - 1) !== 123 && line.charCodeAt(at - 1) !== 44)) return undefined;
  const from = at + label.length + 2;
  const close = line.indexOf('"', from);
  if (close - from !== entity.length || line.slice(from, close) !== entity || line.charCodeAt(close + 1) !== 125) return undefined;
  return line.slice(0, from);
}

function locate(name: string, labels: Map<string, string>): Located {
  for (const family of ENTITY_FAMILIES) {
    if (!name.startsWith(family.prefix)) continue;
    const label = family.labels.find((l) => labels.has(l));
    if (!label) continue;
    const extra = labels.size > 1 ? new Map(labels) : new Map<string, string>();
    extra.delete(label);
    const located: Located = { kind: family.kind, entity: labels.get(label) as string, stat: name.slice(family.prefix.length), label };
    const agentLabel = family.kind === 'http' ? USER_AGENT_LABELS.find((l) => extra.has(l)) : undefined;
    if (agentLabel && located.stat.startsWith('user_agent_')) {
      located.agent = extra.get(agentLabel) as string;
      located.stat = located.stat.slice('user_agent_'.length);
      extra.delete(agentLabel);
    } else if (family.kind === 'http') {
      // Istio's tag rules keep the agent in the name: envoy_http_user_agent_ios_downstream_cx_total.
      const m = /^user_agent_(ios|android)_(.+)$/.exec(located.stat);
      if (m) {
        located.agent = m[1] as string;
        located.stat = m[2] as string;
      }
    }
    located.stat = withExtraLabels(located.stat, extra);
    return located;
  }
  const labelText = [...labels]
    .filter(([k]) => !isConstantLabel(k))
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  const envoyName = otherName(name);
  return { kind: 'other', entity: '', stat: labelText ? `${envoyName}{${labelText}}` : envoyName };
}

/** Envoy's top-level scopes whose one-level stats read back to their dotted names (`envoy_server_uptime` is `server.uptime`). */
const TOP_LEVEL_SCOPES = ['server', 'listener_manager', 'cluster_manager'];

/** A stat of no entity under the name the text and JSON formats give it, as far as Prometheus' name allows. */
function otherName(promName: string): string {
  const bare = promName.startsWith('envoy_') ? promName.slice('envoy_'.length) : promName;
  const scope = TOP_LEVEL_SCOPES.find((p) => bare.startsWith(`${p}_`));
  return scope ? `${scope}.${bare.slice(scope.length + 1)}` : bare;
}

const HISTOGRAM_SUFFIXES = [
  ['bucket', '_bucket'],
  ['sum', '_sum'],
  ['count', '_count'],
] as const;

/** Where the last label value of the line `text[from, end)` closes, when the line goes on `"} `; -1 otherwise. */
function tailClose(text: string, from: number, end: number): number {
  const close = text.indexOf('"', from);
  return close >= 0 && close + 2 < end && text.charCodeAt(close + 1) === 125 && text.charCodeAt(close + 2) === 32 ? close : -1;
}

/**
 * The last label's value and the sample's value of a line whose last label value starts at `from`
 * (`…="<label>"} <value>`); undefined when the line is laid out otherwise.
 */
function labelAndValue(line: string, from: number): { label: string; value: number } | undefined {
  const close = tailClose(line, from, line.length);
  if (close < 0) return undefined;
  const valueText = line.slice(close + 3).trim();
  const value = promNumber(valueText);
  if (Number.isNaN(value) || valueText.includes(' ')) return undefined;
  return { label: line.slice(from, close), value };
}


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
    const prefix = located.kind !== 'other' && located.agent === undefined && located.label !== undefined ? entityLabelPrefix(line, located.label, located.entity) : undefined;
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
