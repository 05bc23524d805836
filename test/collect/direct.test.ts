// Live diagnosis against real HTTP admin servers on 127.0.0.1: read-only, partial failures reported, and a
// collected bundle diagnosed later to the same result.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN_ALLOWLIST, AdminClient, adminUrl, BOOTSTRAP_STATS_MASK } from '../../src/collect/admin-client.ts';
import { statsFilter } from '../../src/collect/stats-filter.ts';
import { neededStats } from '../../src/diagnose/stats-to-read.ts';
import { type AdminServer, type Fault, startAdminServer } from '../helpers/admin-server.ts';
import { run } from '../helpers/cli.ts';

const INCIDENT = 'samples/home-assistant-websocket-drops';
const HEALTHY = 'samples/healthy';
const HA = 'httproute/home/home-assistant-app/rule/0';

interface Report {
  rootCauses: Array<{ id: string; entities: Array<{ name: string }>; seenOn: string[] }>;
  findings?: Array<{ code: string }>;
  notCollected: Array<{ id: string; reason: string }>;
  snapshots: Array<{ id: string; intervalSeconds: number | null }>;
}

async function diagnoseJson(args: string[]): Promise<{ code: number; report: Report; stderr: string }> {
  const r = await run(['diagnose', ...args, '-o', 'json']);
  return { code: r.code, report: JSON.parse(r.stdout || '{}') as Report, stderr: r.stderr };
}

describe('diagnose --admin: direct reads', () => {
  let incident: AdminServer;
  before(async () => {
    incident = await startAdminServer({ dir: INCIDENT });
  });
  after(async () => incident.close());

  it('samples /stats twice and names the incident, reading only allowlisted paths with GET and never secrets', async () => {
    const { code, report } = await diagnoseJson(['--admin', incident.url, '--interval', '200ms']);
    assert.equal(code, 79);
    assert.equal(report.rootCauses[0]?.id, 'flow-control-stall');
    assert.equal(report.rootCauses[0]?.entities[0]?.name, HA);
    assert.ok((report.snapshots[0]?.intervalSeconds ?? 0) >= 0.2);
    assert.deepEqual(incident.violations, []);
    assert.deepEqual(offAllowlist(incident.requests), []);
    assert.ok(incident.requests.every((r) => r.method === 'GET'));
    const dumps = incident.requests.filter((r) => r.url.startsWith('/config_dump'));
    const masked = (u: string) => new URL(u, 'http://x').searchParams.get('mask') === BOOTSTRAP_STATS_MASK && !u.includes('resource=');
    assert.ok(
      dumps.length > 0 && dumps.every((r) => /[?&]resource=/.test(r.url) || masked(r.url)),
      'config dumps only by resource or the bootstrap stats mask, so secrets are never asked for',
    );
    assert.equal(dumps.filter((r) => masked(r.url)).length, 1);
    const stats = incident.requests.filter((r) => r.url.startsWith('/stats'));
    assert.equal(stats.length, 2);
    for (const r of stats) {
      const query = new URL(r.url, 'http://x').searchParams;
      assert.deepEqual([...query.keys()], ['filter'], 'diagnose filters /stats and never sends usedonly');
      assert.equal(query.get('filter'), statsFilter(neededStats()));
    }
    assert.ok(!incident.requests.some((r) => /^\/(clusters|listeners)/.test(r.url)), 'reads only bundles keep are not made');
  });

  it('shows progress on standard error only when it is a terminal', async () => {
    const quiet = await run(['diagnose', '--admin', incident.url, '--interval', '0', '-o', 'json']);
    assert.equal(quiet.stderr, '');
    const shown = await run(['diagnose', '--admin', incident.url, '--interval', '0', '-o', 'json'], { stderrIsTTY: true });
    assert.match(shown.stderr, /0\/1 proxies · 127\.0\.0\.1:\d+: config dump/);
    assert.match(shown.stderr, /1\/1 proxies · 127\.0\.0\.1:\d+: done/);
  });

  it('--interval 0 takes one sample', async () => {
    const before = incident.requests.length;
    const { report } = await diagnoseJson(['--admin', incident.url, '--interval', '0']);
    assert.equal(incident.requests.slice(before).filter((r) => r.url.startsWith('/stats?filter=')).length, 1);
    assert.equal(report.snapshots[0]?.intervalSeconds, null);
  });
});

