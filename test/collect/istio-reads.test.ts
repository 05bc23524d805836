// Istio's VirtualServices read through the real @kubernetes/client-node from a local API server: cluster-wide, from
// v1beta1 where v1 is not served, in the proxies' namespaces when the cluster-wide list is refused; and in a live run
// of an Istio sidecar, the route timeout's Istio fix is then a merge patch of the live VirtualService, and `collect`
// keeps them in the bundle.

import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { readVirtualServices } from '../../src/collect/istio-reads.ts';
import { loadKubeConfig } from '../../src/collect/kubernetes-api.ts';
import { type AdminServer, startAdminServer } from '../helpers/admin-server.ts';
import { run } from '../helpers/cli.ts';
import { type KubeApi, startKubeApi } from '../helpers/kube-api.ts';
import { type FakeCluster, type KubeObject, makePod } from '../helpers/kube-cluster.ts';
import type { DenyRule } from '../helpers/kube-refusals.ts';

const SAMPLE = 'samples/route-timeout-on-stream';
const EVENTS_ROUTE = 'httproute/home/events/rule/0/match/0/*';

/** A VirtualService in `namespace`: one named http route with a 1 s timeout, then a catch-all. */
function virtualService(name: string, namespace: string, version = 'v1'): KubeObject {
  return {
    apiVersion: `networking.istio.io/${version}`,
    kind: 'VirtualService',
    metadata: { name, namespace, labels: { team: namespace } },
    spec: {
      hosts: ['events'],
      http: [
        { name: 'events', match: [{ uri: { prefix: '/sse' } }], route: [{ destination: { host: 'events' } }], timeout: '1s', retries: { attempts: 2 } },
        { route: [{ destination: { host: 'events' } }] },
      ],
    },
  };
}

const running: KubeApi[] = [];
afterEach(async () => {
  for (const api of running.splice(0)) await api.close();
});

async function apiWith(customObjects: Map<string, KubeObject[]>, deny: DenyRule[] = [], extra: Partial<FakeCluster> = {}): Promise<KubeApi> {
  const api = await startKubeApi({ pods: [], customObjects, deny, ...extra });
  running.push(api);
  return api;
}

describe('readVirtualServices', () => {
  const shop = virtualService('events', 'shop');
  const other = virtualService('billing', 'billing');
  const cases: Array<{ name: string; objects: Map<string, KubeObject[]>; deny?: DenyRule[]; names: string[] | undefined; unavailable: RegExp[] }> = [
    {
      name: 'cluster-wide, every namespace',
      objects: new Map([['networking.istio.io/v1/virtualservices', [shop, other]]]),
      names: ['billing/billing', 'shop/events'],
      unavailable: [],
    },
    {
      name: 'v1 not served (Istio before 1.22): v1beta1',
      objects: new Map([['networking.istio.io/v1beta1/virtualservices', [virtualService('events', 'shop', 'v1beta1')]]]),
      names: ['shop/events'],
      unavailable: [],
    },
    {
      name: 'cluster-wide refused: the proxies namespaces, and the refusal said',
      objects: new Map([['networking.istio.io/v1/virtualservices', [shop, other]]]),
      deny: [{ verb: 'list', resource: 'virtualservices', group: 'networking.istio.io', namespace: '' }],
      names: ['shop/events'],
      unavailable: [/^forbidden: list virtualservices\.networking\.istio\.io cluster-wide; read only in shop$/],
    },
    {
      name: 'refused everywhere: none read, each refusal said',
      objects: new Map([['networking.istio.io/v1/virtualservices', [shop]]]),
      deny: [{ verb: 'list', resource: 'virtualservices', group: 'networking.istio.io' }],
      names: [],
      unavailable: [/cluster-wide; read only in shop$/, /^forbidden: list virtualservices\.networking\.istio\.io in shop/],
    },
    {
      name: 'no VirtualService CRD: not read, and said',
      objects: new Map(),
      names: undefined,
      unavailable: [/virtualservices\.networking\.istio\.io/],
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const api = await apiWith(c.objects, c.deny);
      const got = await readVirtualServices(await loadKubeConfig({ kubeconfig: api.kubeconfigPath }), ['shop']);
      assert.deepEqual(
        got.virtualServices?.map((v) => `${v.metadata.namespace}/${v.metadata.name}`),
        c.names,
      );
      assert.equal(got.unavailable.length, c.unavailable.length, got.unavailable.join('\n'));
      c.unavailable.forEach((re, i) => assert.match(got.unavailable[i] ?? '', re));
    });
  }
});

interface Report {
  snapshots: Array<{ id: string; flavor: string }>;
  findings: Array<{ code: string; evidence: Record<string, unknown> }>;
  rootCauses: Array<{ id: string; fixes: Array<{ flavor: string; target: string; apply: string; text: string; liveDiff?: unknown }> }>;
}

