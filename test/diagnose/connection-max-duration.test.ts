import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/max-durations.ts';
import { rootCause as rule } from '../../src/diagnose/root-causes/connection-max-duration.ts';
import { envoyRenderer } from '../../src/fixes/envoy.ts';
import type { Finding } from '../../src/model/finding.ts';
import { configuredTimers, matchTimers } from '../../src/model/timers.ts';
import { diagnoseWith, type ExpectedRootCause, expectNamed, GATEWAY_CONNECTION_MANAGER, sessionsBand } from '../helpers/root-cause.ts';
import { clusterStats, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const R = `${C}/match/0`;
const P = 'https-10443';
const listener = () => {
  const l = gatewayListener() as { filter_chains: Array<{ filters: Array<{ typed_config: Record<string, unknown> }> }> };
  const tc = l.filter_chains[0]?.filters[0]?.typed_config;
  if (tc) tc.common_http_protocol_options = { max_stream_duration: '600s' };
  return l;
};
const config = { clusters: [gatewayCluster(C)], listeners: [listener()], routeConfigs: [routeConfig('home/eg/https', [C])] };
const zeroes = {
  ...clusterStats(C, { upstream_rq_timeout: 0, upstream_cx_max_duration_reached: 0, upstream_rq_max_duration_reached: 0 }),
  ...httpStats(P, { downstream_rq_idle_timeout: 0, downstream_cx_max_duration_reached: 0, downstream_cx_upgrades_total: 900 }),
};
/** Upgraded sessions ending with DT together at the connection manager's max_stream_duration. */
const dtBand = sessionsBand(R, {
  count: 30,
  flag: 'DT',
  lowMs: 600100,
  highMs: 601900,
  medianMs: 600600,
  cluster: C,
  timer: 'hcm-max-stream-duration',
  timerMs: 600000,
});

describe('connection-max-duration rule', () => {
  const cases: Array<{
    name: string;
    /** downstream_rq_max_duration_reached, then 30 s later. */
    resets: [number, number];
    bands?: Finding[];
    stats?: Record<string, number>;
    want: ExpectedRootCause | undefined;
  }> = [
    {
      name: 'streams reset at max_stream_duration during the window: medium confidence on the connection manager',
      resets: [140, 146],
      want: {
        confidence: 'medium',
        score: 0.6,
        severity: 'warning',
        entities: GATEWAY_CONNECTION_MANAGER,
        explanationAt: { 0: { code: 'streams-reset-at-max-duration', values: { rqMaxDurationReached: 146, maxStreamDurationMs: 600000, upgradesTotal: 900 } } },
        checks: [
          'stream-idle-timeout:ruled-out',
          'route-timeout-on-upgrade:ruled-out',
          'circuit-breaker-saturation:unknown',
          'websocket-upgrade-disabled:unknown',
        ],
        // The connection manager's 10 min limit is raised to a day on the listener that holds it.
        changes: [{ kind: 'listener-max-stream-duration', listener: 'home/eg/https', ms: 86_400_000 }],
      },
    },
    {
      name: 'a DT band at the configured duration adds the route and makes it high confidence',
      resets: [140, 146],
      bands: [dtBand],
      want: { confidence: 'high', score: 1, severity: 'error', firstEntity: { kind: 'route', name: R } },
    },
    {
      name: 'connections that only drained at max_connection_duration are not enough on their own',
      resets: [0, 0],
      stats: { [`cluster.${C}.upstream_cx_max_duration_reached`]: 12 },
      want: undefined,
    },
    { name: 'resets that did not move and no band: nothing', resets: [146, 146], want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const [before, after] = c.resets;
      const s = fixture({
        ...config,
        stats: { ...zeroes, ...c.stats, [`http.${P}.downstream_rq_max_duration_reached`]: before },
        statsLater: { ...zeroes, ...c.stats, [`http.${P}.downstream_rq_max_duration_reached`]: after },
        intervalSeconds: 30,
      });
      expectNamed(diagnoseWith(rule, analyze, s, c.bands), 'connection-max-duration', c.want);
    });
  }
});

