import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/upstream-keepalive.ts';
import type { AccessLogEntry } from '../../src/model/access-log.ts';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { histogramKey } from '../../src/parse/stats-builder.ts';
import { type ExpectedFinding, expectFindings } from '../helpers/expect.ts';
import { httpCluster } from '../helpers/http-cluster.ts';
import { clusterStats, fixture } from '../helpers/snapshot.ts';

const C = 'backend';
const cluster = (idleTimeout?: string) => httpCluster(C, idleTimeout);
/** The lab's failing run on Envoy 1.40.0 (test/fixtures/lab/upstream-keepalive-race/stats.txt). */
const LAB = {
  upstream_cx_destroy_remote: 29,
  upstream_cx_destroy_remote_with_active_rq: 15,
  upstream_cx_idle_timeout: 0,
  upstream_rq_503: 15,
  upstream_rq_retry: 0,
  upstream_rq_retry_success: 0,
};
const reset = (extra: Partial<AccessLogEntry> = {}): AccessLogEntry => ({
  responseCode: 503,
  responseFlags: ['UC'],
  responseCodeDetails: 'upstream_reset_before_response_started{connection_termination}',
  durationMs: 9,
  upstreamCluster: C,
  ...extra,
});

interface Case {
  name: string;
  idleTimeout?: string;
  stats: Record<string, number>;
  later?: Record<string, number>;
  /** upstream_cx_length_ms P0 (cumulative). */
  shortestMs?: number;
  log?: AccessLogEntry[];
  want: ExpectedFinding[];
}

function snapshot(c: Case): Snapshot {
  const s = fixture({
    clusters: [cluster(c.idleTimeout)],
    stats: clusterStats(C, c.stats),
    ...(c.later ? { statsLater: clusterStats(C, c.later), intervalSeconds: 1 } : {}),
  });
  if (c.shortestMs !== undefined) {
    const sample = s.statsLater ?? s.stats;
    sample?.histograms.set(histogramKey('cluster', C, 'upstream_cx_length_ms'), {
      quantiles: [
        { quantile: 0, interval: null, cumulative: c.shortestMs },
        { quantile: 50, interval: null, cumulative: c.shortestMs + 7 },
      ],
      buckets: { le: [], count: [] },
    });
  }
  if (c.log) s.accessLog = { source: 'access.log', entries: c.log, skipped: 0 };
  return s;
}

describe('upstream-keepalive analyzer', () => {
  const cases: Case[] = [
    {
      name: 'the lab: every connection closed by the backend, half with a request; resets in the window, 503s, a shortest connection of 261 ms',
      stats: LAB,
      later: { ...LAB, upstream_cx_destroy_remote: 31, upstream_cx_destroy_remote_with_active_rq: 16, upstream_rq_503: 16 },
      shortestMs: 261,
      want: [
        {
          code: 'upstream-keepalive-resets',
          entity: C,
          severity: 'error',
          evidence: {
            resets: 16,
            windowResets: 1,
            backendIdleCloses: 15,
            envoyIdleCloses: 0,
            idleTimeoutMs: 3_600_000,
            idleTimeoutSet: false,
            responses503: 16,
            shareAnswered: 1,
            shortestConnectionMs: 261,
          },
        },
      ],
    },
    {
      name: 'totals only, no window: a warning',
      stats: LAB,
      want: [{ code: 'upstream-keepalive-resets', entity: C, severity: 'warning', evidence: { resets: 15, backendIdleCloses: 14 } }],
    },
    {
      name: 'logged UC 503 resets of the cluster make it an error without a window; durations measured',
      stats: LAB,
      log: [reset(), reset({ durationMs: 33 }), reset({ upstreamCluster: 'other' }), reset({ responseFlags: ['UF'] })],
      want: [{ code: 'upstream-keepalive-resets', entity: C, severity: 'error', evidence: { logResets: 2, logResetDurationMsMax: 33 } }],
    },
    {
      name: 'retries (retry_on reset) answered the resets instead of 503s',
      stats: { ...LAB, upstream_rq_503: 0, upstream_rq_retry: 12, upstream_rq_retry_success: 12, upstream_cx_destroy_remote_with_active_rq: 12 },
      want: [{ code: 'upstream-keepalive-resets', entity: C, severity: 'warning', evidence: { retries: 12, retriesSucceeded: 12, shareAnswered: 1 } }],
    },
    {
      name: 'an explicit idle timeout is reported as set',
      idleTimeout: '0.3s',
      stats: LAB,
      want: [{ code: 'upstream-keepalive-resets', entity: C, evidence: { idleTimeoutMs: 300, idleTimeoutSet: true } }],
    },
    {
      name: 'closes with a request that made no 503 (WebSockets the backend closed): info',
      stats: { upstream_cx_destroy_remote: 425, upstream_cx_destroy_remote_with_active_rq: 155, upstream_cx_idle_timeout: 0, upstream_rq_503: 32 },
      want: [{ code: 'upstream-keepalive-resets', entity: C, severity: 'info', evidence: { shareAnswered: 0.2065 } }],
    },
    {
      name: 'fewer than three resets in the totals: info',
      stats: { ...LAB, upstream_cx_destroy_remote_with_active_rq: 2, upstream_rq_503: 2 },
      want: [{ code: 'upstream-keepalive-resets', entity: C, severity: 'info' }],
    },
    {
      name: "Envoy's idle timer ends the idle connections (its closes above a tenth of the backend's): nothing",
      stats: { upstream_cx_destroy_remote: 1126, upstream_cx_destroy_remote_with_active_rq: 1, upstream_cx_idle_timeout: 1106, upstream_rq_503: 4 },
      want: [],
    },
    {
      name: 'the healthy twin: Envoy closes idle connections first, the backend none: nothing',
      idleTimeout: '0.2s',
      stats: { upstream_cx_destroy_remote: 0, upstream_cx_destroy_remote_with_active_rq: 0, upstream_cx_idle_timeout: 29, upstream_rq_503: 0 },
      want: [],
    },
    {
      name: 'every remote close had a request (no idle closes by the backend): nothing',
      stats: { upstream_cx_destroy_remote: 15, upstream_cx_destroy_remote_with_active_rq: 15, upstream_rq_503: 15 },
      want: [],
    },
  ];
  for (const c of cases) it(c.name, () => expectFindings(analyze(snapshot(c)), c.want));
});
