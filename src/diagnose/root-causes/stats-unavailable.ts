// stats-unavailable: the stats that decide the WebSocket root causes are not published where WebSockets are served,
// so those root causes are unknown rather than ruled out. Causes, from the bootstrap: a stats matcher that rejects
// them (api/envoy/config/metrics/v3/stats.proto StatsMatcher; Envoy Gateway EnvoyProxy `telemetry.metrics.matches`,
// Istio's default inclusion list), deferred creation of cluster traffic stats on clusters that never carried a request
// (api/envoy/config/bootstrap/v3/bootstrap.proto DeferredStatOptions, source/common/stats/deferred_creation.h), stats
// published under another name (`alt_stat_name`, api/envoy/config/cluster/v3/cluster.proto), or a filtered capture.
// Warning when a matcher or another name hides them; info when only quiet clusters under deferred creation (nothing
// happened there yet) or an unexplained gap is left. Fix: the entities' stat-name prefixes added to the inclusion list.

import { STAT_FAMILIES } from '../../analyzers/index.ts';
import { type ExplanationType, explanationType, type Values } from '../../model/catalogue-entry.ts';
import { distinctEntities, type Explanation, type Finding, type FixChange, type HypothesisCheck } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { stat, statKey } from '../../model/stats-view.ts';
import { managersForCluster } from '../../model/topology.ts';
import { longLivedStreamChecks } from '../hypotheses.ts';
import { type Diagnosed, defineRootCause, explain, scoring } from '../root-cause.ts';

/** Explanation `stats-rejected-by-matcher`. */
const STATS_REJECTED_BY_MATCHER = explanationType<Values>()(
  'stats-rejected-by-matcher',
  '{missing} needed stats on {entities} entities ({families}) are never created: the stats matcher rejects them ({setting})',
);

/** Explanation `stats-under-another-name`. */
const STATS_UNDER_ANOTHER_NAME = explanationType<Values>()(
  'stats-under-another-name',
  '{entities} {entities|entity has|entities have} no stats under their configured name while {unmatchedEntities} {unmatchedEntities|stats entity matches|stats entities match} nothing in the config (e.g. {unmatchedExample}): alt_stat_name, or stats and config dump from different proxies',
);

/** Explanation `stats-deferred-on-quiet-clusters`. */
const STATS_DEFERRED_ON_QUIET_CLUSTERS = explanationType<Values>()(
  'stats-deferred-on-quiet-clusters',
  '{missing} traffic stats on {entities} clusters ({families}) do not exist yet: with deferred creation (enable_deferred_creation_stats) Envoy creates them on the first request, and these clusters have carried none',
);

/** Explanation `stats-absent-unexplained`. */
const STATS_ABSENT_UNEXPLAINED = explanationType<Values>()(
  'stats-absent-unexplained',
  '{missing} needed stats on {entities} entities ({families}) are absent with no stats matcher or deferred creation to explain it: a capture filtered with usedonly or filter, or an Envoy that lacks them',
);

/** Explanation `hypotheses-unknown-without-stats`. */
const HYPOTHESES_UNKNOWN_WITHOUT_STATS = explanationType<Values>()(
  'hypotheses-unknown-without-stats',
  'until they are published these root causes cannot be checked here: {rootCauses}',
);

const ENTITY_CODES = new Set(['entity-stats-missing', 'needed-stats-missing']);

/** Explanation code and score per reason a needed stat is absent. */
const BY_REASON: Record<string, { type: ExplanationType<Values>; score: number }> = {
  'stats-matcher': { type: STATS_REJECTED_BY_MATCHER, score: 0.9 },
  'stat-name-differs': { type: STATS_UNDER_ANOTHER_NAME, score: 0.6 },
  'deferred-creation': { type: STATS_DEFERRED_ON_QUIET_CLUSTERS, score: 0.8 },
  unexplained: { type: STATS_ABSENT_UNEXPLAINED, score: 0.4 },
};

/** Reasons that hide stats of traffic that happened: a warning; the others leave only quiet or unexplained gaps. */
const HIDING = new Set(['stats-matcher', 'stat-name-differs']);

function split(v: unknown): string[] {
  return typeof v === 'string' && v !== '' ? v.split(', ') : [];
}

function sum(fs: Finding[], key: string): number {
  return fs.reduce((n, f) => n + (typeof f.evidence[key] === 'number' ? (f.evidence[key] as number) : 0), 0);
}

/** What one reason explains, summed over its findings. */
function explainReason(reason: string, fs: Finding[]): Explanation {
  const values: Explanation['values'] = {
    missing: sum(fs, 'missing'),
    entities: fs.length,
    families: [...new Set(fs.flatMap((f) => split(f.evidence.families)))].join(', '),
  };
  if (reason === 'stats-matcher')
    values.setting = [...new Set(fs.flatMap((f) => (typeof f.evidence.setting === 'string' ? [f.evidence.setting] : [])))].join('; ');
  if (reason === 'stat-name-differs') {
    values.unmatchedEntities = fs[0]?.evidence.unmatchedEntities ?? null;
    values.unmatchedExample = fs[0]?.evidence.unmatchedExample ?? null;
  }
  return explain((BY_REASON[reason] as { type: ExplanationType<Values> }).type, values);
}

