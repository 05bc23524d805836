// Live diagnosis through Kubernetes: the real @kubernetes/client-node against a local API server on 127.0.0.1
// that serves pods, logs, the Envoy Gateway objects and the port-forward subresource over WebSocket, with real
// admin servers behind the forwards.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { type AdminServer, type Fault, startAdminServer } from '../helpers/admin-server.ts';
import { ROOT, run } from '../helpers/cli.ts';
import { type KubeApi, startKubeApi } from '../helpers/kube-api.ts';
import { EG_LABELS, envoyGatewayCustomObjects, type FakeCluster, type FakePod, type KubeObject, makeDeployment, makePod } from '../helpers/kube-cluster.ts';
import type { DenyRule } from '../helpers/kube-refusals.ts';

const INCIDENT = 'samples/home-assistant-websocket-drops';
const HEALTHY = 'samples/healthy';
const NS = 'envoy-gateway-system';

interface Report {
  rootCauses: Array<{ id: string; severity: string; seenOn: string[]; entities: Array<{ name: string }> }>;
  notCollected: Array<{ id: string; namespace: string | null; reason: string }>;
  snapshots: Array<{ id: string; namespace: string | null; owner: string | null }>;
  findings: Array<{ code: string; evidence: Record<string, unknown> }>;
}

const objects = JSON.parse(readFileSync(join(ROOT, INCIDENT, 'kubernetes.json'), 'utf8')) as Record<string, KubeObject[]>;
const accessLog = readFileSync(join(ROOT, INCIDENT, 'access.log'), 'utf8');

interface Setup {
  api: KubeApi;
  admins: AdminServer[];
  pods: FakePod[];
}

const running: Setup[] = [];

/** An Envoy Gateway deployment of `replicas` pods, each forwarded to its own admin server. */
async function gateway(
  opts: { replicas?: number; dir?: string; faults?: Array<Partial<Record<string, Fault>>>; deny?: DenyRule[]; extraPods?: FakePod[]; refuse?: string[] } = {},
): Promise<Setup> {
  const { deployment, replicaSet, pods } = makeDeployment({
    name: 'envoy-home-eg-5f7d9c',
    namespace: NS,
    matchLabels: EG_LABELS,
    replicas: opts.replicas ?? 2,
  });
  const all = [...pods, ...(opts.extraPods ?? [])];
  const admins = await Promise.all(all.map((_, i) => startAdminServer({ dir: opts.dir ?? INCIDENT, ...(opts.faults?.[i] ? { faults: opts.faults[i] } : {}) })));
  const portOf = new Map(all.map((p, i) => [p.metadata.name, admins[i]?.port as number]));
  const cluster: FakeCluster = {
    pods: all,
    deployments: [deployment],
    replicaSets: [replicaSet],
    logs: new Map(all.map((p) => [`${NS}/${p.metadata.name}/envoy`, accessLog])),
    customObjects: envoyGatewayCustomObjects(objects),
    forwardTargets: (_ns, pod, port) => (opts.refuse?.includes(pod) ? 'refuse' : port === 19000 || port === 15000 ? portOf.get(pod) : undefined),
    deny: opts.deny ?? [],
    now: () => new Date('2026-11-20T21:15:00Z'),
  };
  const setup = { api: await startKubeApi(cluster), admins, pods: all };
  running.push(setup);
  return setup;
}

async function diagnose(setup: Setup, args: string[] = []): Promise<{ code: number; report: Report; stderr: string }> {
  const r = await run(['diagnose', '--kubeconfig', setup.api.kubeconfigPath, '--interval', '200ms', ...args, '-o', 'json']);
  return { code: r.code, report: (r.stdout ? JSON.parse(r.stdout) : {}) as Report, stderr: r.stderr };
}

afterEach(async () => {
  for (const s of running.splice(0)) {
    await s.api.close();
    for (const a of s.admins) await a.close();
  }
});

