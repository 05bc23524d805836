// Checks of competing explanations, so a root cause can say what was ruled out and by which numbers.
// A check is ruled out only by stats that are present and zero; absent stats make it unknown.
// Timeouts: envoy docs/root/faq/configuration/timeouts.rst; circuit breakers:
// docs/root/intro/arch_overview/upstream/circuit_breaking.rst; upgrades: arch_overview/http/upgrades.rst.

import { CLUSTER_STATS, HTTP_STATS } from '../model/envoy-stats.ts';
import type { EntityRef, EvidenceValue, HypothesisCheck } from '../model/finding.ts';
import type { Cluster, Snapshot } from '../model/snapshot.ts';
import { stat, type StatScope, statKey } from '../model/stats-view.ts';
import type { PlacedConnectionManager } from '../model/topology.ts';

interface StatProbe {
  scope: StatScope;
  entity: string;
  /** The stat as Envoy names it within the entity (`circuit_breakers.default.cx_open`). */
  stat: string;
  /** Evidence key the value is reported under. */
  key: string;
}

const SCOPE_PREFIX: Record<StatScope, string> = { cluster: 'cluster', http: 'http', listener: 'listener', tcp: 'tcp' };

/** Rules a hypothesis out when every probed counter is present and zero. */
function zeroCheck(s: Snapshot, hypothesis: string, entity: EntityRef, probes: StatProbe[], config: Record<string, EvidenceValue> = {}): HypothesisCheck {
  const evidence: Record<string, EvidenceValue> = { ...config };
  if (probes.length === 0) return { hypothesis, verdict: 'unknown', entity, evidence, missing: ['a connection manager routing to this cluster'] };
  const missing: string[] = [];
  let positive = false;
  for (const p of probes) {
    const v = stat(s, p.scope, p.entity, statKey(p.stat));
    if (v === undefined) missing.push(`${SCOPE_PREFIX[p.scope]}.${p.entity}.${p.stat}`);
    else {
      evidence[p.key] = (typeof evidence[p.key] === 'number' ? (evidence[p.key] as number) : 0) + v;
      if (v > 0) positive = true;
    }
  }
  if (positive) return { hypothesis, verdict: 'possible', entity, evidence };
  if (missing.length > 0) return { hypothesis, verdict: 'unknown', entity, evidence, missing };
  return { hypothesis, verdict: 'ruled-out', entity, evidence };
}

function prefixes(managers: PlacedConnectionManager[]): string[] {
  return [...new Set(managers.map((m) => m.connectionManager.statPrefix))];
}

/** Checks already made, by snapshot, cluster and connection-manager list: up to six root causes check one cluster. */
const made = new WeakMap<Snapshot, WeakMap<Cluster, { managers: PlacedConnectionManager[]; checks: HypothesisCheck[] }>>();

/**
 * The competing explanations for streams on `cluster` ending early, a new list each time; the checks themselves are
 * made once per cluster and its managers (the list `managersForCluster` keeps), and shared as they are.
 */
export function longLivedStreamChecks(s: Snapshot, cluster: Cluster, managers: PlacedConnectionManager[]): HypothesisCheck[] {
  let byCluster = made.get(s);
  if (!byCluster) {
    byCluster = new WeakMap();
    made.set(s, byCluster);
  }
  const kept = byCluster.get(cluster);
  if (kept?.managers === managers) return [...kept.checks];
  const checks = makeChecks(s, cluster, managers);
  byCluster.set(cluster, { managers, checks });
  return [...checks];
}

function makeChecks(s: Snapshot, cluster: Cluster, managers: PlacedConnectionManager[]): HypothesisCheck[] {
  const entity: EntityRef = { kind: 'cluster', name: cluster.name };
  const name = cluster.statName;
  const hcm = prefixes(managers);
  const streamIdle = managers.map((m) => m.connectionManager.streamIdleTimeoutMs.value);
  const maxDurations = [
    cluster.maxConnectionDurationMs,
    ...managers.flatMap((m) => [m.connectionManager.maxConnectionDurationMs, m.connectionManager.maxStreamDurationMs]),
  ].filter((v): v is number => v !== undefined && v > 0);
  return [
    zeroCheck(
      s,
      'stream-idle-timeout',
      entity,
      hcm.map((p) => ({ scope: 'http' as const, entity: p, stat: HTTP_STATS.rqIdleTimeout, key: 'downstreamRqIdleTimeout' })),
      streamIdle.length > 0 ? { streamIdleTimeoutMs: Math.min(...streamIdle) } : {},
    ),
    zeroCheck(s, 'route-timeout-on-upgrade', entity, [{ scope: 'cluster', entity: name, stat: CLUSTER_STATS.rqTimeout, key: 'upstreamRqTimeout' }]),
    zeroCheck(
      s,
      'connection-max-duration',
      entity,
      [
        { scope: 'cluster', entity: name, stat: CLUSTER_STATS.cxMaxDurationReached, key: 'upstreamCxMaxDurationReached' },
        { scope: 'cluster', entity: name, stat: CLUSTER_STATS.rqMaxDurationReached, key: 'upstreamRqMaxDurationReached' },
        ...hcm.flatMap((p) => [
          { scope: 'http' as const, entity: p, stat: HTTP_STATS.cxMaxDurationReached, key: 'downstreamCxMaxDurationReached' },
          { scope: 'http' as const, entity: p, stat: HTTP_STATS.rqMaxDurationReached, key: 'downstreamRqMaxDurationReached' },
        ]),
      ],
      maxDurations.length > 0 ? { maxDurationMs: Math.min(...maxDurations) } : { maxDurationConfigured: false },
    ),
    zeroCheck(s, 'circuit-breaker-saturation', entity, [
      { scope: 'cluster', entity: name, stat: CLUSTER_STATS.circuitBreakerCxOpen, key: 'cxOpen' },
      { scope: 'cluster', entity: name, stat: CLUSTER_STATS.circuitBreakerRqOpen, key: 'rqOpen' },
      { scope: 'cluster', entity: name, stat: CLUSTER_STATS.cxOverflow, key: 'upstreamCxOverflow' },
      { scope: 'cluster', entity: name, stat: CLUSTER_STATS.rqPendingOverflow, key: 'upstreamRqPendingOverflow' },
    ]),
    zeroCheck(
      s,
      'websocket-upgrade-disabled',
      entity,
      hcm.map((p) => ({ scope: 'http' as const, entity: p, stat: HTTP_STATS.rqWsOnNonWsRoute, key: 'wsOnNonWsRoute' })),
    ),
  ];
}
