import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, routeTimeoutOnUpgrade } from '../../src/analyzers/upgrade-route-timeouts.ts';
import { compareVersions } from '../../src/model/envoy-version.ts';
import { type ExpectedFinding, expectFindings } from '../helpers/expect.ts';
import { clusterStats, type FixtureSpec, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const R = `${C}/match/0`;
const node = (minor: number) => ({ node: { cluster: 'home/eg', user_agent_build_version: { version: { major_number: 1, minor_number: minor, patch: 2 } } } });
const config = (minor: number | undefined, routeExtra: object = { timeout: '3s' }) => ({
  ...(minor !== undefined ? { bootstrap: node(minor) } : {}),
  clusters: [gatewayCluster(C)],
  listeners: [gatewayListener()],
  routeConfigs: [routeConfig('home/eg/https', [C], routeExtra)],
});
const before = {
  ...clusterStats(C, { upstream_rq_timeout: 40 }),
  ...httpStats('https-10443', { downstream_rq_timeout: 0, downstream_cx_upgrades_total: 800 }),
};
const after = { ...clusterStats(C, { upstream_rq_timeout: 52 }), ...httpStats('https-10443', { downstream_rq_timeout: 0, downstream_cx_upgrades_total: 812 }) };

describe('upgrade-route-timeouts analyzer', () => {
  const cases: Array<{ name: string; spec: FixtureSpec; want: ExpectedFinding[] }> = [
    {
      name: 'Envoy 1.36 applies the route timeout to the upgrade handshake: timeouts rising warn',
      spec: { ...config(36), stats: before, statsLater: after, intervalSeconds: 30 },
      want: [
        {
          code: 'upgrade-route-timeouts-fired',
          entity: R,
          severity: 'warning',
          evidence: {
            cluster: C,
            timeoutMs: 3000,
            timeoutSource: 'explicit',
            upstreamRqTimeout: 52,
            windowUpstreamRqTimeout: 12,
            windowSeconds: 30,
            downstreamRqTimeout: 0,
            envoyVersion: '1.36.2',
            appliesTo: 'upgrade-handshake',
            upgradesTotal: 812,
          },
        },
      ],
    },
    {
      name: 'Envoy 1.35 never arms the route timeout for an upgrade: the timeouts are plain requests, info',
      spec: { ...config(35), stats: before, statsLater: after, intervalSeconds: 30 },
      want: [{ code: 'upgrade-route-timeouts-fired', entity: R, severity: 'info', evidence: { appliesTo: 'not-applied', envoyVersion: '1.35.2' } }],
    },
    {
      name: 'unknown version: warn on the counter, say unknown',
      spec: { ...config(undefined), stats: after },
      want: [
        { code: 'upgrade-route-timeouts-fired', entity: R, severity: 'warning', evidence: { appliesTo: 'unknown', envoyVersion: null, upstreamRqTimeout: 52 } },
      ],
    },
    {
      name: 'the default 15 s route timeout counts too',
      spec: { ...config(36, {}), stats: after },
      want: [{ code: 'upgrade-route-timeouts-fired', entity: R, severity: 'warning', evidence: { timeoutMs: 15000, timeoutSource: 'envoy-default' } }],
    },
    { name: 'timeout 0s disables it: nothing', spec: { ...config(36, { timeout: '0s' }), stats: after }, want: [] },
    { name: 'no timeouts counted: nothing', spec: { ...config(36), stats: clusterStats(C, { upstream_rq_timeout: 0 }) }, want: [] },
    {
      name: 'timeouts with no 504 for them cut started responses (streams): not upgrades, nothing',
      spec: {
        ...config(36),
        stats: clusterStats(C, { upstream_rq_timeout: 40, upstream_rq_2xx: 900 }),
        statsLater: clusterStats(C, { upstream_rq_timeout: 52, upstream_rq_2xx: 912 }),
        intervalSeconds: 30,
      },
      want: [],
    },
    {
      name: 'old 504s, new timeouts without one: the handshakes did not time out during the window, info',
      spec: {
        ...config(36),
        stats: clusterStats(C, { upstream_rq_timeout: 40, upstream_rq_504: 4, upstream_rq_2xx: 900 }),
        statsLater: clusterStats(C, { upstream_rq_timeout: 52, upstream_rq_504: 4, upstream_rq_2xx: 912 }),
        intervalSeconds: 30,
      },
      want: [{ code: 'upgrade-route-timeouts-fired', entity: R, severity: 'info', evidence: { upstreamRqTimeout: 52, windowUpstreamRqTimeout: 12 } }],
    },
    {
      name: 'timeouts that did not move during the window are history: info',
      spec: { ...config(36), stats: after, statsLater: after, intervalSeconds: 30 },
      want: [{ code: 'upgrade-route-timeouts-fired', entity: R, severity: 'info', evidence: { windowUpstreamRqTimeout: 0 } }],
    },
  ];
  for (const c of cases) it(c.name, () => expectFindings(analyze(fixture(c.spec)), c.want));

  it('versions compare numerically; 1.36.0 is the first that applies the timeout to upgrades', () => {
    assert.equal(compareVersions('1.9.3', '1.36.0'), -1);
    assert.equal(compareVersions('1.36.0', '1.36'), 0);
    assert.equal(compareVersions('v1.36', '1.36.0'), undefined);
    assert.equal(routeTimeoutOnUpgrade('1.35.6'), 'not-applied');
    assert.equal(routeTimeoutOnUpgrade('1.36.0'), 'upgrade-handshake');
    assert.equal(routeTimeoutOnUpgrade('1.37.1'), 'upgrade-handshake');
    assert.equal(routeTimeoutOnUpgrade(undefined), 'unknown');
  });
});