describe('connection-max-duration: where the limit is set decides the fix (measured by the lab on Envoy 1.36.2 and 1.40.0)', () => {
  const HPO = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
  const clusterOptions = (common: object) => ({
    typed_extension_protocol_options: {
      [HPO]: { '@type': `type.googleapis.com/${HPO}`, explicit_http_config: { http_protocol_options: {} }, common_http_protocol_options: common },
    },
  });
  const cases: Array<{
    name: string;
    cluster: object;
    route: object;
    stats: Record<string, [number, number]>;
    entities: string[];
    changes: unknown[];
    envoyFix: RegExp | undefined;
  }> = [
    {
      name: "a cluster's max_stream_duration resets upstream streams: raised to a day on the cluster",
      cluster: clusterOptions({ max_stream_duration: '600s' }),
      route: {},
      stats: { [`cluster.${C}.upstream_rq_max_duration_reached`]: [10, 14] },
      entities: [`cluster ${C}`],
      changes: [{ kind: 'cluster-max-stream-duration', cluster: C, ms: 86_400_000 }],
      envoyFix: /max_stream_duration: 86400s/,
    },
    {
      name: "a route's max_stream_duration resets streams: 0s on the route lifts it there",
      cluster: {},
      route: { max_stream_duration: { max_stream_duration: '600s' } },
      stats: { [`http.${P}.downstream_rq_max_duration_reached`]: [10, 14] },
      entities: [`connection-manager ${P}`, 'listener home/eg/https', `route ${R}`],
      changes: [{ kind: 'route-max-stream-duration', route: R, ms: 0 }],
      envoyFix: /max_stream_duration:\n\s+max_stream_duration: 0s/,
    },
    {
      name: 'max_connection_duration on both sides only drains: nothing, however many connections reached it',
      cluster: clusterOptions({ max_connection_duration: '1s' }),
      route: {},
      stats: { [`cluster.${C}.upstream_cx_max_duration_reached`]: [50, 80], [`http.${P}.downstream_cx_max_duration_reached`]: [50, 80] },
      entities: [],
      changes: [],
      envoyFix: undefined,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const before = Object.fromEntries(Object.entries(c.stats).map(([k, [v]]) => [k, v]));
      const after = Object.fromEntries(Object.entries(c.stats).map(([k, [, v]]) => [k, v]));
      const s = fixture({
        clusters: [gatewayCluster(C, c.cluster)],
        listeners: [gatewayListener()],
        routeConfigs: [routeConfig('home/eg/https', [C], c.route)],
        stats: { ...zeroes, ...before },
        statsLater: { ...zeroes, ...after },
        intervalSeconds: 30,
      });
      const [rc] = rule.diagnose(s, analyze(s));
      assert.deepEqual(rc?.entities.map((e) => `${e.kind} ${e.name}`) ?? [], c.entities);
      assert.deepEqual(rc?.changes ?? [], c.changes);
      const text = rc
        ? envoyRenderer
            .render(s, rc.changes)
            .map((r) => r.fix.text)
            .join('\n')
        : undefined;
      if (c.envoyFix) assert.match(text ?? '', c.envoyFix);
    });
  }

  it('max_connection_duration cannot end an open session: a band at it matches no timer, one at a stream duration does', () => {
    const s = fixture({
      clusters: [gatewayCluster(C, clusterOptions({ max_connection_duration: '600s', max_stream_duration: '900s' }))],
      listeners: [gatewayListener({ hcm: { common_http_protocol_options: { max_connection_duration: '600s' } } })],
      routeConfigs: [routeConfig('home/eg/https', [C])],
    });
    const timers = configuredTimers(s, { route: R });
    assert.deepEqual(
      timers.filter((t) => t.id.includes('max-')).map((t) => `${t.id} ${t.ms} ${t.idleOnly}`),
      ['hcm-max-connection-duration 600000 true', 'cluster-max-connection-duration 600000 true', 'cluster-max-stream-duration 900000 false'],
    );
    assert.deepEqual(
      matchTimers({ lowMs: 600_100, highMs: 601_000 }, timers).map((m) => m.timer.id),
      [],
    );
    assert.deepEqual(
      matchTimers({ lowMs: 900_100, highMs: 901_000, flag: 'UMSDR' }, timers).map((m) => m.timer.id),
      ['cluster-max-stream-duration'],
    );
  });
});
