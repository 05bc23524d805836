import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, cutAfterResponse } from '../../src/analyzers/stream-route-timeouts.ts';
import { routeTimeoutSplit } from '../../src/model/route-timeouts.ts';
import type { AccessLogEntry } from '../../src/model/access-log.ts';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { type ExpectedFinding, expectFindings } from '../helpers/expect.ts';
import { clusterStats, type FixtureSpec, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/web/events/rule/0';
const R = `${C}/match/0`;
const P = 'https-10443';
const config = (routeExtra: object = { timeout: '15s' }) => ({
  clusters: [gatewayCluster(C)],
  listeners: [gatewayListener()],
  routeConfigs: [routeConfig('home/eg/https', [C], routeExtra)],
});
const stats = (timeouts: number, r504: number | undefined, r2xx: number | null = 900) => ({
  ...clusterStats(C, {
    upstream_rq_timeout: timeouts,
    ...(r504 !== undefined ? { upstream_rq_504: r504 } : {}),
    ...(r2xx !== null ? { upstream_rq_2xx: r2xx } : {}),
  }),
  ...httpStats(P, { downstream_cx_upgrades_total: 0 }),
});

/** An access-log entry of a response: code, flags, duration, route. */
const entry = (responseCode: number, flags: string[], durationMs: number, extra: Partial<AccessLogEntry> = {}): AccessLogEntry => ({
  responseCode,
  responseFlags: flags,
  durationMs,
  routeName: R,
  upstreamCluster: C,
  ...extra,
});
const withLog = (s: Snapshot, entries: AccessLogEntry[]): Snapshot => Object.assign(s, { accessLog: { source: 'access.log', entries, skipped: 0 } });

describe('stream-route-timeouts analyzer', () => {
  const cases: Array<{ name: string; spec: FixtureSpec; log?: AccessLogEntry[]; want: ExpectedFinding[] }> = [
    {
      name: 'timeouts rising without 504s: streams cut after the response started, warning',
      spec: { ...config(), stats: stats(40, 2), statsLater: stats(52, 3), intervalSeconds: 30 },
      want: [
        {
          code: 'stream-route-timeouts-fired',
          entity: R,
          severity: 'warning',
          evidence: {
            cluster: C,
            timeoutMs: 15000,
            timeoutSource: 'explicit',
            upstreamRqTimeout: 52,
            upstreamRq504: 3,
            afterResponse: 49,
            windowAfterResponse: 11,
            windowSeconds: 30,
            upgradesTotal: 0,
          },
        },
      ],
    },
    {
      name: 'no 504 counter yet but 2xx counted: none of the timeouts was answered with 504',
      spec: { ...config({}), stats: stats(7, undefined) },
      want: [
        {
          code: 'stream-route-timeouts-fired',
          entity: R,
          severity: 'warning',
          evidence: { timeoutMs: 15000, timeoutSource: 'envoy-default', upstreamRq504: 0, afterResponse: 7 },
        },
      ],
    },
    {
      name: 'every timeout answered with 504 (slow responses, slow upgrades): nothing',
      spec: { ...config(), stats: stats(21, 21), statsLater: stats(33, 33), intervalSeconds: 30 },
      want: [],
    },
    { name: 'no response-code stats to tell: nothing', spec: { ...config(), stats: stats(21, undefined, null) }, want: [] },
    { name: 'route timeout 0s: nothing', spec: { ...config({ timeout: '0s' }), stats: stats(40, 0) }, want: [] },
    {
      name: 'cuts that did not move during the window are history: info',
      spec: { ...config(), stats: stats(52, 3), statsLater: stats(52, 3), intervalSeconds: 30 },
      want: [{ code: 'stream-route-timeouts-fired', entity: R, severity: 'info', evidence: { afterResponse: 49, windowAfterResponse: 0 } }],
    },
    {
      name: 'access log: 200 UT at the route timeout, with the content types logged',
      spec: { ...config({ timeout: '15s' }) },
      log: [
        entry(200, ['UT'], 15_004, { contentType: 'text/event-stream' }),
        entry(200, ['UT'], 15_012, { contentType: 'text/event-stream' }),
        entry(200, ['UT'], 15_001, { contentType: 'application/grpc' }),
        entry(504, ['UT'], 15_000),
        entry(101, ['UT'], 15_000),
        entry(200, [], 3_000),
      ],
      want: [
        {
          code: 'streams-cut-at-route-timeout',
          entity: R,
          severity: 'warning',
          evidence: {
            responses: 3,
            lowMs: 15_001,
            highMs: 15_012,
            medianMs: 15_004,
            codes: '200',
            timeoutMs: 15000,
            atTimeout: 3,
            cluster: C,
            contentTypes: 'text/event-stream, application/grpc',
          },
        },
      ],
    },
    {
      name: 'access log without route names: the one timed route to the cluster',
      spec: { ...config({ timeout: '2s' }) },
      log: [entry(206, ['UT'], 2_100, { routeName: undefined }), entry(200, ['UT'], 9_000, { routeName: undefined })],
      want: [{ code: 'streams-cut-at-route-timeout', entity: R, evidence: { responses: 2, codes: '206, 200', timeoutMs: 2000, atTimeout: 1 } }],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = fixture(c.spec);
      expectFindings(analyze(c.log ? withLog(s, c.log) : s), c.want);
    });
  }

  it('splits timeouts by the 504s charged for them, over the window too', () => {
    const s = fixture({ ...config(), stats: stats(40, 2), statsLater: stats(52, 3), intervalSeconds: 30 });
    assert.deepEqual(routeTimeoutSplit(s, C), { timeouts: 52, answered504: 3, afterResponse: 49, windowAfterResponse: 11 });
    assert.equal(routeTimeoutSplit(fixture({ ...config(), stats: stats(0, 0) }), C), undefined);
  });

  it('a cut response is UT on a code that is neither the timeout 504 nor an upgrade', () => {
    assert.equal(cutAfterResponse(entry(200, ['UT'], 1000)), true);
    assert.equal(cutAfterResponse(entry(200, ['UT', 'URX'], 1000)), true);
    assert.equal(cutAfterResponse(entry(504, ['UT'], 1000)), false);
    assert.equal(cutAfterResponse(entry(101, ['UT'], 1000)), false);
    assert.equal(cutAfterResponse(entry(200, ['SI'], 1000)), false);
    assert.equal(cutAfterResponse({ responseCode: 200, responseFlags: ['UT'] }), false);
  });
});
