import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/flow-control.ts';
import { type ExpectedFinding, expectFindings } from '../helpers/expect.ts';
import { clusterStats, fixture, httpStats } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';

describe('flow-control analyzer', () => {
  const cases: Array<{ name: string; stats: Record<string, number>; later?: Record<string, number>; want: ExpectedFinding[] }> = [
    {
      name: 'paused equals resumed: nothing',
      stats: clusterStats(C, { upstream_flow_control_paused_reading_total: 40, upstream_flow_control_resumed_reading_total: 40, upstream_cx_active: 5 }),
      want: [],
    },
    {
      name: 'one sample with unmatched pauses: warning, bound by active connections',
      stats: clusterStats(C, { upstream_flow_control_paused_reading_total: 1233, upstream_flow_control_resumed_reading_total: 1220, upstream_cx_active: 67 }),
      want: [
        { code: 'upstream-reads-paused', entity: C, severity: 'warning', evidence: { paused: 1233, resumed: 1220, outstanding: 13, pausedNowUpperBound: 13 } },
      ],
    },
    {
      name: 'upper bound never exceeds active connections',
      stats: clusterStats(C, { upstream_flow_control_paused_reading_total: 100, upstream_flow_control_resumed_reading_total: 10, upstream_cx_active: 4 }),
      want: [{ code: 'upstream-reads-paused', entity: C, severity: 'warning', evidence: { outstanding: 90, pausedNowUpperBound: 4 } }],
    },
    {
      name: 'two samples, pauses without resumes in the window: error',
      stats: clusterStats(C, { upstream_flow_control_paused_reading_total: 1233, upstream_flow_control_resumed_reading_total: 1220, upstream_cx_active: 67 }),
      later: clusterStats(C, { upstream_flow_control_paused_reading_total: 1242, upstream_flow_control_resumed_reading_total: 1221, upstream_cx_active: 68 }),
      want: [
        { code: 'upstream-reads-paused', entity: C, severity: 'error', evidence: { windowPaused: 9, windowResumed: 1, outstanding: 21, windowSeconds: 30 } },
      ],
    },
    {
      name: 'two samples, thousands of pauses nearly all resumed: a busy healthy stream caught mid-cycle is info',
      stats: clusterStats(C, { upstream_flow_control_paused_reading_total: 100, upstream_flow_control_resumed_reading_total: 100, upstream_cx_active: 4 }),
      later: clusterStats(C, { upstream_flow_control_paused_reading_total: 2372, upstream_flow_control_resumed_reading_total: 2368, upstream_cx_active: 4 }),
      want: [{ code: 'upstream-reads-paused', entity: C, severity: 'info', evidence: { windowPaused: 2272, windowResumed: 2268, outstanding: 4 } }],
    },
    {
      name: 'two samples, no pauses in the window: stale totals are info',
      stats: clusterStats(C, { upstream_flow_control_paused_reading_total: 50, upstream_flow_control_resumed_reading_total: 45, upstream_cx_active: 9 }),
      later: clusterStats(C, { upstream_flow_control_paused_reading_total: 50, upstream_flow_control_resumed_reading_total: 45, upstream_cx_active: 9 }),
      want: [{ code: 'upstream-reads-paused', entity: C, severity: 'info', evidence: { windowPaused: 0, outstanding: 5 } }],
    },
    {
      name: 'downstream pauses per connection manager',
      stats: httpStats('https-10443', {
        downstream_flow_control_paused_reading_total: 7,
        downstream_flow_control_resumed_reading_total: 2,
        downstream_cx_active: 30,
      }),
      want: [{ code: 'downstream-reads-paused', entity: 'https-10443', severity: 'warning', evidence: { outstanding: 5, pausedNowUpperBound: 5 } }],
    },
    {
      name: 'missing resumed counter: unknown, no finding',
      stats: clusterStats(C, { upstream_flow_control_paused_reading_total: 9 }),
      want: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = fixture({ stats: c.stats, ...(c.later ? { statsLater: c.later, intervalSeconds: 30 } : {}) });
      expectFindings(analyze(s), c.want);
    });
  }
});

describe('flow-control analyzer: control-plane clusters', () => {
  it('paused reads on xds-grpc and sds-grpc name nothing; the same on a route cluster do', () => {
    const paused = { upstream_flow_control_paused_reading_total: 30, upstream_flow_control_resumed_reading_total: 10, upstream_cx_active: 5 };
    const s = fixture({ stats: { ...clusterStats('xds-grpc', paused), ...clusterStats('sds-grpc', paused), ...clusterStats(C, paused) } });
    expectFindings(analyze(s), [{ code: 'upstream-reads-paused', entity: C, evidence: { outstanding: 20, pausedNowUpperBound: 5 } }]);
  });
});