describe('diagnose --admin: the bootstrap stats matcher read through a field mask', () => {
  const cases: Array<{ sample: string; rootCause: string | undefined; reason: string | undefined }> = [
    { sample: 'samples/stats-unavailable', rootCause: 'stats-unavailable', reason: 'stats-matcher' },
    { sample: 'samples/stats-unavailable-healthy', rootCause: undefined, reason: undefined },
  ];
  for (const c of cases) {
    it(`${c.sample}: ${c.rootCause ?? 'nothing'} named, missing stats put down to ${c.reason ?? 'nothing'}`, async () => {
      const server = await startAdminServer({ dir: c.sample });
      try {
        const r = await run(['diagnose', '--admin', server.url, '--interval', '0', '-o', 'json', '--all']);
        const report = JSON.parse(r.stdout) as {
          rootCauses: Array<{ id: string; fixes: Array<{ flavor: string; target: string }> }>;
          findings: Array<{ code: string; evidence: { reason?: string } }>;
        };
        assert.equal(report.rootCauses[0]?.id, c.rootCause);
        const reasons = new Set(
          report.findings.filter((f) => f.code === 'entity-stats-missing' || f.code === 'needed-stats-missing').map((f) => f.evidence.reason),
        );
        assert.deepEqual([...reasons], c.reason ? [c.reason] : []);
        if (c.rootCause) assert.ok(report.rootCauses[0]?.fixes.some((f) => f.flavor === 'envoy' && f.target === 'bootstrap stats_config'));
      } finally {
        await server.close();
      }
    });
  }
});

describe('diagnose --admin: broken proxies', () => {
  const faults: Array<[string, string, Fault, RegExp]> = [
    ['an admin 5xx', '/stats', 'http503', /\/stats\?filter=…: HTTP 503/],
    ['an HTML error page', '/server_info', 'html', /never/],
    ['a hang', '/config_dump', 'hang', /no complete answer within 0\.5s/],
    ['a reset', '/stats', 'reset', /connection reset|other side closed|socket/],
    ['a truncated body', '/stats', 'truncate', /truncated|other side closed|socket/],
    ['an endless body', '/stats', 'endless', /no complete answer within 0\.5s|over the/],
    ['a slowloris answer', '/stats', 'slowloris', /no complete answer within 0\.5s/],
  ];
  for (const [name, path, fault, reason] of faults) {
    it(`${name}: that proxy is listed as not collected with the reason, the other is diagnosed`, async () => {
      const good = await startAdminServer({ dir: HEALTHY });
      const bad = await startAdminServer({ dir: INCIDENT, faults: { [path]: fault } });
      try {
        const { code, report } = await diagnoseJson(['--admin', good.url, '--admin', bad.url, '--interval', '0', '--timeout', '500ms', '--retries', '1']);
        if (fault === 'html') {
          // /server_info is optional: its failure is a warning and the proxy is still diagnosed.
          assert.equal(report.notCollected.length, 0);
          assert.equal(code, 79);
          return;
        }
        assert.equal(code, 69, 'partial run');
        assert.deepEqual(
          report.notCollected.map((n) => n.id),
          [new URL(bad.url).host],
        );
        assert.match(report.notCollected[0]?.reason ?? '', reason);
        assert.deepEqual(
          report.snapshots.map((s) => s.id),
          [new URL(good.url).host],
        );
      } finally {
        await good.close();
        await bad.close();
      }
    });
  }

  it('79 still wins over a partial run when something reached --fail-on', async () => {
    const good = await startAdminServer({ dir: INCIDENT });
    const bad = await startAdminServer({ dir: INCIDENT, faults: { '/stats': 'http503' } });
    try {
      const { code, report } = await diagnoseJson(['--admin', good.url, '--admin', bad.url, '--interval', '0', '--retries', '0']);
      assert.equal(code, 79);
      assert.equal(report.notCollected.length, 1);
    } finally {
      await good.close();
      await bad.close();
    }
  });

  it('nothing collected: exit 69 and no diagnosis', async () => {
    const bad = await startAdminServer({ dir: INCIDENT, faults: { '/config_dump': 'http503' } });
    try {
      const { code, report } = await diagnoseJson(['--admin', bad.url, '--interval', '0', '--retries', '0']);
      assert.equal(code, 69);
      assert.deepEqual(report.rootCauses, []);
      assert.deepEqual(report.snapshots, []);
    } finally {
      await bad.close();
    }
  });
});

