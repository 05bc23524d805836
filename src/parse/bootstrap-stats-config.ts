// The bootstrap's stats settings (api/envoy/config/bootstrap/v3/bootstrap.proto `stats_config`,
// `deferred_stat_options`; api/envoy/config/metrics/v3/stats.proto StatsMatcher; api/envoy/type/matcher/v3/string.proto
// StringMatcher), snake_case as Envoy's admin prints them or camelCase as egctl does. Envoy Gateway writes
// `deferredStatOptions.enableDeferredCreationStats: true` into every bootstrap from v1.8, and
// `stats_matcher.inclusion_list` from EnvoyProxy `spec.telemetry.metrics.matches`
// (envoyproxy/gateway internal/xds/bootstrap/bootstrap.yaml.tpl, bootstrap.go).

import type { StatsConfig, StatsMatcher, StringMatcher } from '../model/stats-config.ts';
import { arr, bool, field, isObj, obj, type Obj, str } from './proto-json.ts';

const KINDS: Array<[string, StringMatcher['kind']]> = [
  ['exact', 'exact'],
  ['prefix', 'prefix'],
  ['suffix', 'suffix'],
  ['contains', 'contains'],
];

/** One StringMatcher; matchers this tool cannot evaluate (`custom`) are kept as `unsupported`. */
function stringMatcher(o: unknown): StringMatcher | undefined {
  if (!isObj(o)) return undefined;
  const ignoreCase = bool(o, 'ignore_case') ?? false;
  for (const [key, kind] of KINDS) {
    const v = str(o, key);
    if (v !== undefined) return { kind, value: v, ignoreCase };
  }
  const regex = str(o, 'safe_regex', 'regex');
  if (regex !== undefined) return { kind: 'safe-regex', value: regex, ignoreCase: false };
  const other = Object.keys(o).find((k) => k !== 'ignore_case' && k !== 'ignoreCase');
  return other === undefined ? undefined : { kind: 'unsupported', value: other, ignoreCase };
}

function patterns(list: Obj | undefined): StringMatcher[] {
  return arr(list, 'patterns').flatMap((p) => stringMatcher(p) ?? []);
}

/** `stats_config.stats_matcher`, or undefined when none is set. */
function statsMatcher(bootstrap: Obj): StatsMatcher | undefined {
  const m = obj(bootstrap, 'stats_config', 'stats_matcher');
  if (!m) return undefined;
  // The proto docs' own example writes `"rejectAll": "true"`.
  const rejectAll = field(m, 'reject_all');
  if (rejectAll !== undefined) return { mode: rejectAll === true || rejectAll === 'true' ? 'reject-all' : 'accept-all', patterns: [] };
  const inclusion = obj(m, 'inclusion_list');
  if (inclusion) return { mode: 'inclusion', patterns: patterns(inclusion) };
  const exclusion = obj(m, 'exclusion_list');
  if (exclusion) return { mode: 'exclusion', patterns: patterns(exclusion) };
  return undefined;
}

/** What in a bootstrap decides which stats exist. */
export function parseStatsConfig(bootstrap: Obj): StatsConfig {
  const out: StatsConfig = { deferredCreation: bool(field(bootstrap, 'deferred_stat_options'), 'enable_deferred_creation_stats') ?? false };
  const matcher = statsMatcher(bootstrap);
  if (matcher) out.matcher = matcher;
  return out;
}
