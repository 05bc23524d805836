// Envoy's /stats?format=json: {"stats":[{"name","value"}..., {"histograms":{"supported_quantiles":[...],
// "computed_quantiles":[{"name","values":[{"interval","cumulative"}]}]}}]} (source/server/admin/stats_render.cc).

import type { Histogram } from '../model/snapshot.ts';
import { InputError } from './input-error.ts';
import { arr, isObj, num, str } from './proto-json.ts';
import type { StatsBuilder } from './stats-builder.ts';

function nullableNumber(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Reads a parsed JSON stats document into the builder. */
export function jsonStats(doc: unknown, into: StatsBuilder, source: string): void {
  if (!isObj(doc) || !Array.isArray(doc.stats)) {
    throw new InputError(source, 'JSON without a stats[] array; expected Envoy /stats?format=json output');
  }
  for (const entry of doc.stats) {
    if (!isObj(entry)) continue;
    const name = str(entry, 'name');
    if (name !== undefined) {
      const value = num(entry, 'value');
      if (value !== undefined) into.addNamed(name, value);
      continue;
    }
    const histograms = entry.histograms;
    if (!isObj(histograms)) continue;
    const quantiles = arr(histograms, 'supported_quantiles').map((q) => Number(q));
    for (const computed of arr(histograms, 'computed_quantiles')) {
      const hName = str(computed, 'name');
      if (!hName) continue;
      const h: Histogram = { quantiles: [], buckets: [] };
      arr(computed, 'values').forEach((v, i) => {
        if (isObj(v)) h.quantiles.push({ quantile: quantiles[i] ?? Number.NaN, interval: nullableNumber(v.interval), cumulative: nullableNumber(v.cumulative) });
      });
      into.addHistogramNamed(hName, h);
    }
  }
}
