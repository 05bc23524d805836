// Stats the diagnosis needs that the proxy does not publish, and why. Every analyzer reads an absent stat as
// unknown, never as zero; this one says which stats are absent on the clusters and connection managers that serve
// WebSockets, and what removed them:
// - `stats-matcher`: the bootstrap's `stats_config.stats_matcher` rejects the stat's full name (reject_all, an
//   exclusion pattern, or an inclusion list none of whose patterns match: api/envoy/config/metrics/v3/stats.proto;
//   Envoy Gateway's EnvoyProxy `spec.telemetry.metrics.matches` becomes that inclusion list,
//   envoyproxy/gateway internal/xds/bootstrap/bootstrap.yaml.tpl; Istio's sidecars carry one by default,
//   istio tools/packaging/common/envoy_bootstrap.json);
// - `deferred-creation`: `deferred_stat_options.enable_deferred_creation_stats` (api/envoy/config/bootstrap/v3/bootstrap.proto,
//   on by default from Envoy Gateway v1.8) creates a cluster's traffic stats (envoy/upstream/upstream.h
//   ALL_CLUSTER_TRAFFIC_STATS) on first use, so a cluster that never carried a request has none;
// - `stat-name-differs`: the entity has no stats under its name while the sample holds stats for entities the config
//   does not name (`alt_stat_name`, api/envoy/config/cluster/v3/cluster.proto; Envoy Gateway `metrics.clusterStatName`);
// - `unexplained`: none of these (a capture filtered with `usedonly` or `filter`, or an Envoy without the stat).
// A safe_regex JavaScript cannot compile like RE2 is reported, and stats it alone could decide stay `unexplained`.
// The stats checked are the stat families every analyzer declares (`meta.families`), given in the context.

import { findingType } from '../model/catalogue-entry.ts';
import type { Finding, Severity } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { describeMatcher, evaluateMatcher, type StatsMatcher, unevaluablePatterns } from '../model/stats-config.ts';
import { entityStats, latestSample, type StatScope, statKey } from '../model/stats-view.ts';
import { webSocketClusters, webSocketListeners } from '../model/topology.ts';
import { type AnalyzerContext, defineAnalyzer, finding } from './analyzer.ts';

/** Why a needed stat is absent. */
type MissingReason = 'stats-matcher' | 'deferred-creation' | 'stat-name-differs' | 'unexplained';

/** Evidence of needed stats absent for a cluster or connection manager serving WebSockets, for one reason. */
interface NeededStatsAbsent {
  entityKind: 'cluster' | 'connection-manager';
  entityName: string;
  statPrefix: string;
  needed: number;
  missing: number;
  present: number;
  families: string;
  rootCauses: string;
  reason: MissingReason;
  setting?: string;
  matcherMode?: StatsMatcher['mode'];
  unmatchedEntities?: number;
  unmatchedExample?: string;
}

/** Evidence of a stats matcher pattern that cannot be evaluated. */
interface StatsMatcherPatternUnsupported {
  pattern: string;
  matcherMode?: StatsMatcher['mode'];
}

/** An entity serving WebSockets with no stats at all. */
const ENTITY_STATS_MISSING = findingType<NeededStatsAbsent>()(
  'entity-stats-missing',
  'Stats absent for an entity',
  'no stats at all for {entityKind} {entityName}: {missing} {missing|stat|stats} the diagnosis needs ({families}) {missing|is|are} absent, why: {reason} ({setting}); missing means unknown, not healthy',
);

/** Some of the stats the diagnosis needs absent for an entity that has others. */
const NEEDED_STATS_MISSING = findingType<NeededStatsAbsent>()(
  'needed-stats-missing',
  'Stats the diagnosis needs are absent',
  '{missing} of {needed} {needed|stat|stats} the diagnosis needs {missing|is|are} absent for {entityKind} {entityName} ({families}), why: {reason} ({setting}); unknown meanwhile: {rootCauses}',
);

/** A stats matcher pattern that cannot be evaluated here. */
const STATS_MATCHER_PATTERN_UNSUPPORTED = findingType<StatsMatcherPatternUnsupported>()(
  'stats-matcher-pattern-unsupported',
  'A stats matcher pattern that cannot be evaluated',
  'the stats matcher pattern {pattern} cannot be evaluated here (RE2 syntax JavaScript lacks, or a custom matcher): stats only it could decide count as unexplained',
);

export const meta = defineAnalyzer({
  id: 'stats-coverage',
  title: 'Stats the diagnosis needs that the proxy does not publish, and why',
  reads: ['config', 'stats', 'stats-later'],
  // It reads the stats of the families the other analyzers declare, given in its context.
  stats: {},
  findings: [ENTITY_STATS_MISSING, NEEDED_STATS_MISSING, STATS_MATCHER_PATTERN_UNSUPPORTED],
});

const REASONS: readonly MissingReason[] = ['stats-matcher', 'deferred-creation', 'stat-name-differs', 'unexplained'];
const SEVERITY: Record<MissingReason, Severity> = {
  'stats-matcher': 'warning',
  'deferred-creation': 'info',
  'stat-name-differs': 'warning',
  unexplained: 'info',
};

