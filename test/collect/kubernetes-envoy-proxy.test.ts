// The EnvoyProxy a GatewayClass references and the Envoy Gateway controller's release, read through the real
// @kubernetes/client-node from a local API server (test/helpers/kube-api.ts), in live runs and from the bundle
// `collect` writes: the fix for the listener-drain sample (the proxy's drain time, an EnvoyProxy field) is rendered
// against the EnvoyProxy that wins, and the report names the release and where it was read.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { parse } from 'yaml';
import { type AdminServer, startAdminServer } from '../helpers/admin-server.ts';
import { run } from '../helpers/cli.ts';
import { type KubeApi, startKubeApi } from '../helpers/kube-api.ts';
import { EG_LABELS, envoyGatewayCustomObjects, type FakeCluster, type KubeObject, makeDeployment } from '../helpers/kube-cluster.ts';
import type { DenyRule } from '../helpers/kube-refusals.ts';

const SAMPLE = 'samples/listener-drain';
const NS = 'envoy-gateway-system';
const CLASS_PROXY = { apiVersion: 'gateway.envoyproxy.io/v1alpha1', kind: 'EnvoyProxy', metadata: { name: 'class-defaults', namespace: NS } };
const CLASS_SPEC = { logging: { level: { default: 'warn' } }, provider: { type: 'Kubernetes', kubernetes: { envoyDeployment: { replicas: 3 } } } };

interface Fix {
  flavor: string;
  target: string;
  text: string;
  notes: Array<{ code: string; values: Record<string, unknown> }>;
  liveDiff?: { object: string; changes: Array<{ path: string; before?: unknown; after?: unknown }> };
}
interface Report {
  snapshots: Array<{ id: string; envoyGateway: { version: string | null; atLeast: string | null; source: string } | null }>;
  findings: Array<{ code: string; evidence: Record<string, unknown> }>;
  rootCauses: Array<{ id: string; fixes: Fix[] }>;
}

const running: Array<{ api: KubeApi; admins: AdminServer[] }> = [];
afterEach(async () => {
  for (const s of running.splice(0)) {
    await s.api.close();
    for (const a of s.admins) await a.close();
  }
});

/** The controller's Deployment as the gateway-helm chart installs it. */
function controller(image: string): KubeObject {
  const { deployment } = makeDeployment({ name: 'envoy-gateway', namespace: NS, matchLabels: { 'control-plane': 'envoy-gateway' }, replicas: 0 });
  (deployment.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers = [{ name: 'envoy-gateway', image }];
  return deployment;
}

/** One Envoy Gateway proxy of Gateway home/eg serving the sample, the Gateway, its class, and what else the case holds. */
async function cluster(o: { classRef?: boolean; gatewayRef?: boolean; image?: string; deny?: DenyRule[] }): Promise<KubeApi> {
  const { deployment, replicaSet, pods } = makeDeployment({ name: 'envoy-home-eg-5f7d9c', namespace: NS, matchLabels: EG_LABELS, replicas: 1 });
  const admins = [await startAdminServer({ dir: SAMPLE })];
  const gateway: KubeObject = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'eg', namespace: 'home' },
    spec: {
      gatewayClassName: 'eg',
      listeners: [],
      ...(o.gatewayRef ? { infrastructure: { parametersRef: { group: 'gateway.envoyproxy.io', kind: 'EnvoyProxy', name: 'eg-own' } } } : {}),
    },
  };
  const gatewayClass: KubeObject = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GatewayClass',
    metadata: { name: 'eg' },
    spec: {
      controllerName: 'gateway.envoyproxy.io/gatewayclass-controller',
      ...(o.classRef ? { parametersRef: { group: 'gateway.envoyproxy.io', kind: 'EnvoyProxy', name: 'class-defaults', namespace: NS } } : {}),
    },
  };
  const envoyProxies: KubeObject[] = [{ ...CLASS_PROXY, spec: CLASS_SPEC }];
  if (o.gatewayRef)
    envoyProxies.push({
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'EnvoyProxy',
      metadata: { name: 'eg-own', namespace: 'home' },
      spec: { shutdown: { minDrainDuration: '5s' } },
    });
  const fake: FakeCluster = {
    pods,
    deployments: [deployment, ...(o.image ? [controller(o.image)] : [])],
    replicaSets: [replicaSet],
    customObjects: envoyGatewayCustomObjects({ gateways: [gateway], gatewayClasses: [gatewayClass], envoyProxies }),
    forwardTargets: (_ns, _pod, port) => (port === 19000 ? admins[0]?.port : undefined),
    deny: o.deny ?? [],
    now: () => new Date('2026-11-24T20:35:00Z'),
  };
  const api = await startKubeApi(fake);
  running.push({ api, admins });
  return api;
}

async function diagnose(api: KubeApi, format: 'json' | 'table' = 'json'): Promise<{ report: Report; stdout: string }> {
  const r = await run(['diagnose', '--kubeconfig', api.kubeconfigPath, '--interval', '200ms', '--no-logs', '--fail-on', 'none', '-o', format]);
  assert.equal(r.stderr, '');
  return { report: (format === 'json' ? JSON.parse(r.stdout) : {}) as Report, stdout: r.stdout };
}

