// Envoy's /stats?format=json: {"stats":[{"name","value"}..., {"histograms":{"supported_quantiles":[...],
// "computed_quantiles":[{"name","values":[{"interval","cumulative"}]}]}}]} (source/server/admin/stats_render.cc).

import type { Histogram } from '../model/snapshot.ts';
import { arr, isObj, num, str } from './proto-json.ts';
import type { StatsBuilder } from './stats-builder.ts';

function nullableNumber(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Adds a `{"name","value"}` entry of `stats[]`; false when the entry has no name (the histograms entry). */
export function jsonStatEntry(entry: unknown, into: StatsBuilder): boolean {
  const name = str(entry, 'name');
  if (name === undefined) return false;
  const value = num(entry, 'value');
  if (value !== undefined) into.addNamed(name, value);
  return true;
}

/** The quantiles a histograms entry reports (`supported_quantiles`). */
export function supportedQuantiles(value: unknown): number[] {
  return Array.isArray(value) ? value.map((q) => Number(q)) : [];
}

/** Adds one `computed_quantiles` element: `{"name", "values": [{"interval","cumulative"}...]}`. */
export function jsonHistogram(computed: unknown, quantiles: readonly number[], into: StatsBuilder): void {
  const hName = str(computed, 'name');
  if (!hName) return;
  const h: Histogram = { quantiles: [], buckets: { le: [], count: [] } };
  arr(computed, 'values').forEach((v, i) => {
    if (isObj(v)) h.quantiles.push({ quantile: quantiles[i] ?? Number.NaN, interval: nullableNumber(v.interval), cumulative: nullableNumber(v.cumulative) });
  });
  into.addHistogramNamed(hName, h);
}
