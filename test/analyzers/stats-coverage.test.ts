import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STAT_FAMILIES } from '../../src/analyzers/index.ts';
import { analyze } from '../../src/analyzers/stats-coverage.ts';
import { evaluateMatcher, re2ToRegExp } from '../../src/model/stats-config.ts';
import { type ExpectedFinding, expectFindings } from '../helpers/expect.ts';
import { clusterStats, type FixtureSpec, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const HCM = 'https-10443';
const config = { clusters: [gatewayCluster(C)], listeners: [gatewayListener()], routeConfigs: [routeConfig('home/eg/https', [C])] };
const CLUSTER_NEEDED = STAT_FAMILIES.flatMap((f) => f.cluster);
const HTTP_NEEDED = STAT_FAMILIES.flatMap((f) => f.http);
const all = (names: string[], except: (n: string) => boolean = () => false) => Object.fromEntries(names.filter((n) => !except(n)).map((n) => [n, 0]));
const complete = { ...clusterStats(C, { ...all(CLUSTER_NEEDED), membership_total: 1 }), ...httpStats(HCM, all(HTTP_NEEDED)) };
const dropped = (n: string) => n.startsWith('upstream_flow_control_') || n.startsWith('upstream_cx_destroy');
const inclusion = (patterns: object[]) => ({ stats_config: { stats_matcher: { inclusion_list: { patterns } } } });

describe('stats-coverage analyzer', () => {
  const cases: Array<{ name: string; spec: FixtureSpec; want: ExpectedFinding[] }> = [
    {
      name: 'every needed stat present: nothing',
      spec: { ...config, bootstrap: inclusion([{ prefix: 'cluster.' }, { prefix: 'http.' }]), stats: complete },
      want: [],
    },
    {
      name: 'an inclusion list without the flow-control and destroy families: warning, counts, families and the rule',
      spec: {
        ...config,
        bootstrap: inclusion([
          { prefix: 'http.' },
          { safe_regex: { regex: 'cluster\\..*\\.(upstream_(rq|cx_(active|rx|tx|overflow|max|http|protocol))|circuit_breakers|membership).*' } },
        ]),
        stats: { ...clusterStats(C, { ...all(CLUSTER_NEEDED, dropped), membership_total: 1 }), ...httpStats(HCM, all(HTTP_NEEDED)) },
      },
      want: [
        {
          code: 'needed-stats-missing',
          entity: C,
          severity: 'warning',
          evidence: {
            entityKind: 'cluster',
            entityName: C,
            statPrefix: `cluster.${C}.`,
            needed: 20,
            missing: 5,
            present: 16,
            families: 'close, flow-control',
            rootCauses: 'flow-control-stall',
            reason: 'stats-matcher',
            setting: 'inclusion_list: none of 2 patterns matches',
            matcherMode: 'inclusion',
          },
        },
      ],
    },
    {
      name: 'camelCase (egctl) exclusion list naming the rule; ignore_case honoured',
      spec: {
        ...config,
        bootstrap: { statsConfig: { statsMatcher: { exclusionList: { patterns: [{ suffix: '_ACTIVE_RQ', ignoreCase: true }] } } } },
        stats: {
          ...clusterStats(C, all(CLUSTER_NEEDED)),
          ...httpStats(
            HCM,
            all(HTTP_NEEDED, (n) => n.endsWith('_active_rq')),
          ),
        },
      },
      want: [
        {
          code: 'needed-stats-missing',
          entity: HCM,
          severity: 'warning',
          evidence: {
            entityKind: 'connection-manager',
            missing: 1,
            needed: 13,
            families: 'close',
            reason: 'stats-matcher',
            setting: 'exclusion_list suffix _ACTIVE_RQ (ignore_case)',
            matcherMode: 'exclusion',
          },
        },
      ],
    },
    {
      name: 'reject_all: nothing at all for either entity',
      spec: { ...config, bootstrap: { stats_config: { stats_matcher: { reject_all: true } } }, stats: { 'server.uptime': 10 } },
      want: [
        {
          code: 'entity-stats-missing',
          entity: C,
          severity: 'warning',
          evidence: { missing: 20, present: 0, reason: 'stats-matcher', setting: 'reject_all', matcherMode: 'reject-all' },
        },
        {
          code: 'entity-stats-missing',
          entity: HCM,
          severity: 'warning',
          evidence: { missing: 13, present: 0, reason: 'stats-matcher', setting: 'reject_all' },
        },
      ],
    },
    {
      name: 'deferred creation on a cluster that never carried a request: info, traffic stats only (circuit breakers exist)',
      spec: {
        ...config,
        bootstrap: { deferredStatOptions: { enableDeferredCreationStats: true } },
        stats: {
          ...clusterStats(C, {
            'circuit_breakers.default.cx_open': 0,
            'circuit_breakers.default.rq_open': 0,
            'circuit_breakers.default.rq_pending_open': 0,
            membership_total: 1,
          }),
          ...httpStats(HCM, all(HTTP_NEEDED)),
        },
      },
      want: [
        {
          code: 'needed-stats-missing',
          entity: C,
          severity: 'info',
          evidence: {
            missing: 17,
            present: 4,
            reason: 'deferred-creation',
            setting: 'deferred_stat_options.enable_deferred_creation_stats',
            families: 'buffered-bytes, circuit-breaker, close, flow-control, max-duration, route-timeout, upstream-protocol',
          },
        },
      ],
    },
    {
      name: 'deferred creation but the cluster has traffic stats: the gap is not deferred creation',
      spec: {
        ...config,
        bootstrap: { deferred_stat_options: { enable_deferred_creation_stats: true } },
        stats: {
          ...clusterStats(
            C,
            all(CLUSTER_NEEDED, (n) => n === 'upstream_rq_timeout'),
          ),
          ...httpStats(HCM, all(HTTP_NEEDED)),
        },
      },
      want: [
        {
          code: 'needed-stats-missing',
          entity: C,
          severity: 'info',
          evidence: { missing: 1, reason: 'unexplained', families: 'route-timeout', rootCauses: 'route-timeout-on-upgrade' },
        },
      ],
    },
    {
      name: 'stats under a name the config does not know (alt_stat_name): warning with the stray entity',
      spec: { ...config, stats: { ...clusterStats('home-app-alt', all(CLUSTER_NEEDED)), ...httpStats(HCM, all(HTTP_NEEDED)) } },
      want: [
        {
          code: 'entity-stats-missing',
          entity: C,
          severity: 'warning',
          evidence: { reason: 'stat-name-differs', setting: 'alt_stat_name', unmatchedEntities: 1, unmatchedExample: 'home-app-alt' },
        },
      ],
    },
    {
      name: 'alt_stat_name in the config: stats are looked up under it',
      spec: {
        clusters: [gatewayCluster(C, { alt_stat_name: 'home-app-alt' })],
        listeners: config.listeners,
        routeConfigs: config.routeConfigs,
        stats: { ...clusterStats('home-app-alt', all(CLUSTER_NEEDED)), ...httpStats(HCM, all(HTTP_NEEDED)) },
      },
      want: [],
    },
    {
      name: 'a safe_regex JavaScript cannot compile is reported; the stats only it could include stay unexplained',
      spec: {
        ...config,
        bootstrap: inclusion([{ prefix: 'http.' }, { safe_regex: { regex: 'cluster\\.\\C*' } }]),
        stats: { ...clusterStats(C, { membership_total: 1 }), ...httpStats(HCM, all(HTTP_NEEDED)) },
      },
      want: [
        {
          code: 'stats-matcher-pattern-unsupported',
          entity: 'proxy-0',
          severity: 'info',
          evidence: { pattern: 'safe_regex cluster\\.\\C*', matcherMode: 'inclusion' },
        },
        { code: 'needed-stats-missing', entity: C, severity: 'info', evidence: { missing: 20, reason: 'unexplained', setting: 'safe_regex cluster\\.\\C*' } },
      ],
    },
    { name: 'no stats input: only the pattern check runs', spec: { ...config, bootstrap: inclusion([{ prefix: 'cluster.' }]) }, want: [] },
  ];
  for (const c of cases) it(c.name, () => expectFindings(analyze(fixture(c.spec), { families: STAT_FAMILIES }), c.want));

  it('parses the bootstrap into the snapshot, snake_case and camelCase alike', () => {
    const snake = fixture({
      ...config,
      bootstrap: {
        ...inclusion([{ prefix: 'a.' }, { exact: 'b' }, { contains: 'c' }, { safe_regex: { regex: 'd.*' } }]),
        deferred_stat_options: { enable_deferred_creation_stats: true },
      },
    });
    const camel = fixture({
      ...config,
      bootstrap: {
        statsConfig: {
          statsMatcher: { inclusionList: { patterns: [{ prefix: 'a.' }, { exact: 'b' }, { contains: 'c' }, { safeRegex: { googleRe2: {}, regex: 'd.*' } }] } },
        },
        deferredStatOptions: { enableDeferredCreationStats: true },
      },
    });
    for (const s of [snake, camel]) {
      assert.deepEqual(s.statsConfig, {
        deferredCreation: true,
        matcher: {
          mode: 'inclusion',
          patterns: [
            { kind: 'prefix', value: 'a.', ignoreCase: false },
            { kind: 'exact', value: 'b', ignoreCase: false },
            { kind: 'contains', value: 'c', ignoreCase: false },
            { kind: 'safe-regex', value: 'd.*', ignoreCase: false },
          ],
        },
      });
    }
    assert.equal(fixture(config).statsConfig, undefined);
  });

  it('evaluates matchers as Envoy does: safe_regex matches the whole name, RE2-only syntax is refused', () => {
    const pattern = { kind: 'safe-regex' as const, value: 'upstream_cx_.*', ignoreCase: false };
    const m = { mode: 'inclusion' as const, patterns: [pattern] };
    assert.equal(evaluateMatcher(m, 'cluster.a.upstream_cx_active').verdict, 'rejected');
    assert.equal(evaluateMatcher({ ...m, patterns: [{ ...pattern, value: '.*upstream_cx_.*' }] }, 'cluster.a.upstream_cx_active').verdict, 'created');
    assert.equal(evaluateMatcher(undefined, 'anything').verdict, 'created');
    assert.ok(re2ToRegExp('(?i)CLUSTER\\..*')?.test('cluster.a.b'));
    assert.ok(re2ToRegExp('(?P<c>cluster)\\..*')?.test('cluster.a'));
    for (const re2 of ['a\\z', '\\pN+', '[[:alpha:]]+', 'a(?U)b', '(']) assert.equal(re2ToRegExp(re2), null, re2);
  });
});