/** Hypotheses the absent stats leave unknown, per entity: the shared checks where they apply, else from the needed families. */
function unknownChecks(s: Snapshot, fs: Finding[]): HypothesisCheck[] {
  const out: HypothesisCheck[] = [];
  const seen = new Set<string>();
  const byKey = new Map<string, HypothesisCheck>();
  const add = (c: HypothesisCheck) => {
    const key = `${c.hypothesis}|${c.entity.kind}|${c.entity.name}`;
    const existing = byKey.get(key);
    if (!existing) {
      byKey.set(key, c);
      out.push(c);
    } else if (!seen.has(key) && c.missing) {
      // A hypothesis several families decide: one check listing everything it misses.
      existing.missing = [...new Set([...(existing.missing ?? []), ...c.missing])];
    }
  };
  for (const f of fs) {
    const cluster = f.entity.kind === 'cluster' ? s.clusters.get(f.entity.name) : undefined;
    const shared = cluster ? longLivedStreamChecks(s, cluster, managersForCluster(s, cluster.name)).filter((c) => c.verdict === 'unknown') : [];
    for (const c of shared) {
      add(c);
      seen.add(`${c.hypothesis}|${c.entity.kind}|${c.entity.name}`);
    }
    const scope = f.entity.kind === 'cluster' ? 'cluster' : 'http';
    const statName = String(f.evidence.entityName ?? f.entity.name);
    for (const family of STAT_FAMILIES.filter((x) => split(f.evidence.families).includes(x.family))) {
      const missing = family[scope].filter((n) => stat(s, scope, statName, statKey(n)) === undefined).map((n) => `${scope}.${statName}.${n}`);
      if (missing.length === 0) continue;
      for (const hypothesis of family.rootCauses) {
        add({ hypothesis, verdict: 'unknown', entity: f.entity, evidence: { reason: f.evidence.reason ?? null }, missing });
      }
    }
  }
  return out;
}

/** The prefixes to add to the inclusion list: the entities whose stats an inclusion list (or reject_all) leaves out. */
function inclusionChange(fs: Finding[]): FixChange[] {
  const prefixes = fs
    .filter((f) => f.evidence.reason === 'stats-matcher' && (f.evidence.matcherMode === 'inclusion' || f.evidence.matcherMode === 'reject-all'))
    .flatMap((f) => (typeof f.evidence.statPrefix === 'string' ? [f.evidence.statPrefix] : []));
  return prefixes.length > 0 ? [{ kind: 'stats-inclusion', prefixes: [...new Set(prefixes)].sort() }] : [];
}

export const rootCause = defineRootCause({
  id: 'stats-unavailable',
  title: 'The stats a diagnosis needs are not available',
  message:
    'the proxy does not publish stats that decide whether WebSockets stall, time out or hit limits where they are served: the root causes those stats decide are unknown, not ruled out',
  uses: ['entity-stats-missing', 'needed-stats-missing', 'stats-matcher-pattern-unsupported'],
  explanations: [
    STATS_REJECTED_BY_MATCHER,
    STATS_UNDER_ANOTHER_NAME,
    STATS_DEFERRED_ON_QUIET_CLUSTERS,
    STATS_ABSENT_UNEXPLAINED,
    HYPOTHESES_UNKNOWN_WITHOUT_STATS,
  ],
  verify: [
    { scope: 'proxy', setting: "the missing stats in /stats (stats_matcher or the control plane's telemetry settings let them through)", expect: 'present' },
  ],
  diagnose(s: Snapshot, findings: Finding[]): Diagnosed[] {
    const missing = findings.filter((f) => ENTITY_CODES.has(f.code));
    if (missing.length === 0) return [];
    const reasons = [...new Set(missing.map((f) => String(f.evidence.reason)))].filter((r) => r in BY_REASON);
    const explains = reasons.map((r) =>
      explainReason(
        r,
        missing.filter((f) => f.evidence.reason === r),
      ),
    );
    const rootCauses = [...new Set(missing.flatMap((f) => split(f.evidence.rootCauses)))];
    if (rootCauses.length > 0) explains.push(explain(HYPOTHESES_UNKNOWN_WITHOUT_STATS, { rootCauses: rootCauses.join(', ') }));
    const warning = reasons.some((r) => HIDING.has(r));
    const score = Math.max(...reasons.map((r) => (BY_REASON[r] as { score: number }).score));
    const entities = distinctEntities(missing.map((f) => f.entity));
    return [
      {
        id: 'stats-unavailable',
        ...scoring(s, score, () => (warning ? 'warning' : 'info')),
        entities,
        evidence: [...missing, ...findings.filter((f) => f.code === 'stats-matcher-pattern-unsupported')],
        explains,
        checks: unknownChecks(s, missing),
        changes: inclusionChange(missing),
      },
    ];
  },
});
