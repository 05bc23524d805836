// route-timeout-on-upgrade: a non-zero route `timeout` (default 15 s) on a route that carries WebSocket upgrades, where
// the running Envoy applies it. Since Envoy 1.36.0 the route timeout covers the wait for the upgrade response and is
// disarmed on 101 (envoyproxy/envoy#41075, changelogs/1.36.0.yaml; source/common/router/upstream_codec_filter.cc), so
// slow handshakes fail with 504 UT; before 1.36.0 it is never armed for an upgrade (envoyproxy/envoy#41068;
// source/common/router/router.cc Filter::onRequestComplete). Evidence, strongest first: upgraded sessions that ended
// with flag UT at the route timeout (access log), and `upstream_rq_timeout` rising on the route's cluster on an Envoy
// that applies the timeout to upgrades (src/analyzers/upgrade-route-timeouts.ts).

import { explanationType } from '../../model/catalogue-entry.ts';
import { CLUSTER_STATS } from '../../model/envoy-stats.ts';
import type { EvidenceValue, EntityRef, Explanation, Finding } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { timerTolerance } from '../../model/timers.ts';
import { checksFor } from './stream-idle-timeout.ts';
import { type Diagnosed, defineRootCause, evidenceOf, explain, scoring } from '../root-cause.ts';

/** Explanation `upgraded-sessions-end-at-route-timeout`. */
const UPGRADED_SESSIONS_END_AT_ROUTE_TIMEOUT = explanationType<{
  count: EvidenceValue;
  lowMs: EvidenceValue;
  highMs: EvidenceValue;
  timeoutMs: EvidenceValue;
}>()(
  'upgraded-sessions-end-at-route-timeout',
  '{count} {count|upgraded session|upgraded sessions} ended with flag UT between {lowMs} and {highMs}, at the route timeout of {timeoutMs}',
);

/** Explanation `route-timeout-fails-upgrade-handshakes`. */
const ROUTE_TIMEOUT_FAILS_UPGRADE_HANDSHAKES = explanationType<{
  timeoutMs: EvidenceValue;
  envoyVersion: EvidenceValue;
  upstreamRqTimeout: EvidenceValue;
  cluster: EvidenceValue;
}>()(
  'route-timeout-fails-upgrade-handshakes',
  'the route timeout ({timeoutMs}) covers the wait for the upgrade response on Envoy >= 1.36.0 (this proxy: {envoyVersion}): {upstreamRqTimeout} {upstreamRqTimeout|upstream request timeout|upstream request timeouts} on {cluster}; a backend slower than that to answer 101 fails the WebSocket with 504 (UT)',
);

/** Explanation `route-timeouts-in-window`. */
const ROUTE_TIMEOUTS_IN_WINDOW = explanationType<{ windowUpstreamRqTimeout: EvidenceValue; cluster: EvidenceValue; windowSeconds: EvidenceValue }>()(
  'route-timeouts-in-window',
  '{windowUpstreamRqTimeout} {windowUpstreamRqTimeout|upstream request timeout|upstream request timeouts} on {cluster} in {windowSeconds}: requests and upgrades are timing out now',
);

function num(f: Finding | undefined, key: string): number | undefined {
  const v = f?.evidence[key];
  return typeof v === 'number' ? v : undefined;
}

const ROUTE_TIMERS = new Set(['route-timeout', 'envoy-route-timeout']);