/** The Envoy Gateway fix of the drain-time root cause. */
function proxyFix(report: Report): Fix & { object: { metadata: Record<string, unknown>; spec: Record<string, unknown> }; codes: string[] } {
  const fix = report.rootCauses.flatMap((r) => r.fixes).find((f) => f.flavor === 'envoy-gateway' && f.target.startsWith('EnvoyProxy'));
  assert.ok(fix, 'an EnvoyProxy fix');
  return { ...fix, object: parse(fix.text) as { metadata: Record<string, unknown>; spec: Record<string, unknown> }, codes: fix.notes.map((n) => n.code) };
}

const CONTROLLER = 'controller Deployment envoy-gateway-system/envoy-gateway, image docker.io/envoyproxy/gateway:v1.8.1';

describe('live runs read the GatewayClass, its EnvoyProxy and the controller release', () => {
  it('the fix merges over the GatewayClass EnvoyProxy with mergeType on 1.8; the report names the release and its source', async () => {
    const api = await cluster({ classRef: true, image: 'docker.io/envoyproxy/gateway:v1.8.1' });
    const { report } = await diagnose(api);
    assert.deepEqual(report.snapshots[0]?.envoyGateway, { version: '1.8.1', atLeast: null, source: CONTROLLER });
    const fix = proxyFix(report);
    assert.equal(fix.target, 'EnvoyProxy home/eg-proxy');
    assert.deepEqual(fix.object.spec, { mergeType: 'StrategicMerge', shutdown: { drainTimeout: '600s' } });
    assert.deepEqual(fix.codes, [
      'envoyproxy-reference',
      'envoyproxy-merges-gatewayclass-proxy',
      'drain-timeout-slows-shutdown',
      'envoy-gateway-minimum-version',
      'envoyproxy-rollout-closes-connections',
    ]);
    assert.deepEqual(fix.notes[1]?.values, { classProxy: `${NS}/class-defaults`, version: '1.8.1' });
    assert.deepEqual(fix.liveDiff, { object: `EnvoyProxy ${NS}/class-defaults`, changes: [{ path: '/shutdown', after: { drainTimeout: '600s' } }] });
    const reads = api.requests
      .filter((r) => r.path.includes('gatewayclasses') || r.path.includes('deployments/envoy-gateway'))
      .map((r) => `${r.method} ${r.path} ${r.status}`);
    assert.deepEqual(reads, ['GET /apis/gateway.networking.k8s.io/v1/gatewayclasses 200', `GET /apis/apps/v1/namespaces/${NS}/deployments/envoy-gateway 200`]);
    const table = await diagnose(api, 'table');
    const head = table.stdout.split('\n').slice(0, 3).join(' ').replace(/\s+/g, ' ');
    assert.ok(head.includes(`· Envoy Gateway 1.8.1 (${CONTROLLER}) · Envoy 1.35.6`), head);
  });

  it('on 1.7 the new Gateway-level EnvoyProxy carries every field of the GatewayClass one', async () => {
    const { report } = await diagnose(await cluster({ classRef: true, image: 'docker.io/envoyproxy/gateway:v1.7.3@sha256:0123' }));
    assert.equal(report.snapshots[0]?.envoyGateway?.version, '1.7.3');
    const fix = proxyFix(report);
    assert.deepEqual(fix.object.spec, { ...CLASS_SPEC, shutdown: { drainTimeout: '600s' } });
    assert.deepEqual(fix.codes, [
      'envoyproxy-reference',
      'envoyproxy-carries-gatewayclass-proxy',
      'drain-timeout-slows-shutdown',
      'envoyproxy-rollout-closes-connections',
    ]);
    assert.deepEqual(fix.liveDiff?.changes, [{ path: '/shutdown', after: { drainTimeout: '600s' } }]);
  });

  it("the Gateway's own EnvoyProxy wins over the class's and is patched with its fields kept", async () => {
    const { report } = await diagnose(await cluster({ classRef: true, gatewayRef: true, image: 'docker.io/envoyproxy/gateway:v1.8.1' }));
    const fix = proxyFix(report);
    assert.equal(fix.target, 'EnvoyProxy home/eg-own');
    assert.deepEqual(fix.object.spec, { shutdown: { minDrainDuration: '5s', drainTimeout: '600s' } });
    assert.deepEqual(fix.notes[0], {
      code: 'envoyproxy-patches-gateway-proxy',
      values: { envoyProxy: 'home/eg-own', gateway: 'home/eg', classProxy: `${NS}/class-defaults`, mergeType: null },
    });
  });

  it('a class without an EnvoyProxy: a new one, with nothing to merge or carry', async () => {
    const { report } = await diagnose(await cluster({ image: 'docker.io/envoyproxy/gateway:v1.8.1' }));
    const fix = proxyFix(report);
    assert.deepEqual(fix.object.spec, { shutdown: { drainTimeout: '600s' } });
    assert.deepEqual(fix.codes, ['envoyproxy-reference', 'drain-timeout-slows-shutdown', 'envoyproxy-rollout-closes-connections']);
  });
});

