import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STAT_FAMILIES } from '../../src/analyzers/index.ts';
import { analyze } from '../../src/analyzers/stats-coverage.ts';
import { rootCause as rule } from '../../src/diagnose/root-causes/stats-unavailable.ts';
import { diagnoseWith, type ExpectedRootCause, expectNamed } from '../helpers/root-cause.ts';
import { clusterStats, type FixtureSpec, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const HCM = 'https-10443';
const config = { clusters: [gatewayCluster(C)], listeners: [gatewayListener()], routeConfigs: [routeConfig('home/eg/https', [C])] };
const all = (names: string[], except: (n: string) => boolean = () => false) => Object.fromEntries(names.filter((n) => !except(n)).map((n) => [n, 0]));
const CLUSTER = STAT_FAMILIES.flatMap((f) => f.cluster);
const HTTP = STAT_FAMILIES.flatMap((f) => f.http);
const inclusion = (patterns: object[]) => ({ stats_config: { stats_matcher: { inclusion_list: { patterns } } } });

const dropped = (n: string) => n.startsWith('upstream_flow_control_') || n.startsWith('upstream_cx_destroy');

describe('stats-unavailable rule', () => {
  const cases: Array<{ name: string; spec: FixtureSpec; want: ExpectedRootCause | undefined }> = [
    {
      name: 'an inclusion list that drops the flow-control and destroy families: warning, the unknown hypotheses, and the prefix to include',
      spec: {
        ...config,
        bootstrap: inclusion([
          { prefix: 'http.' },
          { safe_regex: { regex: 'cluster\\..*\\.(upstream_(rq|cx_(active|rx|tx|overflow|max|http|protocol))|circuit_breakers).*' } },
        ]),
        stats: { ...clusterStats(C, all(CLUSTER, dropped)), ...httpStats(HCM, all(HTTP)) },
      },
      want: {
        severity: 'warning',
        confidence: 'high',
        entities: [{ kind: 'cluster', name: C }],
        explains: ['stats-rejected-by-matcher', 'hypotheses-unknown-without-stats'],
        values: {
          'stats-rejected-by-matcher': { missing: 5, entities: 1, families: 'close, flow-control', setting: 'inclusion_list: none of 2 patterns matches' },
          'hypotheses-unknown-without-stats': { rootCauses: 'flow-control-stall' },
        },
        hypotheses: {
          'flow-control-stall': { verdict: 'unknown', missingCount: 5, missingIncludes: `cluster.${C}.upstream_cx_destroy_remote_with_active_rq` },
        },
        changes: [{ kind: 'stats-inclusion', prefixes: [`cluster.${C}.`] }],
      },
    },
    {
      name: 'reject_all: the hypotheses the shared checks cannot decide are unknown, with what they miss; both entities are included',
      spec: { ...config, bootstrap: { stats_config: { stats_matcher: { reject_all: true } } }, stats: { 'server.uptime': 1 } },
      want: {
        severity: 'warning',
        hypotheses: { 'stream-idle-timeout': { verdict: 'unknown', missing: [`http.${HCM}.downstream_rq_idle_timeout`] } },
        changes: [{ kind: 'stats-inclusion', prefixes: [`cluster.${C}.`, `http.${HCM}.`] }],
        more: (rc) =>
          assert.deepEqual(
            rc.entities.map((e) => e.name),
            [C, HCM],
          ),
      },
    },
    {
      name: 'only quiet clusters under deferred creation: info, explained, nothing to change',
      spec: {
        ...config,
        bootstrap: { deferred_stat_options: { enable_deferred_creation_stats: true } },
        stats: {
          ...clusterStats(C, { 'circuit_breakers.default.cx_open': 0, 'circuit_breakers.default.rq_open': 0, 'circuit_breakers.default.rq_pending_open': 0 }),
          ...httpStats(HCM, all(HTTP)),
        },
      },
      want: {
        severity: 'info',
        explains: ['stats-deferred-on-quiet-clusters', 'hypotheses-unknown-without-stats'],
        someValues: { 'stats-deferred-on-quiet-clusters': { missing: 17 } },
        changes: [],
      },
    },
    {
      name: 'an exclusion list: warning naming the pattern, but no inclusion prefixes to add',
      spec: {
        ...config,
        bootstrap: { stats_config: { stats_matcher: { exclusion_list: { patterns: [{ prefix: 'cluster.' }] } } } },
        stats: httpStats(HCM, all(HTTP)),
      },
      want: { severity: 'warning', someValues: { 'stats-rejected-by-matcher': { setting: 'exclusion_list prefix cluster.' } }, changes: [] },
    },
    {
      name: 'every needed stat present: nothing',
      spec: {
        ...config,
        bootstrap: inclusion([{ prefix: 'cluster.' }, { prefix: 'http.' }]),
        stats: { ...clusterStats(C, all(CLUSTER)), ...httpStats(HCM, all(HTTP)) },
      },
      want: undefined,
    },
  ];
  for (const c of cases) {
    it(c.name, () =>
      expectNamed(
        diagnoseWith(rule, (s) => analyze(s, { families: STAT_FAMILIES }), fixture(c.spec)),
        'stats-unavailable',
        c.want,
      ),
    );
  }
});
