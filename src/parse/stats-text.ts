// Envoy's text /stats: `name: value` lines; histograms as `name: P0(interval,cumulative) ... P100(...)`
// or `name: No recorded values` (source/server/admin/stats_render.cc, docs/root/operations/admin.rst).

import type { Histogram } from '../model/snapshot.ts';
import type { StatsBuilder } from './stats-builder.ts';

const QUANTILE = /P(\d+(?:\.\d+)?)\(([^,()]+),([^,()]+)\)/g;

function quantileValue(text: string): number | null {
  const v = Number(text);
  return Number.isFinite(v) ? v : null;
}

/** Parses one text line into the builder; false when the line is not a stat. */
export function textStatLine(line: string, into: StatsBuilder): boolean {
  const sep = line.indexOf(': ');
  if (sep <= 0) return false;
  const name = line.slice(0, sep);
  if (name.includes(' ')) return false;
  const valueText = line.slice(sep + 2).trim();
  if (/^-?\d+(?:\.\d+)?(?:e[+-]?\d+)?$/i.test(valueText)) {
    into.addNamed(name, Number(valueText));
    return true;
  }
  if (valueText === 'nan' || valueText === '-nan' || valueText === 'inf' || valueText === '-inf') {
    into.addNamed(name, Number.NaN);
    return true;
  }
  if (valueText === 'No recorded values') {
    into.addHistogramNamed(name, { quantiles: [], buckets: { le: [], count: [] } });
    return true;
  }
  if (valueText.startsWith('P')) {
    const histogram: Histogram = { quantiles: [], buckets: { le: [], count: [] } };
    for (const m of valueText.matchAll(QUANTILE)) {
      histogram.quantiles.push({ quantile: Number(m[1]), interval: quantileValue(m[2] as string), cumulative: quantileValue(m[3] as string) });
    }
    if (histogram.quantiles.length === 0) return false;
    into.addHistogramNamed(name, histogram);
    return true;
  }
  // Text readouts (`name: "value"`) carry no number; they are stats all the same.
  return valueText.startsWith('"');
}
