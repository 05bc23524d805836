// Applies envoy-doctor's printed plain-Envoy fixes to the lab's bootstrap, as an operator would: each fix names its
// target (`cluster NAME`, `listener NAME`, `route NAME`, `listener NAME: envoy.filters.network.<filter> (stat_prefix
// P)`, `bootstrap stats_config`) and carries a YAML fragment of that object, merged into it field by field (a list
// in the fragment replaces the live list, as a YAML merge does). The fix's text is used as printed, never edited.

import { parse } from 'yaml';
import { deepMerge } from '../src/fixes/changes.ts';
import type { Bootstrap } from './envoy.ts';

type Obj = Record<string, unknown>;

/** A printed fix of the JSON report. */
export interface PrintedFix {
  flavor: string;
  target: string;
  text: string;
}

function listeners(b: Bootstrap): Obj[] {
  return ((b.static_resources as Obj | undefined)?.listeners as Obj[] | undefined) ?? [];
}

function clusters(b: Bootstrap): Obj[] {
  return ((b.static_resources as Obj | undefined)?.clusters as Obj[] | undefined) ?? [];
}

function filters(listener: Obj): Obj[] {
  return ((listener.filter_chains as Obj[] | undefined) ?? []).flatMap((c) => (c.filters as Obj[] | undefined) ?? []);
}

function routesOf(b: Bootstrap): Obj[] {
  return listeners(b).flatMap((l) =>
    filters(l).flatMap((f) => {
      const rc = (f.typed_config as Obj | undefined)?.route_config as Obj | undefined;
      return ((rc?.virtual_hosts as Obj[] | undefined) ?? []).flatMap((vh) => (vh.routes as Obj[] | undefined) ?? []);
    }),
  );
}

/** Merges one printed plain-Envoy fix into a copy of the bootstrap; throws when its target is not in the bootstrap. */
export function applyFix(bootstrap: Bootstrap, fix: PrintedFix): Bootstrap {
  if (fix.flavor !== 'envoy') throw new Error(`not a plain-Envoy fix: ${fix.flavor}`);
  const b = structuredClone(bootstrap);
  const fragment = parse(fix.text) as Obj;
  const filter = /^listener (.+): (envoy\.filters\.network\.\w+)(?: \(stat_prefix (.+)\))?$/.exec(fix.target);
  if (filter) {
    const [, name, filterName, statPrefix] = filter;
    const listener = listeners(b).find((l) => l.name === name);
    const targets = listener
      ? filters(listener).filter((f) => f.name === filterName && (!statPrefix || (f.typed_config as Obj).stat_prefix === statPrefix))
      : [];
    if (targets.length === 0) throw new Error(`fix target not in the lab's config: ${fix.target}`);
    for (const f of targets) f.typed_config = deepMerge(f.typed_config as Obj, fragment);
    return b;
  }
  const [kind, ...rest] = fix.target.split(' ');
  const name = rest.join(' ');
  const pool = kind === 'cluster' ? clusters(b) : kind === 'listener' ? listeners(b) : kind === 'route' ? routesOf(b) : undefined;
  if (kind === 'bootstrap') return deepMerge(b, fragment) as Bootstrap;
  const target = pool?.find((r) => r.name === name);
  if (!target) throw new Error(`fix target not in the lab's config: ${fix.target}`);
  deepMerge(target, fragment);
  return b;
}

/** Applies every plain-Envoy fix of a root cause, in order. */
export function applyFixes(bootstrap: Bootstrap, fixes: PrintedFix[]): Bootstrap {
  return fixes.filter((f) => f.flavor === 'envoy').reduce(applyFix, bootstrap);
}
