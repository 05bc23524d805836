// Many proxies at once: each is diagnosed as soon as it is read and let go of, never more at once than
// --concurrency; root causes merge per owner; proxies that fail are listed and the rest diagnosed; every
// request is a GET on the allowlist.

import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN_ALLOWLIST, BOOTSTRAP_STATS_MASK } from '../../src/collect/admin-client.ts';
import { diagnosisSink } from '../../src/collect/capture.ts';
import { collectAll } from '../../src/collect/live-collection.ts';
import type { LiveTarget } from '../../src/collect/proxy-contact.ts';
import { DIAGNOSE_READS } from '../../src/cli/live.ts';
import { startDiagnosis } from '../../src/cli/diagnosis.ts';
import type { Diagnosis } from '../../src/diagnose/diagnose.ts';
import type { RootCause } from '../../src/model/finding.ts';
import { renderTable } from '../../src/report/table.ts';
import { renderMarkdown } from '../../src/report/markdown.ts';
import { type AdminServer, type Fault, startAdminServer } from '../helpers/admin-server.ts';

const INCIDENT = 'samples/home-assistant-websocket-drops';
const HEALTHY = 'samples/healthy';
const PODS = 40;
const CONCURRENCY = 4;

interface Pod {
  server: AdminServer;
  target: LiveTarget;
}

/** Pod i: the first 20 belong to deployment shop/web, the next 16 to shop/api, the last 4 fail or are healthy. */
function planOf(i: number): { dir: string; owner?: string; faults?: Partial<Record<string, Fault>> } {
  if (i < 20) return { dir: INCIDENT, owner: 'deployment shop/web' };
  if (i < 36) return { dir: INCIDENT, owner: 'deployment shop/api' };
  if (i === 36) return { dir: INCIDENT, owner: 'deployment shop/api', faults: { '/config_dump': 'http503' } };
  if (i === 37) return { dir: INCIDENT, owner: 'deployment shop/api', faults: { '/stats': 'reset' } };
  return { dir: HEALTHY };
}

