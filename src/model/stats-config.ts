// What decides which stats a proxy creates, from its bootstrap: `stats_config.stats_matcher`
// (api/envoy/config/metrics/v3/stats.proto StatsMatcher: `reject_all`, `exclusion_list`, `inclusion_list` of
// StringMatchers, api/envoy/type/matcher/v3/string.proto) and `deferred_stat_options.enable_deferred_creation_stats`
// (api/envoy/config/bootstrap/v3/bootstrap.proto: cluster traffic stats are created on first use,
// source/common/stats/deferred_creation.h). The matcher sees a stat's full name before tag extraction
// (`cluster.<alt_stat_name or name>.upstream_cx_active`); `safe_regex` must match the whole name (RE2 FullMatch).

/** One StringMatcher of a stats inclusion or exclusion list. */
export interface StringMatcher {
  kind: 'exact' | 'prefix' | 'suffix' | 'contains' | 'safe-regex' | 'unsupported';
  /** The pattern as configured (for `unsupported`, the matcher's field name, e.g. `custom`). */
  value: string;
  /** `ignore_case` (not applicable to `safe_regex`). */
  ignoreCase: boolean;
}

/** `stats_config.stats_matcher`. */
export interface StatsMatcher {
  mode: 'reject-all' | 'accept-all' | 'inclusion' | 'exclusion';
  patterns: StringMatcher[];
}

/** What in the bootstrap decides which stats exist. */
export interface StatsConfig {
  /** Absent: every stat is created. */
  matcher?: StatsMatcher;
  /** `deferred_stat_options.enable_deferred_creation_stats`: cluster traffic stats appear only once the cluster is used. */
  deferredCreation: boolean;
}

/** A matcher pattern as people write it: `prefix cluster.foo.`, `safe_regex .*upstream_cx_.*`. */
export function describeMatcher(m: StringMatcher): string {
  const name = m.kind === 'safe-regex' ? 'safe_regex' : m.kind;
  return `${name} ${m.value}${m.ignoreCase && m.kind !== 'safe-regex' ? ' (ignore_case)' : ''}`;
}

const compiled = new Map<string, RegExp | null>();

/**
 * An RE2 pattern as a JavaScript RegExp matching whole strings, or null when JavaScript cannot compile it the same
 * way (RE2-only syntax such as `\C`, `\z`, `\pN`, `[[:alpha:]]`, `(?U)` or inline flags other than a leading `(?i)`/`(?s)`).
 */
export function re2ToRegExp(pattern: string): RegExp | null {
  const cached = compiled.get(pattern);
  if (cached !== undefined) return cached;
  let source = pattern;
  let flags = '';
  const lead = /^\(\?([is]+)\)/.exec(source);
  if (lead) {
    flags = [...new Set(lead[1])].join('');
    source = source.slice(lead[0].length);
  }
  source = source.replace(/\(\?P</g, '(?<');
  let re: RegExp | null = null;
  if (!/\(\?[a-zA-Z-]+[):]|\\[CzQEpP]|\[\[:/.test(source)) {
    try {
      re = new RegExp(`^(?:${source})$`, flags);
    } catch {
      re = null;
    }
  }
  compiled.set(pattern, re);
  return re;
}

/** Whether one matcher matches a full stat name; undefined when it cannot be evaluated here. */
function matches(m: StringMatcher, name: string): boolean | undefined {
  if (m.kind === 'unsupported') return undefined;
  if (m.kind === 'safe-regex') return re2ToRegExp(m.value)?.test(name);
  const subject = m.ignoreCase ? name.toLowerCase() : name;
  const value = m.ignoreCase ? m.value.toLowerCase() : m.value;
  switch (m.kind) {
    case 'exact':
      return subject === value;
    case 'prefix':
      return subject.startsWith(value);
    case 'suffix':
      return subject.endsWith(value);
    case 'contains':
      return subject.includes(value);
  }
}

/** The matcher's verdict on a stat name: created, rejected (by which pattern), or undetermined. */
type MatcherVerdict = { verdict: 'created' } | { verdict: 'rejected'; rule: string } | { verdict: 'undetermined'; rule: string };

/** Evaluates a stats matcher against a full stat name, as Envoy's StatsMatcherImpl does. */
export function evaluateMatcher(matcher: StatsMatcher | undefined, name: string): MatcherVerdict {
  if (!matcher || matcher.mode === 'accept-all') return { verdict: 'created' };
  if (matcher.mode === 'reject-all') return { verdict: 'rejected', rule: 'reject_all' };
  let unevaluated: StringMatcher | undefined;
  for (const p of matcher.patterns) {
    const hit = matches(p, name);
    if (hit === undefined) unevaluated ??= p;
    else if (hit) {
      return matcher.mode === 'inclusion' ? { verdict: 'created' } : { verdict: 'rejected', rule: `exclusion_list ${describeMatcher(p)}` };
    }
  }
  if (unevaluated) return { verdict: 'undetermined', rule: describeMatcher(unevaluated) };
  return matcher.mode === 'inclusion'
    ? { verdict: 'rejected', rule: `inclusion_list: none of ${matcher.patterns.length} patterns matches` }
    : { verdict: 'created' };
}

/** Patterns of a matcher that cannot be evaluated here (custom matchers, RE2 syntax JavaScript lacks). */
export function unevaluablePatterns(matcher: StatsMatcher | undefined): StringMatcher[] {
  return (matcher?.patterns ?? []).filter((p) => p.kind === 'unsupported' || (p.kind === 'safe-regex' && re2ToRegExp(p.value) === null));
}