describe('live runs: what RBAC or the cluster withholds', () => {
  const cases: Array<{
    name: string;
    deny: DenyRule[];
    image?: string;
    refused: string[];
    envoyGateway: Report['snapshots'][number]['envoyGateway'];
    basis: string;
    spec: Record<string, unknown>;
  }> = [
    {
      name: 'GatewayClasses refused: a finding, and on 1.8 a mergeType that keeps whatever the class EnvoyProxy sets',
      deny: [{ verb: 'list', resource: 'gatewayclasses', group: 'gateway.networking.k8s.io' }],
      image: 'docker.io/envoyproxy/gateway:v1.8.1',
      refused: ['forbidden: list gatewayclasses.gateway.networking.k8s.io cluster-wide (RBAC: see docs/rbac.md)'],
      envoyGateway: { version: '1.8.1', atLeast: null, source: CONTROLLER },
      basis: 'envoyproxy-merges-unread-gatewayclass',
      spec: { mergeType: 'StrategicMerge', shutdown: { drainTimeout: '600s' } },
    },
    {
      name: "the controller's Deployment refused: a finding, the release from the dump's xDS metadata, the class EnvoyProxy carried",
      deny: [{ verb: 'get', resource: 'deployments', group: 'apps', name: 'envoy-gateway' }],
      image: 'docker.io/envoyproxy/gateway:v1.8.1',
      refused: [`forbidden: get deployments/envoy-gateway in ${NS} (RBAC: see docs/rbac.md)`],
      envoyGateway: { version: null, atLeast: '1.1.0', source: 'xDS metadata naming resources' },
      basis: 'envoyproxy-carries-gatewayclass-proxy',
      spec: { ...CLASS_SPEC, shutdown: { drainTimeout: '600s' } },
    },
    {
      name: 'no controller Deployment where the chart puts it: no finding, the release from the dump',
      deny: [],
      refused: [],
      envoyGateway: { version: null, atLeast: '1.1.0', source: 'xDS metadata naming resources' },
      basis: 'envoyproxy-carries-gatewayclass-proxy',
      spec: { ...CLASS_SPEC, shutdown: { drainTimeout: '600s' } },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { report } = await diagnose(await cluster({ classRef: true, deny: c.deny, ...(c.image ? { image: c.image } : {}) }));
      assert.deepEqual(
        report.findings.filter((f) => f.code === 'kubernetes-read-refused').map((f) => f.evidence.refused),
        c.refused,
      );
      assert.deepEqual(report.snapshots[0]?.envoyGateway, c.envoyGateway);
      const fix = proxyFix(report);
      assert.equal(fix.codes[1], c.basis);
      assert.deepEqual(fix.object.spec, c.spec);
    });
  }
});

describe('collect keeps the GatewayClasses and the controller release in the bundle', () => {
  it('kubernetes/objects.json holds them, and analyze renders the same fix and release as the live run', async () => {
    const api = await cluster({ classRef: true, image: 'docker.io/envoyproxy/gateway:v1.8.1' });
    const dir = await mkdtemp(join(tmpdir(), 'envoy-doctor-eg-'));
    try {
      const out = join(dir, 'bundle');
      const collected = await run(['collect', '--kubeconfig', api.kubeconfigPath, '--interval', '200ms', '--no-logs', '-o', out]);
      assert.equal(collected.code, 0, collected.stderr);
      const objects = JSON.parse(readFileSync(join(out, 'kubernetes', 'objects.json'), 'utf8')) as Record<string, unknown>;
      assert.deepEqual(
        (objects.gatewayClasses as KubeObject[]).map((c) => c.metadata.name),
        ['eg'],
      );
      assert.equal(objects.envoyGatewayVersion, '1.8.1');
      assert.equal(objects.envoyGatewayController, 'Deployment envoy-gateway-system/envoy-gateway, image docker.io/envoyproxy/gateway:v1.8.1');
      const later = JSON.parse((await run(['analyze', out, '--fail-on', 'none', '-o', 'json'])).stdout) as Report;
      const live = (await diagnose(api)).report;
      assert.deepEqual(later.snapshots[0]?.envoyGateway, live.snapshots[0]?.envoyGateway);
      const { object: a, codes: ac } = proxyFix(later);
      const { object: b, codes: bc } = proxyFix(live);
      assert.deepEqual([a, ac], [b, bc]);
      // The Markdown and HTML reports name the release where they name the proxy, as the table does.
      const release = `Envoy Gateway 1.8.1 (${CONTROLLER})`;
      for (const format of ['table', 'markdown', 'html']) {
        // The table wraps at 80 columns: compared with its lines joined.
        const text = (await run(['analyze', out, '--fail-on', 'none', '-o', format])).stdout.replace(/\s+/g, ' ');
        assert.ok(text.includes(release), `${format} names ${release}`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