describe('a live run of an Istio sidecar', () => {
  let dir: string;
  const admins: AdminServer[] = [];
  before(async () => {
    // The sample's streams cut by a 1 s route timeout, as an Istio sidecar serves them: its node id, and the events
    // route named as its VirtualService http route and pointing at it in the route's metadata, as Istio writes it.
    dir = mkdtempSync(join(tmpdir(), 'envoy-doctor-istio-'));
    for (const f of ['stats.txt', 'stats.later.txt']) copyFileSync(join(SAMPLE, f), join(dir, f));
    const dump = readFileSync(join(SAMPLE, 'config_dump.json'), 'utf8')
      .replace('"id": "envoy-gateway-lab"', '"id": "sidecar~10.0.0.7~web-0.shop~shop.svc.cluster.local"')
      .replaceAll(
        `"name": "${EVENTS_ROUTE}"`,
        '"name": "events", "metadata": {"filter_metadata": {"istio": {"config": "/apis/networking.istio.io/v1/namespaces/shop/virtual-service/events"}}}',
      );
    assert.ok(dump.includes('virtual-service/events') && dump.includes('sidecar~'), 'the sample was rewritten');
    writeFileSync(join(dir, 'config_dump.json'), dump);
  });
  after(async () => {
    for (const a of admins) await a.close();
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * The fake cluster: the sidecar's pod in shop, forwarding Istio's admin port to an admin server of its own (which
   * serves the two stats samples in turn), and the VirtualService.
   */
  async function mesh(deny: DenyRule[] = []): Promise<KubeApi> {
    const admin = await startAdminServer({ dir });
    admins.push(admin);
    const pod = makePod({ name: 'web-0', namespace: 'shop', containers: [{ name: 'web' }, { name: 'istio-proxy', ports: [15090] }] });
    return apiWith(new Map([['networking.istio.io/v1/virtualservices', [virtualService('events', 'shop')]]]), deny, {
      pods: [pod],
      forwardTargets: (_ns, _pod, port) => (port === 15000 ? admin.port : undefined),
    });
  }

  async function diagnose(api: KubeApi, ...more: string[]): Promise<Report> {
    const r = await run([
      'diagnose',
      '--kubeconfig',
      api.kubeconfigPath,
      '-n',
      'shop',
      '--interval',
      '200ms',
      '--no-logs',
      '--fail-on',
      'none',
      '-o',
      'json',
      ...more,
    ]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Report;
  }

  /** The Istio fixes of the route-timeout-on-stream root cause: target and how each applies. */
  const istioFixes = (report: Report) => (report.rootCauses.find((r) => r.id === 'route-timeout-on-stream')?.fixes ?? []).filter((f) => f.flavor === 'istio');

  it('the fix is a merge patch of the live VirtualService, its timeout removed and the rest kept', async () => {
    const report = await diagnose(await mesh());
    assert.equal(report.snapshots[0]?.flavor, 'istio');
    const fix = istioFixes(report).find((f) => f.target === 'VirtualService shop/events');
    assert.ok(fix, JSON.stringify(istioFixes(report).map((f) => f.target)));
    assert.equal(fix.apply, 'kubectl-patch');
    assert.deepEqual(fix.liveDiff, { object: 'VirtualService shop/events', changes: [{ path: '/http/0/timeout', before: '1s' }] });
    assert.match(fix.text, /retries:\n\s+attempts: 2/);
    assert.deepEqual(
      report.findings.filter((f) => f.code === 'kubernetes-read-refused'),
      [],
    );
  });

  it('with --no-objects the VirtualService is not read: no live patch', async () => {
    const report = await diagnose(await mesh(), '--no-objects');
    assert.ok(!istioFixes(report).some((f) => f.liveDiff !== undefined));
  });

  it('a refused read: a kubernetes-read-refused finding, and no live patch', async () => {
    const report = await diagnose(await mesh([{ verb: 'list', resource: 'virtualservices', group: 'networking.istio.io' }]));
    assert.ok(report.findings.some((f) => f.code === 'kubernetes-read-refused'));
    assert.ok(!istioFixes(report).some((f) => f.liveDiff !== undefined));
  });

  it('collect keeps the VirtualServices in the bundle, and analyze renders the same fix from it', async () => {
    const api = await mesh();
    const out = join(await mkdtemp(join(tmpdir(), 'envoy-doctor-istio-bundle-')), 'bundle');
    try {
      const collected = await run(['collect', '--kubeconfig', api.kubeconfigPath, '-n', 'shop', '--interval', '200ms', '--no-logs', '-o', out]);
      assert.equal(collected.code, 0, collected.stderr);
      const objects = JSON.parse(readFileSync(join(out, 'kubernetes', 'objects.json'), 'utf8')) as { virtualServices?: KubeObject[] };
      assert.deepEqual(
        objects.virtualServices?.map((v) => v.metadata.name),
        ['events'],
      );
      const later = JSON.parse((await run(['analyze', out, '--fail-on', 'none', '-o', 'json'])).stdout) as Report;
      assert.deepEqual(istioFixes(later), istioFixes(await diagnose(await mesh())));
    } finally {
      await rm(join(out, '..'), { recursive: true, force: true });
    }
  });
});
