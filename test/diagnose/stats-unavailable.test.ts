import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STAT_FAMILIES } from '../../src/analyzers/index.ts';
import { analyze } from '../../src/analyzers/stats-coverage.ts';
import { rootCause as rule } from '../../src/diagnose/root-causes/stats-unavailable.ts';
import { clusterStats, type FixtureSpec, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const HCM = 'https-10443';
const config = { clusters: [gatewayCluster(C)], listeners: [gatewayListener()], routeConfigs: [routeConfig('home/eg/https', [C])] };
const all = (names: string[], except: (n: string) => boolean = () => false) => Object.fromEntries(names.filter((n) => !except(n)).map((n) => [n, 0]));
const CLUSTER = STAT_FAMILIES.flatMap((f) => f.cluster);
const HTTP = STAT_FAMILIES.flatMap((f) => f.http);
const inclusion = (patterns: object[]) => ({ stats_config: { stats_matcher: { inclusion_list: { patterns } } } });

function diagnose(spec: FixtureSpec) {
  const s = fixture(spec);
  return rule.diagnose(s, analyze(s, { families: STAT_FAMILIES }));
}

describe('stats-unavailable rule', () => {
  it('an inclusion list that drops the flow-control and destroy families: warning, the unknown hypotheses, and the prefix to include', () => {
    const dropped = (n: string) => n.startsWith('upstream_flow_control_') || n.startsWith('upstream_cx_destroy');
    const [rc, ...rest] = diagnose({
      ...config,
      bootstrap: inclusion([{ prefix: 'http.' }, { safe_regex: { regex: 'cluster\\..*\\.(upstream_(rq|cx_(active|rx|tx|overflow|max|http|protocol))|circuit_breakers).*' } }]),
      stats: { ...clusterStats(C, all(CLUSTER, dropped)), ...httpStats(HCM, all(HTTP)) },
    });
    assert.equal(rest.length, 0);
    assert.equal(rc?.id, 'stats-unavailable');
    assert.equal(rc?.severity, 'warning');
    assert.equal(rc?.confidence, 'high');
    assert.deepEqual(rc?.entities, [{ kind: 'cluster', name: C }]);
    assert.deepEqual(rc?.explains.map((e) => e.code), ['stats-rejected-by-matcher', 'hypotheses-unknown-without-stats']);
    assert.deepEqual(rc?.explains[0]?.values, { missing: 5, entities: 1, families: 'flow-control, close', setting: 'inclusion_list: none of 2 patterns matches' });
    assert.deepEqual(rc?.explains[1]?.values, { rootCauses: 'flow-control-stall' });
    const flow = rc?.checks.find((c) => c.hypothesis === 'flow-control-stall');
    assert.equal(flow?.verdict, 'unknown');
    assert.equal(flow?.missing?.length, 5);
    assert.ok(flow?.missing?.includes(`cluster.${C}.upstream_cx_destroy_remote_with_active_rq`));
    assert.deepEqual(rc?.changes, [{ kind: 'stats-inclusion', prefixes: [`cluster.${C}.`] }]);
  });

  it('reject_all: the hypotheses the shared checks cannot decide are unknown, with what they miss; both entities are included', () => {
    const [rc] = diagnose({ ...config, bootstrap: { stats_config: { stats_matcher: { reject_all: true } } }, stats: { 'server.uptime': 1 } });
    assert.equal(rc?.severity, 'warning');
    assert.deepEqual(rc?.entities.map((e) => e.name), [C, HCM]);
    const idle = rc?.checks.find((c) => c.hypothesis === 'stream-idle-timeout');
    assert.equal(idle?.verdict, 'unknown');
    assert.deepEqual(idle?.missing, [`http.${HCM}.downstream_rq_idle_timeout`]);
    assert.deepEqual(rc?.changes, [{ kind: 'stats-inclusion', prefixes: [`cluster.${C}.`, `http.${HCM}.`] }]);
  });

  it('only quiet clusters under deferred creation: info, explained, nothing to change', () => {
    const [rc] = diagnose({
      ...config,
      bootstrap: { deferred_stat_options: { enable_deferred_creation_stats: true } },
      stats: { ...clusterStats(C, { 'circuit_breakers.default.cx_open': 0, 'circuit_breakers.default.rq_open': 0, 'circuit_breakers.default.rq_pending_open': 0 }), ...httpStats(HCM, all(HTTP)) },
    });
    assert.equal(rc?.severity, 'info');
    assert.deepEqual(rc?.explains.map((e) => e.code), ['stats-deferred-on-quiet-clusters', 'hypotheses-unknown-without-stats']);
    assert.equal(rc?.explains[0]?.values.missing, 17);
    assert.deepEqual(rc?.changes, []);
  });

  it('an exclusion list: warning naming the pattern, but no inclusion prefixes to add', () => {
    const [rc] = diagnose({
      ...config,
      bootstrap: { stats_config: { stats_matcher: { exclusion_list: { patterns: [{ prefix: 'cluster.' }] } } } },
      stats: httpStats(HCM, all(HTTP)),
    });
    assert.equal(rc?.severity, 'warning');
    assert.equal(rc?.explains[0]?.values.setting, 'exclusion_list prefix cluster.');
    assert.deepEqual(rc?.changes, []);
  });

  it('every needed stat present: nothing', () => {
    assert.deepEqual(diagnose({ ...config, bootstrap: inclusion([{ prefix: 'cluster.' }, { prefix: 'http.' }]), stats: { ...clusterStats(C, all(CLUSTER)), ...httpStats(HCM, all(HTTP)) } }), []);
  });
});