/** For the tests of one describe: an admin server on the incident sample, and a scratch directory. */
function incidentAndDir(): { server: () => AdminServer; dir: () => string } {
  let server: AdminServer | undefined;
  let dir = '';
  before(async () => {
    server = await startAdminServer({ dir: INCIDENT });
    dir = await mkdtemp(join(tmpdir(), 'envoy-doctor-test-'));
  });
  after(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { server: () => server as AdminServer, dir: () => dir };
}

describe('diagnose and collect --admin with --access-log', () => {
  const at = incidentAndDir();
  const bands = (r: { findings?: Array<{ code: string }> }) => (r.findings ?? []).filter((f) => f.code === 'upgraded-sessions-end-together').length;

  it("reads the file as the proxy's logs: the access log's findings appear only with it", async () => {
    const server = at.server();
    const without = await diagnoseJson(['--admin', server.url, '--interval', '0']);
    const withLog = await diagnoseJson(['--admin', server.url, '--interval', '0', '--access-log', `${INCIDENT}/access.log`]);
    assert.equal(bands(without.report), 0);
    assert.equal(bands(withLog.report), 2);
    const skipped = await diagnoseJson(['--admin', server.url, '--interval', '0', '--access-log', `${INCIDENT}/access.log`, '--no-logs']);
    assert.equal(bands(skipped.report), 0);
  });

  it('collect writes it into the bundle, and analyze of the bundle reads it', async () => {
    const server = at.server();
    const path = join(at.dir(), 'with-log');
    const collected = await run(['collect', '--admin', server.url, '--interval', '0', '--access-log', `${INCIDENT}/access.log`, '--bundle', path]);
    assert.equal(collected.code, 0, collected.stderr);
    const later = await run(['analyze', path, '-o', 'json']);
    assert.equal(bands(JSON.parse(later.stdout) as Report), 2);
  });

  it('is the log of one proxy: with two --admin URLs, or without --admin, it is a usage error', async () => {
    const server = at.server();
    const two = await run(['diagnose', '--admin', server.url, '--admin', `${server.url}/x`, '--access-log', `${INCIDENT}/access.log`]);
    assert.equal(two.code, 64);
    assert.match(two.stderr, /--access-log is the log of one proxy: give one --admin with it \(2 given\)/);
    const none = await run(['diagnose', '--access-log', `${INCIDENT}/access.log`]);
    assert.equal(none.code, 64);
    assert.match(none.stderr, /--access-log goes with --admin/);
  });
});

describe('collect, then analyze the bundle', () => {
  const at = incidentAndDir();
  for (const out of ['bundle', 'bundle.tar.gz']) {
    it(`${out}: analyze gives the same root causes as the live run`, async () => {
      const server = at.server();
      const dir = at.dir();
      const live = await diagnoseJson(['--admin', server.url, '--interval', '200ms']);
      const path = join(dir, out);
      const collected = await run(['collect', '--admin', server.url, '--interval', '200ms', '-o', path]);
      assert.equal(collected.code, 0, collected.stderr);
      const later = await run(['analyze', path, '-o', 'json']);
      const report = JSON.parse(later.stdout) as Report;
      assert.equal(later.code, live.code);
      const fromCollect = server.requests.filter((r) => r.url.startsWith('/stats')).slice(-2);
      assert.deepEqual(
        fromCollect.map((r) => r.url),
        ['/stats', '/stats'],
        'a bundle holds the whole of /stats',
      );
      assert.deepEqual(offAllowlist(server.requests), []);
      assert.deepEqual(
        report.rootCauses.map((r) => [r.id, r.entities.map((e) => e.name)]),
        live.report.rootCauses.map((r) => [r.id, r.entities.map((e) => e.name)]),
      );
    });
  }
});

/** Requests that are not a GET of an allowlisted path with allowlisted query parameters. */
function offAllowlist(requests: Array<{ method: string; url: string }>): string[] {
  return requests
    .filter((r) => {
      const url = new URL(r.url, 'http://127.0.0.1');
      const allowed = ADMIN_ALLOWLIST[url.pathname];
      return r.method !== 'GET' || !allowed || [...url.searchParams.keys()].some((k) => !allowed.includes(k));
    })
    .map((r) => `${r.method} ${r.url}`);
}

describe('the admin client', () => {
  it('refuses paths and parameters off the read-only allowlist', () => {
    assert.throws(() => adminUrl('http://127.0.0.1:9901', '/quitquitquit'), /not on the read-only allowlist/);
    assert.throws(() => adminUrl('http://127.0.0.1:9901', '/healthcheck/fail'), /not on the read-only allowlist/);
    assert.throws(() => adminUrl('http://127.0.0.1:9901', '/stats', { reset: '1' }), /not allowed/);
    assert.equal(
      adminUrl('http://127.0.0.1:9901/', '/config_dump', { resource: 'dynamic_active_clusters' }).href,
      'http://127.0.0.1:9901/config_dump?resource=dynamic_active_clusters',
    );
  });
  it('streams a body to its consumer: consumer errors pass through unretried, a slow consumer meets the deadline', async () => {
    const server = await startAdminServer({ dir: INCIDENT });
    const client = new AdminClient(server.url, { retries: 2, timeoutMs: 300 });
    try {
      let chunks = 0;
      const size = await client.stream('/stats', {}, async (body) => {
        let n = 0;
        for await (const c of body) {
          chunks++;
          n += c.length;
        }
        return n;
      });
      assert.ok(size > 50_000 && chunks >= 1);
      const before = server.requests.length;
      const refusal = new Error('not stats');
      await assert.rejects(
        client.stream('/stats', {}, async () => {
          throw refusal;
        }),
        (err: unknown) => err === refusal,
      );
      assert.equal(server.requests.length, before + 1, 'a consumer error is not retried');
      await assert.rejects(
        client.stream('/stats', {}, () => new Promise((resolve) => setTimeout(resolve, 1000))),
        /\/stats: no complete answer within 0\.3s/,
      );
    } finally {
      await client.close();
      await server.close();
    }
  });
  it('stops reading a body over its size limit', async () => {
    const server = await startAdminServer({ dir: INCIDENT, faults: { '/stats': 'endless' } });
    const client = new AdminClient(server.url, { maxBodyBytes: 1 << 20, retries: 0, timeoutMs: 10_000 });
    try {
      await assert.rejects(client.get('/stats'), /over the 1048576-byte limit/);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
