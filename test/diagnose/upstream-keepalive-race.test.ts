import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/upstream-keepalive.ts';
import { rootCause as rule } from '../../src/diagnose/root-causes/upstream-keepalive-race.ts';
import { histogramKey } from '../../src/parse/stats-builder.ts';
import type { Severity } from '../../src/model/finding.ts';
import { httpCluster } from '../helpers/http-cluster.ts';
import { expectNamed } from '../helpers/root-cause.ts';
import { clusterStats, fixture } from '../helpers/snapshot.ts';

const C = 'backend';
const cluster = (idleTimeout?: string) => httpCluster(C, idleTimeout);
const closes = (resets: number, extra: Record<string, number> = {}) =>
  clusterStats(C, {
    upstream_cx_destroy_remote: 2 * resets,
    upstream_cx_destroy_remote_with_active_rq: resets,
    upstream_cx_idle_timeout: 0,
    upstream_rq_503: resets,
    ...extra,
  });

function diagnose(opts: { idleTimeout?: string; before: number; after?: number; shortestMs?: number; extra?: Record<string, number> }) {
  const s = fixture({
    clusters: [cluster(opts.idleTimeout)],
    stats: closes(opts.before, opts.extra),
    ...(opts.after !== undefined ? { statsLater: closes(opts.after, opts.extra), intervalSeconds: 1 } : {}),
  });
  if (opts.shortestMs !== undefined) {
    (s.statsLater ?? s.stats)?.histograms.set(histogramKey('cluster', C, 'upstream_cx_length_ms'), {
      quantiles: [{ quantile: 0, interval: null, cumulative: opts.shortestMs }],
      buckets: { le: [], count: [] },
    });
  }
  return rule.diagnose(s, analyze(s));
}

describe('upstream-keepalive-race rule', () => {
  const cases: Array<{ name: string; opts: Parameters<typeof diagnose>[0]; severity?: Severity; score?: number; ms?: number; explains?: string[] }> = [
    {
      name: 'the lab: resets in the window, no idle timeout set, shortest connection 261 ms: error, 0.8 of it rounded down',
      opts: { before: 15, after: 16, shortestMs: 261 },
      severity: 'error',
      score: 0.8,
      ms: 200,
      explains: ['requests-reset-on-closed-connections', 'backend-closes-idle-connections-first', 'backend-keepalive-estimate'],
    },
    { name: 'Node.js behind it, no histogram: 80 % of its 5 s', opts: { before: 40 }, severity: 'warning', score: 0.6, ms: 4000 },
    { name: "a shortest connection of 2.1 s (gunicorn's 2 s keep-alive)", opts: { before: 40, shortestMs: 2100 }, ms: 1600 },
    { name: "a shortest connection below 100 ms says nothing about a timer: Node.js's default", opts: { before: 40, shortestMs: 3 }, ms: 4000 },
    { name: 'an idle timeout already below the estimate did not close first: half of it', opts: { idleTimeout: '3s', before: 40 }, score: 0.5, ms: 1500 },
    {
      name: 'retries hid the resets: still named, the retries explained',
      opts: { before: 12, extra: { upstream_rq_503: 0, upstream_rq_retry: 12, upstream_rq_retry_success: 12 } },
      ms: 4000,
      explains: ['requests-reset-on-closed-connections', 'backend-closes-idle-connections-first', 'backend-keepalive-estimate', 'retries-hide-resets'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expectNamed(diagnose(c.opts), 'upstream-keepalive-race', {
        entities: [{ kind: 'cluster', name: C }],
        ...(c.severity ? { severity: c.severity } : {}),
        ...(c.score !== undefined ? { score: c.score } : {}),
        ...(c.ms !== undefined ? { changes: [{ kind: 'cluster-idle-timeout', cluster: C, ms: c.ms }] } : {}),
        ...(c.explains ? { explains: c.explains } : {}),
      });
    });
  }
  it('fewer than three resets and none in the window: not named', () => {
    assert.deepEqual(diagnose({ before: 2 }), []);
  });
  it('no resets at all: not named', () => {
    assert.deepEqual(diagnose({ before: 0 }), []);
  });
});