describe(`${PODS} proxies at --concurrency ${CONCURRENCY}`, () => {
  const pods: Pod[] = [];
  let inFlight = new Map<number, number>();
  let busiest = 0;
  let parsing = 0;
  let mostParsing = 0;
  let d: Diagnosis;
  let spool = '';
  let spoolLeft: string[] = [];
  const previousTmp = process.env.TMPDIR;

  before(async () => {
    for (let i = 0; i < PODS; i++) {
      const plan = planOf(i);
      const index = i;
      const server = await startAdminServer({
        dir: plan.dir,
        latencyMs: 15,
        ...(plan.faults ? { faults: plan.faults } : {}),
        track: (event) => {
          inFlight.set(index, (inFlight.get(index) ?? 0) + (event === 'start' ? 1 : -1));
          if (inFlight.get(index) === 0) inFlight.delete(index);
          busiest = Math.max(busiest, inFlight.size);
        },
      });
      const target: LiveTarget = {
        id: `pod-${String(i).padStart(2, '0')}`,
        namespace: 'shop',
        admin: server.url,
        open: async () => ({ base: server.url, close: async () => undefined }),
      };
      if (plan.owner) target.owner = plan.owner;
      pods.push({ server, target });
    }
    // The stats files of the run go to a temporary directory of its own, to see that none is left behind.
    spool = await mkdtemp(join(tmpdir(), 'envoy-doctor-fleet-'));
    process.env.TMPDIR = spool;
    inFlight = new Map();
    const run = await startDiagnosis('summary');
    // Room in memory for about three waiting first samples: the others wait on disk.
    const sink = await diagnosisSink(
      run,
      {},
      (event) => {
        parsing += event === 'hold' ? 1 : -1;
        mostParsing = Math.max(mostParsing, parsing);
      },
      40_000,
    );
    try {
      await collectAll(
        pods.map((p) => p.target),
        { intervalMs: 300, concurrency: CONCURRENCY, timeoutMs: 5000, retries: 0, reads: DIAGNOSE_READS },
        sink,
      );
    } finally {
      await sink.close();
      if (previousTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previousTmp;
    }
    spoolLeft = await readdir(spool);
    d = run.result();
  });
  after(async () => {
    for (const p of pods) await p.server.close();
    await rm(spool, { recursive: true, force: true });
  });

  it('reads and parses at most --concurrency proxies at once, and leaves no stats file behind', () => {
    assert.ok(busiest <= CONCURRENCY, `${busiest} proxies had requests in flight at once`);
    assert.ok(busiest >= 2, 'proxies were read in parallel');
    assert.ok(mostParsing <= CONCURRENCY, `${mostParsing} proxies were parsed at once`);
    assert.ok(mostParsing >= 1);
    assert.deepEqual(spoolLeft, []);
  });

  it('merges root causes per deployment: one per owner and root cause, seen on every pod', () => {
    const stall = d.rootCauses.filter((r) => r.id === 'flow-control-stall');
    assert.equal(stall.length, 2, 'one per deployment, not one per pod');
    const web = stall.find((r) => d.snapshots.find((s) => s.id === r.snapshot)?.owner === 'deployment shop/web');
    const api = stall.find((r) => d.snapshots.find((s) => s.id === r.snapshot)?.owner === 'deployment shop/api');
    assert.deepEqual(
      [...(web?.seenOn ?? [])].sort(),
      pods.slice(0, 20).map((p) => p.target.id),
    );
    assert.deepEqual(
      [...(api?.seenOn ?? [])].sort(),
      pods.slice(20, 36).map((p) => p.target.id),
    );
    // Every root cause of the incident pods is merged the same way: per owner, never per pod.
    const perOwner = new Set(d.rootCauses.map((r) => r.id)).size * 2;
    assert.equal(d.rootCauses.length, perOwner);
  });

  it('keeps the fixes of every merged root cause: the same as one pod diagnosed alone', async () => {
    const one = await startDiagnosis('summary');
    const sink = await diagnosisSink(one);
    try {
      await collectAll([(pods[0] as Pod).target], { intervalMs: 0, concurrency: 1, timeoutMs: 5000, retries: 0, reads: DIAGNOSE_READS }, sink);
    } finally {
      await sink.close();
    }
    const alone = one.result();
    const key = (r: RootCause) => `${r.id} ${r.entities.map((e) => e.name).join(',')}`;
    const expected = new Map(alone.rootCauses.map((r) => [key(r), r.fixes]));
    assert.ok(d.rootCauses.length > 0);
    for (const r of d.rootCauses) {
      assert.ok(expected.has(key(r)), key(r));
      assert.deepEqual(r.fixes, expected.get(key(r)), key(r));
    }
  });

  it('lists the proxies that could not be collected, in order, and diagnoses the rest', () => {
    assert.deepEqual(
      d.notCollected.map((n) => n.id),
      ['pod-36', 'pod-37'],
    );
    assert.match(d.notCollected[0]?.reason ?? '', /\/config_dump\?resource=\w+: HTTP 503/);
    assert.match(d.notCollected[1]?.reason ?? '', /\/stats\?filter=…: (connection reset|body truncated)/);
    assert.deepEqual(
      d.snapshots.map((s) => s.id),
      pods.map((p) => p.target.id).filter((id) => id !== 'pod-36' && id !== 'pod-37'),
    );
  });

  it('keeps of each proxy a summary: counts, and only the stats of the entities its root causes name', () => {
    const s = d.snapshots[0];
    assert.ok(s);
    assert.ok(s.clusters.size > 0 && s.listeners.length > 0 && s.routes.length > 0);
    const named = new Set(
      d.rootCauses
        .flatMap((r) => [...r.entities, ...r.evidence.map((f) => f.entity)])
        .filter((e) => e.kind === 'cluster')
        .map((e) => e.name),
    );
    assert.ok((s.stats?.clusters.size ?? 0) <= named.size);
    assert.equal(s.stats?.histograms.size, 0);
    assert.equal(s.stats?.other.size, 0);
    assert.ok((s.stats?.count ?? 0) > 0, 'the count of stats read stays');
    assert.equal(s.clusters.get('no-such-cluster'), undefined);
  });

  it('summarises the pods a root cause was seen on in the table and the write-up', () => {
    const table = renderTable(d, { color: false, now: new Date('2026-11-22T00:00:00Z'), version: 'test', policy: { failOn: 'error' } });
    assert.match(table, /seen on 20 proxies/);
    const proxies = table.split('\n').filter((l) => l.trim().startsWith('proxies:'));
    assert.ok(proxies.length >= 1);
    assert.ok(
      proxies.some((l) => /pod-00, pod-01, pod-02, pod-03, pod-04 and 15 more/.test(l)),
      proxies.join('\n'),
    );
    assert.ok(
      proxies.every((l) => !/pod-19\b/.test(l)),
      'the long list is not printed',
    );
    const markdown = renderMarkdown(d, { now: new Date('2026-11-22T00:00:00Z'), tool: { name: 'envoy-doctor', version: 'test' } });
    assert.match(markdown, /seen on 20 proxies: pod-00, pod-01, pod-02, pod-03, pod-04 and 15 more/);
  });

  it('sends only GETs of allowlisted paths and parameters: config by resource, stats filtered', () => {
    for (const p of pods) {
      assert.deepEqual(p.server.violations, []);
      for (const r of p.server.requests) {
        const url = new URL(r.url, 'http://127.0.0.1');
        assert.equal(r.method, 'GET');
        const allowed = ADMIN_ALLOWLIST[url.pathname];
        assert.ok(allowed, r.url);
        for (const k of url.searchParams.keys()) assert.ok(allowed.includes(k), `${k} on ${url.pathname}`);
        // By resource, or the bootstrap's stats settings through a mask: never the whole dump, so never secrets.
        if (url.pathname === '/config_dump') assert.ok(url.searchParams.has('resource') || url.searchParams.get('mask') === BOOTSTRAP_STATS_MASK, r.url);
        if (url.pathname === '/stats') assert.deepEqual([...url.searchParams.keys()], ['filter']);
      }
    }
  });
});