describe('diagnose through Kubernetes', () => {
  it('finds the Envoy Gateway pods, forwards to 19000, reads logs and policies, and merges the pods into one root cause', async () => {
    const setup = await gateway();
    const { code, report, stderr } = await diagnose(setup);
    assert.equal(stderr, '');
    assert.equal(code, 79);
    const names = setup.pods.map((p) => p.metadata.name).sort();
    assert.deepEqual(report.snapshots.map((s) => s.id).sort(), names);
    assert.deepEqual([...new Set(report.snapshots.map((s) => s.owner))], ['gateway home/eg']);
    const stall = report.rootCauses.filter((r) => r.id === 'flow-control-stall');
    assert.equal(stall.length, 1, 'one root cause for the deployment, not one per pod');
    assert.deepEqual([...(stall[0]?.seenOn ?? [])].sort(), names);
    assert.ok(
      report.rootCauses.some((r) => r.id === 'policy-overridden'),
      'policies were read',
    );
    assert.ok(
      report.findings.some((f) => f.code === 'upgraded-sessions-end-together'),
      'access logs were read',
    );
    const forwards = setup.api.requests.filter((r) => r.path.endsWith('/portforward'));
    assert.ok(forwards.length >= 2 && forwards.every((r) => r.params.get('ports') === '19000'));
    const logs = setup.api.requests.filter((r) => r.path.endsWith('/log'));
    assert.ok(logs.every((r) => r.params.get('container') === 'envoy' && r.params.get('sinceSeconds') === '3600'));
    assert.equal(setup.api.openForwards(), 0, 'every forward closed');
    for (const a of setup.admins) assert.deepEqual(a.violations, []);
  });

  it('pod/NAME.NS and deployment/NAME.NS targets', async () => {
    const setup = await gateway();
    const pod = setup.pods[0]?.metadata.name as string;
    const one = await diagnose(setup, [`pod/${pod}.${NS}`]);
    assert.deepEqual(
      one.report.snapshots.map((s) => s.id),
      [pod],
    );
    const deployment = await diagnose(setup, [`deployment/envoy-home-eg-5f7d9c.${NS}`]);
    assert.equal(deployment.report.snapshots.length, 2);
  });

  it('Istio sidecars are found by their istio-proxy container and read on 15000', async () => {
    const sidecar = makePod({
      name: 'web-7d9f-abcde',
      namespace: 'shop',
      containers: [{ name: 'web' }, { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.24.0' }],
    });
    const plain = makePod({ name: 'db-0', namespace: 'shop', containers: [{ name: 'postgres' }] });
    const setup = await gateway({ replicas: 0, extraPods: [sidecar, plain], dir: HEALTHY });
    const { report } = await diagnose(setup, ['-n', 'shop']);
    assert.deepEqual(
      report.snapshots.map((s) => s.id),
      ['web-7d9f-abcde'],
    );
    assert.ok(setup.api.requests.filter((r) => r.path.endsWith('/portforward')).every((r) => r.params.get('ports') === '15000'));
  });
});

describe('diagnose through Kubernetes: some pods broken', () => {
  it('a pod that is not Running is listed with the reason; the others are diagnosed', async () => {
    const pending = makePod({ name: 'envoy-home-eg-5f7d9c-pending', namespace: NS, labels: EG_LABELS, phase: 'Pending', ready: false });
    const setup = await gateway({ extraPods: [pending] });
    const { code, report } = await diagnose(setup);
    assert.equal(code, 79, 'findings at --fail-on win over the partial run');
    assert.deepEqual(report.notCollected, [{ id: 'envoy-home-eg-5f7d9c-pending', namespace: NS, reason: 'pod is Pending, not Running' }]);
    assert.equal(report.snapshots.length, 2);
  });

  it('an admin 5xx behind the forward: that pod listed, the healthy ones diagnosed, exit 69', async () => {
    const setup = await gateway({ replicas: 3, dir: HEALTHY, faults: [{}, { '/stats': 'http503' }, {}] });
    const { code, report } = await diagnose(setup, ['--retries', '0']);
    assert.equal(code, 69);
    assert.deepEqual(
      report.notCollected.map((n) => n.id),
      [setup.pods[1]?.metadata.name],
    );
    assert.match(report.notCollected[0]?.reason ?? '', /\/stats\?filter=…: HTTP 503/);
    assert.equal(report.snapshots.length, 2);
  });

  it('a forward the API server refuses names the pod, and every forward is closed', async () => {
    const setup = await gateway({ dir: HEALTHY, refuse: [] });
    const target = setup.pods[0]?.metadata.name as string;
    const refusing = await startKubeApi({
      pods: setup.pods,
      forwardTargets: (_n, pod) => (pod === target ? 'refuse' : setup.admins[1]?.port),
      now: () => new Date('2026-11-20T21:15:00Z'),
    });
    try {
      const r = await run(['diagnose', '--kubeconfig', refusing.kubeconfigPath, '--interval', '0', '--retries', '0', '--no-objects', '-o', 'json']);
      const report = JSON.parse(r.stdout) as Report;
      assert.equal(r.code, 69);
      assert.deepEqual(
        report.notCollected.map((n) => n.id),
        [target],
      );
      assert.match(report.notCollected[0]?.reason ?? '', /port-forward to envoy-gateway-system\/.+:19000 failed/);
      assert.equal(report.snapshots.length, 1);
      assert.equal(refusing.openForwards(), 0);
    } finally {
      await refusing.close();
    }
  });
});

describe('diagnose through Kubernetes: configuration', () => {
  it('no kubeconfig at all is a usage error that says what to give', async () => {
    const saved = { KUBECONFIG: process.env.KUBECONFIG, HOME: process.env.HOME };
    process.env.KUBECONFIG = '/nonexistent/kubeconfig';
    process.env.HOME = '/nonexistent';
    let r: Awaited<ReturnType<typeof run>>;
    try {
      r = await run(['diagnose', '--interval', '0']);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    assert.equal(r.code, 64, r.stderr);
    assert.match(r.stderr, /^envoy-doctor: (no Kubernetes cluster configured|KUBECONFIG \/nonexistent\/kubeconfig: no such file; expected a kubeconfig)/);
  });
  it('malformed retries and timeouts are usage errors', async () => {
    assert.equal((await run(['diagnose', '--admin', 'http://127.0.0.1:9', '--retries', 'abc'])).code, 64);
    assert.equal((await run(['diagnose', '--admin', 'http://127.0.0.1:9', '--timeout', '0'])).code, 64);
  });
  it('an unknown --context names it', async () => {
    const setup = await gateway({ replicas: 0 });
    const r = await run(['diagnose', '--kubeconfig', setup.api.kubeconfigPath, '--context', 'nope']);
    assert.equal(r.code, 64);
    assert.equal(r.stderr, 'envoy-doctor: --context nope: no such context in the kubeconfig\n');
  });
});

describe('diagnose through Kubernetes: RBAC', () => {
  it('a refused port-forward names the verb and resource; nothing collected is exit 69 with no diagnosis', async () => {
    const setup = await gateway({ deny: [{ verb: 'create', resource: 'pods', subresource: 'portforward', namespace: NS }] });
    const { code, report } = await diagnose(setup, ['--retries', '0']);
    assert.equal(code, 69);
    assert.deepEqual(report.rootCauses, []);
    assert.equal(report.notCollected.length, 2);
    for (const n of report.notCollected) assert.equal(n.reason, `forbidden: create pods/portforward in ${NS} (RBAC: see docs/rbac.md)`);
  });

  it('a refused pod list is a one-line error naming it', async () => {
    const setup = await gateway({ deny: [{ verb: 'list', resource: 'pods', namespace: NS }] });
    const r = await run(['diagnose', '--kubeconfig', setup.api.kubeconfigPath, '--interval', '0']);
    assert.equal(r.code, 69);
    assert.equal(r.stderr, `envoy-doctor: forbidden: list pods in ${NS} (RBAC: see docs/rbac.md)\n`);
  });

  it('refused policy reads and logs degrade the diagnosis with a note, they do not fail it', async () => {
    const setup = await gateway({
      deny: [
        { verb: 'list', resource: 'backendtrafficpolicies', group: 'gateway.envoyproxy.io' },
        { verb: 'get', resource: 'pods', subresource: 'log' },
      ],
    });
    const { code, report } = await diagnose(setup);
    assert.equal(code, 79);
    assert.equal(report.rootCauses[0]?.id, 'flow-control-stall');
    assert.ok(!report.rootCauses.some((r) => r.id === 'policy-overridden'));
    const notes = report.findings.filter((f) => f.code === 'kubernetes-read-refused').map((f) => String(f.evidence.refused));
    assert.ok(
      notes.some((n) => /^forbidden: list backendtrafficpolicies\.gateway\.envoyproxy\.io/.test(n)),
      notes.join('; '),
    );
    const reads = report.findings.filter((f) => f.code === 'optional-read-failed').map((f) => String(f.evidence.read));
    assert.ok(
      reads.some((n) => n === `logs: forbidden: get pods/log in ${NS} (RBAC: see docs/rbac.md)`),
      reads.join('; '),
    );
  });
});

describe('collect through Kubernetes', () => {
  let dir = '';
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  it('writes every pod, the objects and the logs; analyze gives the live diagnosis', async () => {
    const setup = await gateway();
    dir = await mkdtemp(join(tmpdir(), 'envoy-doctor-k8s-'));
    const out = join(dir, 'bundle');
    const collected = await run(['collect', '--kubeconfig', setup.api.kubeconfigPath, '--interval', '200ms', '-o', out]);
    assert.equal(collected.code, 0, collected.stderr);
    assert.deepEqual(await readdir(join(out, 'proxies', NS)), setup.pods.map((p) => p.metadata.name).sort());
    const podDir = join(out, 'proxies', NS, setup.pods[0]?.metadata.name as string);
    assert.deepEqual((await readdir(podDir)).sort(), [
      'access.log',
      'clusters.json',
      'config_dump.json',
      'listeners.json',
      'manifest.json',
      'server_info.json',
      'stats.later.txt',
      'stats.txt',
    ]);
    assert.deepEqual(await readdir(join(out, 'kubernetes')), ['objects.json']);
    const live = await diagnose(setup);
    const later = await run(['analyze', out, '-o', 'json']);
    const report = JSON.parse(later.stdout) as Report;
    assert.equal(later.code, live.code);
    assert.deepEqual(
      report.rootCauses.map((r) => [r.id, [...r.seenOn].sort()]),
      live.report.rootCauses.map((r) => [r.id, [...r.seenOn].sort()]),
    );
  });
});

describe('docs/rbac.md', () => {
  /** The (group, resource, verb) the API server authorises for a request, as RBAC sees it. */
  function authorised(path: string, upgrade: boolean): Array<[string, string, string]> {
    const core = /^\/api\/v1\/(?:namespaces\/[^/]+\/)?([a-z]+)(?:\/([^/]+))?(?:\/([a-z]+))?$/.exec(path);
    const named = /^\/apis\/([^/]+)\/[^/]+\/(?:namespaces\/[^/]+\/)?([a-z]+)(?:\/([^/]+))?(?:\/([a-z]+))?$/.exec(path);
    if (core) {
      const [, resource, name, sub] = core as unknown as [string, string, string | undefined, string | undefined];
      if (sub === 'portforward' || upgrade)
        return [
          ['', `${resource}/portforward`, 'get'],
          ['', `${resource}/portforward`, 'create'],
        ];
      if (sub) return [['', `${resource}/${sub}`, 'get']];
      return [['', resource, name ? 'get' : 'list']];
    }
    if (named) {
      const [, group, resource, name] = named as unknown as [string, string, string, string | undefined];
      return [[group, resource, name ? 'get' : 'list']];
    }
    return [];
  }

  it('grants every call the live mode makes, and nothing that writes', async () => {
    const setup = await gateway();
    await diagnose(setup, [`deployment/envoy-home-eg-5f7d9c.${NS}`]);
    await diagnose(setup);
    const needed = new Set(setup.api.requests.flatMap((r) => authorised(r.path, r.upgrade)).map((t) => t.join(' ')));
    const doc = readFileSync(join(ROOT, 'docs/rbac.md'), 'utf8');
    const block = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    const { parseAllDocuments } = await import('yaml');
    const role = parseAllDocuments(block)
      .map((d) => d.toJSON() as { kind?: string; rules?: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> })
      .find((d) => d.kind === 'ClusterRole');
    assert.ok(role?.rules, 'docs/rbac.md has a ClusterRole');
    const granted = new Set(role.rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g} ${res} ${v}`)))));
    for (const n of needed) assert.ok(granted.has(n), `docs/rbac.md grants ${n}`);
    for (const g of granted) assert.doesNotMatch(g, / (update|patch|delete|deletecollection|\*)$/, `read-only: ${g}`);
  });
});

describe('real captures behind the forward', () => {
  const CORPUS = join(ROOT, '..', 'shared', 'corpus');
  const present = (() => {
    try {
      readFileSync(join(CORPUS, 'SOURCES.md'));
      return true;
    } catch {
      return false;
    }
  })();
  it('an Istio sidecar replaying public captures is collected and raises no error-level root cause', {
    skip: present ? false : 'shared/corpus is not beside this checkout',
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'envoy-doctor-corpus-'));
    try {
      const { writeFile: write } = await import('node:fs/promises');
      await write(join(dir, 'config_dump.json'), readFileSync(join(CORPUS, 'istio/config_dump.json')));
      await write(join(dir, 'stats.txt'), readFileSync(join(CORPUS, 'datadog/stats-multiple_services.txt')));
      const sidecar = makePod({
        name: 'httpbin-istio-waypoint-0',
        namespace: 'default',
        containers: [{ name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.21.0' }],
      });
      const admin = await startAdminServer({ dir });
      const api = await startKubeApi({ pods: [sidecar], forwardTargets: (_n, _p, port) => (port === 15000 ? admin.port : undefined) });
      try {
        const r = await run(['diagnose', '--kubeconfig', api.kubeconfigPath, '-n', 'default', '--interval', '0', '-o', 'json']);
        const report = JSON.parse(r.stdout) as Report;
        assert.equal(r.stderr, '');
        assert.deepEqual(
          report.snapshots.map((s) => s.id),
          ['httpbin-istio-waypoint-0'],
        );
        assert.deepEqual(
          report.rootCauses.filter((c) => c.severity === 'error'),
          [],
        );
        assert.deepEqual(admin.violations, []);
      } finally {
        await api.close();
        await admin.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
