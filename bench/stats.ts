// Writes one stats sample of the mesh in Envoy's three /stats formats (source/server/admin/stats_render.cc,
// prometheus_stats.cc): text (`name: value`, histograms as `P0(interval,cumulative) ... P100(...)`), JSON
// (`{"stats":[{"name","value"}..., {"histograms":{supported_quantiles, computed_quantiles}}]}`) and Prometheus
// (`envoy_` + tag-extracted names, one `# TYPE` per family, histograms as _bucket/_sum/_count). All three carry
// the same values. The sample itself is drawn in stats-sample.ts, with the names of stats-names.ts.

import type { Mesh } from './mesh.ts';
import { BUCKETS, type GlobalStat, QUANTILES, quantilePairs, sample, type Scope, type StatDef, statName } from './stats-sample.ts';
import { FileSink } from './writer.ts';

function writeText(path: string, scopes: Scope[], globalStats: GlobalStat[]): number {
  const out = new FileSink(path);
  for (const g of globalStats) if (g.text !== undefined) out.write(`${g.name}: "${g.text}"\n`);
  for (const s of scopes) {
    for (let e = 0; e < s.entities.length; e++) {
      s.stats.forEach((def, i) => out.write(`${statName(s, e, def)}: ${s.values[e * s.stats.length + i]}\n`));
    }
  }
  for (const g of globalStats) if (g.text === undefined) out.write(`${g.name}: ${g.value}\n`);
  for (const s of scopes) {
    for (let e = 0; e < s.entities.length; e++) {
      s.histograms.forEach((h, i) => {
        const pairs = quantilePairs(s, e, i);
        const summary = pairs
          ? pairs.map(([interval, cumulative], q) => `P${QUANTILES[q]}(${interval ?? 'nan'},${cumulative})`).join(' ')
          : 'No recorded values';
        out.write(`${s.prefix}.${s.entities[e]}.${h}: ${summary}\n`);
      });
    }
  }
  out.close();
  return out.written;
}

function writeJson(path: string, scopes: Scope[], globalStats: GlobalStat[]): number {
  const out = new FileSink(path);
  const items: string[] = [];
  const flush = (): void => {
    if (items.length > 0) out.write(items.join(''));
    items.length = 0;
  };
  let first = true;
  const item = (text: string): void => {
    items.push(first ? text : `,${text}`);
    first = false;
    if (items.length >= 4096) flush();
  };
  out.write('{"stats":[');
  for (const g of globalStats) if (g.text !== undefined) item(JSON.stringify({ name: g.name, value: g.text }));
  for (const s of scopes) {
    for (let e = 0; e < s.entities.length; e++) {
      s.stats.forEach((def, i) => item(`{"name":${JSON.stringify(statName(s, e, def))},"value":${s.values[e * s.stats.length + i]}}`));
    }
  }
  for (const g of globalStats) if (g.text === undefined) item(`{"name":"${g.name}","value":${g.value}}`);
  flush();
  out.write(`,{"histograms":{"supported_quantiles":${JSON.stringify(QUANTILES)},"computed_quantiles":[`);
  first = true;
  for (const s of scopes) {
    for (let e = 0; e < s.entities.length; e++) {
      s.histograms.forEach((h, i) => {
        const pairs = quantilePairs(s, e, i) ?? QUANTILES.map((): [null, null] => [null, null]);
        const values = pairs.map(([interval, cumulative]) => ({ interval, cumulative }));
        item(JSON.stringify({ name: `${s.prefix}.${s.entities[e]}.${h}`, values }));
      });
    }
  }
  flush();
  out.write(']}}]}\n');
  out.close();
  return out.written;
}

function writePrometheus(path: string, scopes: Scope[], globalStats: GlobalStat[]): number {
  const out = new FileSink(path);
  for (const s of scopes) {
    const families = new Map<string, number[]>();
    s.stats.forEach((def, i) => families.set(def.family, [...(families.get(def.family) ?? []), i]));
    for (const family of [...families.keys()].sort()) {
      const members = families.get(family) as number[];
      out.write(`# TYPE ${family} ${(s.stats[members[0] as number] as StatDef).type}\n`);
      for (const i of members) {
        const def = s.stats[i] as StatDef;
        for (let e = 0; e < s.entities.length; e++) {
          const labels = [...def.labels, `${s.entityLabel}="${s.entities[e]}"`].join(',');
          const text = s.hcm ? labels.replace('{hcm}', s.hcm[e] as string) : labels;
          out.write(`${family}{${text}} ${s.values[e * s.stats.length + i]}\n`);
        }
      }
    }
  }
  for (const g of globalStats) {
    if (g.text !== undefined) continue;
    const family = `envoy_${g.name.replaceAll('.', '_')}`;
    out.write(`# TYPE ${family} ${g.type}\n${family}{} ${g.value}\n`);
  }
  for (const s of scopes) {
    s.histograms.forEach((h, i) => {
      const family = `envoy_${s.prefix}_${h}`;
      out.write(`# TYPE ${family} histogram\n`);
      for (let e = 0; e < s.entities.length; e++) {
        const at = (e * s.histograms.length + i) * 3;
        const count = s.hist[at] as number;
        const median = s.hist[at + 1] as number;
        const entity = `${s.entityLabel}="${s.entities[e]}"`;
        for (const le of BUCKETS) {
          out.write(`${family}_bucket{${entity},le="${le}"} ${Math.round(count * (1 - 2 ** (-le / median)))}\n`);
        }
        out.write(`${family}_bucket{${entity},le="+Inf"} ${count}\n`);
        out.write(`${family}_sum{${entity}} ${Number(((count * median) / Math.LN2).toFixed(2))}\n`);
        out.write(`${family}_count{${entity}} ${count}\n`);
      }
    });
  }
  out.close();
  return out.written;
}

/** Paths and sizes of the three stats files. */
export interface StatsFiles {
  text: { path: string; bytes: number };
  json: { path: string; bytes: number };
  prometheus: { path: string; bytes: number };
  /** Counters, gauges and histograms per sample. */
  values: number;
}

/** Writes `stats.txt`, `stats.json` and `stats.prom` for the mesh into `dir`. */
export function writeStats(mesh: Mesh, dir: string): StatsFiles {
  const { scopes, globals: globalStats } = sample(mesh);
  const values = scopes.reduce((n, s) => n + s.entities.length * (s.stats.length + s.histograms.length), 0) + globalStats.length;
  const text = `${dir}/stats.txt`;
  const json = `${dir}/stats.json`;
  const prometheus = `${dir}/stats.prom`;
  return {
    text: { path: text, bytes: writeText(text, scopes, globalStats) },
    json: { path: json, bytes: writeJson(json, scopes, globalStats) },
    prometheus: { path: prometheus, bytes: writePrometheus(prometheus, scopes, globalStats) },
    values,
  };
}

/** Writes only `stats.txt` for the mesh into `dir`. */
export function writeTextStats(mesh: Mesh, dir: string): { path: string; bytes: number; values: number } {
  const { scopes, globals: globalStats } = sample(mesh);
  const values = scopes.reduce((n, s) => n + s.entities.length * (s.stats.length + s.histograms.length), 0) + globalStats.length;
  const path = `${dir}/stats.txt`;
  return { path, bytes: writeText(path, scopes, globalStats), values };
}