export const rootCause = defineRootCause({
  id: 'route-timeout-on-upgrade',
  title: 'Route timeout applied to upgraded connections',
  message:
    'the route timeout (default 15 s) covers the wait for the upgrade response on Envoy >= 1.36.0: a backend slower than that to answer 101 fails the WebSocket with 504 (UT)',
  uses: ['upgrade-route-timeouts-fired', 'upgraded-sessions-end-together'],
  explanations: [UPGRADED_SESSIONS_END_AT_ROUTE_TIMEOUT, ROUTE_TIMEOUT_FAILS_UPGRADE_HANDSHAKES, ROUTE_TIMEOUTS_IN_WINDOW],
  verify: [
    { scope: 'cluster', stat: CLUSTER_STATS.rqTimeout, expect: 'stops-growing' },
    { scope: 'route', setting: 'route timeout 0s on the WebSocket route', expect: 'present' },
  ],
  diagnose(s: Snapshot, findings: Finding[]): Diagnosed[] {
    const out: Diagnosed[] = [];
    const fired = findings.filter((f) => f.code === 'upgrade-route-timeouts-fired' && f.severity !== 'info');
    const bands = findings.filter((f) => {
      if (f.code !== 'upgraded-sessions-end-together') return false;
      if (ROUTE_TIMERS.has(String(f.evidence.timer))) return true;
      if (f.evidence.flag !== 'UT') return false;
      const route = s.routes.find((r) => r.name === f.entity.name);
      const low = num(f, 'lowMs');
      return (
        route !== undefined && route.timeoutMs.value > 0 && low !== undefined && Math.abs(route.timeoutMs.value - low) <= timerTolerance(route.timeoutMs.value)
      );
    });
    const routeNames = [...new Set([...bands.map((b) => b.entity.name), ...fired.map((f) => f.entity.name)])];
    const routes = new Map(s.routes.map((r) => [r.name, r]));
    const byRoute = (list: Finding[]) => Map.groupBy(list, (f) => f.entity.name);
    const firedByRoute = byRoute(fired);
    const bandsByRoute = byRoute(bands);
    for (const name of routeNames) {
      const route = routes.get(name);
      const own = firedByRoute.get(name) ?? [];
      const here = bandsByRoute.get(name) ?? [];
      const evidence: Finding[] = [];
      const explains: Explanation[] = [];
      let score = 0;
      for (const band of here) {
        evidence.push(band);
        explains.push(
          explain(UPGRADED_SESSIONS_END_AT_ROUTE_TIMEOUT, {
            ...evidenceOf(band, ['count', 'lowMs', 'highMs']),
            timeoutMs: route?.timeoutMs.value ?? band.evidence.timerMs ?? null,
          }),
        );
      }
      if (here.length > 0) score += ROUTE_TIMERS.has(String(here[0]?.evidence.timer)) ? 0.8 : 0.7;
      for (const f of own) {
        evidence.push(f);
        explains.push(
          explain(ROUTE_TIMEOUT_FAILS_UPGRADE_HANDSHAKES, {
            envoyVersion: f.evidence.envoyVersion ?? 'unknown',
            timeoutMs: f.evidence.timeoutMs ?? null,
            upstreamRqTimeout: f.evidence.upstreamRqTimeout ?? null,
            cluster: f.evidence.cluster ?? null,
          }),
        );
      }
      const first = own[0];
      if (first) {
        score += here.length > 0 ? 0.15 : first.evidence.appliesTo === 'upgrade-handshake' ? 0.5 : 0.35;
        const window = num(first, 'windowUpstreamRqTimeout');
        if (window !== undefined && window > 0) {
          score += 0.1;
          explains.push(
            explain(ROUTE_TIMEOUTS_IN_WINDOW, {
              windowUpstreamRqTimeout: window,
              windowSeconds: first.evidence.windowSeconds ?? null,
              cluster: first.evidence.cluster ?? null,
            }),
          );
        }
      }
      const clusters = route?.clusters ?? own.map((f) => String(f.evidence.cluster));
      const entities: EntityRef[] = [{ kind: 'route', name }, ...clusters.map((c) => ({ kind: 'cluster' as const, name: c }))];
      out.push({
        id: 'route-timeout-on-upgrade',
        ...scoring(s, score),
        entities,
        evidence,
        explains,
        checks: checksFor(s, clusters, 'route-timeout-on-upgrade'),
        // 0s disables the route timeout: upgraded streams are then bounded by the stream idle timeout alone.
        changes: [{ kind: 'route-timeout', route: name, ms: 0 }],
      });
    }
    return out;
  },
});