/** Cluster traffic stats: created lazily under deferred creation (ALL_CLUSTER_TRAFFIC_STATS; circuit breakers are not). */
function isClusterTrafficStat(stat: string): boolean {
  return /^(upstream_cx_|upstream_rq_|upstream_flow_control_)/.test(stat);
}

interface Entity {
  scope: StatScope & ('cluster' | 'http');
  /** The finding's entity (cluster name, connection manager stat prefix). */
  name: string;
  /** The name its stats are published under. */
  statName: string;
}

interface Missing {
  stat: string;
  family: AnalyzerContext['families'][number];
  reason: MissingReason;
  setting?: string;
}

function list(values: Iterable<string>): string {
  return [...new Set(values)].join(', ');
}

export function analyze(s: Snapshot, context: AnalyzerContext): Finding[] {
  const sample = latestSample(s);
  const findings: Finding[] = [];
  const proxy = { kind: 'proxy' as const, name: s.id };
  const matcher = s.statsConfig?.matcher;
  for (const p of unevaluablePatterns(matcher)) {
    findings.push(finding(s, STATS_MATCHER_PATTERN_UNSUPPORTED, 'info', proxy, { pattern: describeMatcher(p), matcherMode: matcher?.mode }));
  }
  if (!sample) return findings;

  const entities: Entity[] = [];
  for (const { cluster } of webSocketClusters(s)) entities.push({ scope: 'cluster', name: cluster.name, statName: cluster.statName });
  const prefixes = new Set(webSocketListeners(s).flatMap((l) => l.managers.map((m) => m.connectionManager.statPrefix)));
  for (const prefix of prefixes) entities.push({ scope: 'http', name: prefix, statName: prefix });

  // Entities in the sample that the config does not name: where stats under another name would be.
  const configured: Record<'cluster' | 'http', Set<string>> = {
    cluster: new Set([...s.clusters.values()].map((c) => c.statName)),
    http: new Set(s.listeners.flatMap((l) => l.filterChains.flatMap((f) => (f.connectionManager ? [f.connectionManager.statPrefix] : [])))),
  };
  const unmatched = (scope: 'cluster' | 'http') => [...entityStats(sample, scope).keys()].filter((n) => !configured[scope].has(n));

  for (const e of entities) {
    const own = entityStats(sample, e.scope).get(e.statName);
    // Stats of the entity a sample read and did not keep count as present: they were published.
    const present = own ? own.size + (sample.unkept?.get(own) ?? 0) : 0;
    const hasTraffic = [...(own?.keys() ?? [])].some(isClusterTrafficStat);
    const missing: Missing[] = [];
    let needed = 0;
    for (const family of context.families) {
      for (const stat of family[e.scope]) {
        needed++;
        if (own?.has(statKey(stat))) continue;
        const verdict = evaluateMatcher(matcher, `${e.scope}.${e.statName}.${stat}`);
        if (verdict.verdict === 'rejected') missing.push({ stat, family, reason: 'stats-matcher', setting: verdict.rule });
        else if (e.scope === 'cluster' && s.statsConfig?.deferredCreation && isClusterTrafficStat(stat) && !hasTraffic) {
          missing.push({ stat, family, reason: 'deferred-creation', setting: 'deferred_stat_options.enable_deferred_creation_stats' });
        } else if (present === 0 && unmatched(e.scope).length > 0) {
          missing.push({ stat, family, reason: 'stat-name-differs', setting: e.scope === 'cluster' ? 'alt_stat_name' : 'stat_prefix' });
        } else missing.push({ stat, family, reason: 'unexplained', ...(verdict.verdict === 'undetermined' ? { setting: verdict.rule } : {}) });
      }
    }
    for (const reason of REASONS) {
      const these = missing.filter((m) => m.reason === reason);
      if (these.length === 0) continue;
      const others = reason === 'stat-name-differs' ? unmatched(e.scope) : [];
      findings.push(
        finding(
          s,
          present === 0 ? ENTITY_STATS_MISSING : NEEDED_STATS_MISSING,
          SEVERITY[reason],
          { kind: e.scope === 'cluster' ? 'cluster' : 'connection-manager', name: e.name },
          {
            entityKind: e.scope === 'cluster' ? 'cluster' : 'connection-manager',
            entityName: e.statName,
            statPrefix: `${e.scope}.${e.statName}.`,
            needed,
            missing: these.length,
            present,
            families: list(these.map((m) => m.family.family)),
            rootCauses: list(these.flatMap((m) => m.family.rootCauses)),
            reason,
            setting: list(these.flatMap((m) => (m.setting ? [m.setting] : []))) || undefined,
            matcherMode: reason === 'stats-matcher' ? matcher?.mode : undefined,
            unmatchedEntities: others.length > 0 ? others.length : undefined,
            unmatchedExample: others[0],
          },
        ),
      );
    }
  }
  return findings;
}
