// The fake Kubernetes API server in test/helpers/kube-api.ts, driven by the real @kubernetes/client-node: reads
// with selectors, logs, custom objects, RBAC denials, and port-forward round trips to a real HTTP server.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ApiException, AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, Log, PortForward, VersionApi } from '@kubernetes/client-node';
import { Agent, request } from 'undici';
import { WebSocket } from 'ws';
import { type KubeApi, startKubeApi } from './helpers/kube-api.ts';
import { type FakeCluster, type KubeObject, makeDeployment, makePod } from './helpers/kube-cluster.ts';
import { matchesLabels, parseLabelSelector } from './helpers/kube-query.ts';
import { forbidden } from './helpers/kube-refusals.ts';

const EG = { 'app.kubernetes.io/name': 'envoy', 'app.kubernetes.io/component': 'proxy', 'app.kubernetes.io/managed-by': 'envoy-gateway' };
const USER = 'system:serviceaccount:envoy-doctor:envoy-doctor';
const NOW = new Date('2025-06-01T12:00:00Z');

function kubeConfig(api: KubeApi, context?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(api.kubeconfigPath);
  if (context) kc.setCurrentContext(context);
  return kc;
}

/** The Status a failed client-node call carried: its body is the raw JSON text. */
function statusOf(err: unknown): { code: number; message: string; reason: string } {
  assert.ok(err instanceof ApiException, `expected an ApiException, got ${String(err)}`);
  const body = JSON.parse(String(err.body)) as { code: number; message: string; reason: string };
  assert.equal(body.code, err.code);
  return body;
}

async function rejects(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail('expected a rejection');
}

const gateway = (ns: string, name: string): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name, namespace: ns, labels: { team: ns } },
  spec: { gatewayClassName: 'eg', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
});

describe('fake kube API: reads', () => {
  const eg = makeDeployment({
    name: 'envoy-default-eg-e41e7b31',
    namespace: 'envoy-gateway-system',
    matchLabels: { ...EG, 'gateway.envoyproxy.io/owning-gateway-name': 'eg' },
    replicas: 2,
  });
  const other = makeDeployment({
    name: 'envoy-home-gw-1a2b3c4d',
    namespace: 'home',
    matchLabels: { ...EG, 'gateway.envoyproxy.io/owning-gateway-name': 'gw' },
  });
  const pending = makePod({ name: 'envoy-pending', namespace: 'home', labels: { ...EG, canary: 'true' }, phase: 'Pending', ready: false });
  const app = makePod({
    name: 'web-0',
    namespace: 'home',
    labels: { app: 'web', tier: 'edge' },
    containers: [{ name: 'web' }, { name: 'istio-proxy', ports: [15090] }],
  });
  const cluster: FakeCluster = {
    pods: [...eg.pods, ...other.pods, pending, app],
    deployments: [eg.deployment, other.deployment],
    replicaSets: [eg.replicaSet, other.replicaSet],
    logs: new Map([
      [
        `envoy-gateway-system/${eg.pods[0]?.metadata.name}/envoy`,
        [
          '2025-06-01T11:50:00.000000001Z [2025-06-01 11:50:00.000][1][info][main] starting',
          '2025-06-01T11:58:00.123456789Z [2025-06-01 11:58:00.123][1][warning][config] gRPC config stream closed',
          '    a continuation line',
          '2025-06-01T11:59:30.5Z [2025-06-01 11:59:30.500][1][info][upstream] cds: added 3 clusters',
          '',
        ].join('\n'),
      ],
      ['home/web-0/istio-proxy', 'plain line 1\nplain line 2\nplain line 3\n'],
    ]),
    previousLogs: new Map([['home/web-0/istio-proxy', 'crashed: out of memory\n']]),
    customObjects: new Map<string, KubeObject[]>([
      ['gateway.networking.k8s.io/v1/gateways', [gateway('home', 'gw'), gateway('default', 'eg')]],
      ['gateway.networking.k8s.io/v1/httproutes', []],
      [
        'gateway.networking.k8s.io/v1/gatewayclasses',
        [{ metadata: { name: 'eg' }, spec: { controllerName: 'gateway.envoyproxy.io/gatewayclass-controller' } }],
      ],
      [
        'gateway.envoyproxy.io/v1alpha1/backendtrafficpolicies',
        [
          {
            apiVersion: 'gateway.envoyproxy.io/v1alpha1',
            kind: 'BackendTrafficPolicy',
            metadata: { name: 'ha', namespace: 'home' },
            spec: { timeout: { http: { requestTimeout: '0s' } } },
          },
        ],
      ],
    ]),
    deny: [
      { verb: 'list', resource: 'pods', namespace: 'kube-system' },
      { verb: 'get', resource: 'pods/log', namespace: 'home', user: USER },
      { verb: 'list', resource: 'envoyproxies', group: 'gateway.envoyproxy.io' },
    ],
    now: () => NOW,
  };
  let api: KubeApi;
  let core: CoreV1Api;
  before(async () => {
    api = await startKubeApi(cluster, {
      namespace: 'home',
      contexts: [
        { name: 'other', namespace: 'envoy-gateway-system', user: 'jane' },
        { name: 'expired', rejectToken: true },
      ],
    });
    core = kubeConfig(api).makeApiClient(CoreV1Api);
  });
  after(async () => api.close());

  it('lists pods across namespaces with a label selector, and records the request', async () => {
    const before = api.requests.length;
    const list = await core.listPodForAllNamespaces({
      labelSelector: 'app.kubernetes.io/component=proxy,app.kubernetes.io/managed-by in (envoy-gateway),!canary',
    });
    assert.deepEqual(
      list.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`),
      [...eg.pods, ...other.pods].map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort(),
      'sorted by namespace and name, as etcd returns them',
    );
    assert.equal(list.kind, 'PodList');
    assert.equal(list.items[0]?.spec?.containers[0]?.name, 'envoy');
    assert.equal(list.items[0]?.status?.phase, 'Running');
    const rec = api.requests[before];
    assert.equal(rec?.method, 'GET');
    assert.equal(rec?.path, '/api/v1/pods');
    assert.equal(rec?.params.get('labelSelector'), 'app.kubernetes.io/component=proxy,app.kubernetes.io/managed-by in (envoy-gateway),!canary');
    assert.equal(rec?.status, 200);
    assert.equal(rec?.user, USER);
  });

  it('filters by field selector and by namespace', async () => {
    const running = await core.listNamespacedPod({ namespace: 'home', labelSelector: 'app.kubernetes.io/name=envoy', fieldSelector: 'status.phase=Running' });
    assert.deepEqual(
      running.items.map((p) => p.metadata?.name),
      other.pods.map((p) => p.metadata.name).sort(),
    );
    const notRunning = await core.listNamespacedPod({ namespace: 'home', fieldSelector: 'status.phase!=Running' });
    assert.deepEqual(
      notRunning.items.map((p) => p.metadata?.name),
      ['envoy-pending'],
    );
    const byName = await core.listPodForAllNamespaces({ fieldSelector: 'metadata.name=web-0' });
    assert.deepEqual(
      byName.items.map((p) => p.metadata?.name),
      ['web-0'],
    );
    const page1 = await core.listPodForAllNamespaces({ limit: 2 });
    assert.equal(page1.items.length, 2);
    assert.equal(page1.metadata?.remainingItemCount, 3);
    const page2 = await core.listPodForAllNamespaces({ limit: 10, _continue: page1.metadata?._continue as string });
    assert.equal(page2.items.length, 3);
    assert.equal(page2.metadata?._continue, undefined);
    const bad = statusOf(await rejects(core.listNamespacedPod({ namespace: 'home', fieldSelector: 'spec.containers=x' })));
    assert.equal(bad.code, 400);
    assert.equal(bad.message, 'field label not supported: spec.containers');
  });

  it('understands set-based, inequality and existence selectors, and refuses bad ones with 400', async () => {
    const names = async (labelSelector: string) =>
      (await core.listNamespacedPod({ namespace: 'home', labelSelector })).items.map((p) => p.metadata?.name).sort();
    assert.deepEqual(await names('tier'), ['web-0']);
    assert.deepEqual(await names('tier!=edge,app.kubernetes.io/name=envoy'), ['envoy-pending', ...other.pods.map((p) => p.metadata.name)].sort());
    assert.deepEqual(await names('tier notin (edge, core),!canary'), other.pods.map((p) => p.metadata.name).sort());
    assert.deepEqual(await names('canary in (true)'), ['envoy-pending']);
    const bad = statusOf(await rejects(core.listNamespacedPod({ namespace: 'home', labelSelector: 'app in (web' })));
    assert.equal(bad.code, 400);
    assert.match(bad.message, /unable to parse requirement/);

    const reqs = parseLabelSelector('a=1, b==2, c!=3, d, !e, f in (x,y), g notin (z), h>4');
    assert.equal(reqs.length, 8);
    assert.ok(matchesLabels(reqs, { a: '1', b: '2', d: '', f: 'y', g: 'w', h: '5' }));
    assert.ok(!matchesLabels(reqs, { a: '1', b: '2', d: '', f: 'y', g: 'w', h: '5', e: 'x' }));
    assert.ok(!matchesLabels(reqs, { a: '1', b: '2', c: '3', d: '', f: 'y', h: '5' }));
  });

  it('gets one pod, and a missing pod is a 404 Status', async () => {
    const pod = await core.readNamespacedPod({ name: 'web-0', namespace: 'home' });
    assert.equal(pod.kind, 'Pod');
    assert.deepEqual(
      pod.spec?.containers.map((c) => c.name),
      ['web', 'istio-proxy'],
    );
    const missing = statusOf(await rejects(core.readNamespacedPod({ name: 'nope', namespace: 'home' })));
    assert.equal(missing.code, 404);
    assert.equal(missing.reason, 'NotFound');
    assert.equal(missing.message, 'pods "nope" not found');
  });

  it('reads logs: timestamps stripped unless asked for, sinceSeconds on the runtime timestamp, tailLines, previous', async () => {
    const name = eg.pods[0]?.metadata.name as string;
    const ns = 'envoy-gateway-system';
    const all = await core.readNamespacedPodLog({ name, namespace: ns, container: 'envoy' });
    assert.equal(all.split('\n')[0], '[2025-06-01 11:50:00.000][1][info][main] starting');
    assert.equal(all.split('\n').length, 5);
    const recent = await core.readNamespacedPodLog({ name, namespace: ns, container: 'envoy', sinceSeconds: 300, timestamps: true });
    assert.deepEqual(recent.split('\n'), [
      '2025-06-01T11:58:00.123456789Z [2025-06-01 11:58:00.123][1][warning][config] gRPC config stream closed',
      '    a continuation line',
      '2025-06-01T11:59:30.5Z [2025-06-01 11:59:30.500][1][info][upstream] cds: added 3 clusters',
      '',
    ]);
    const last = await core.readNamespacedPodLog({ name, namespace: ns, container: 'envoy', sinceSeconds: 60 });
    assert.equal(last, '[2025-06-01 11:59:30.500][1][info][upstream] cds: added 3 clusters\n');
    assert.equal(
      await core.readNamespacedPodLog({ name: 'web-0', namespace: 'home', container: 'istio-proxy', tailLines: 2 }).catch((e: unknown) => statusOf(e).message),
      'pods "web-0" is forbidden: User "system:serviceaccount:envoy-doctor:envoy-doctor" cannot get resource "pods/log" in API group "" in the namespace "home"',
    );
    // The deny rule names the default user; the 'other' context is jane.
    const jane = kubeConfig(api, 'other').makeApiClient(CoreV1Api);
    assert.equal(await jane.readNamespacedPodLog({ name: 'web-0', namespace: 'home', container: 'istio-proxy', tailLines: 2 }), 'plain line 2\nplain line 3\n');
    assert.equal(await jane.readNamespacedPodLog({ name: 'web-0', namespace: 'home', container: 'istio-proxy', previous: true }), 'crashed: out of memory\n');
    const noContainer = statusOf(await rejects(jane.readNamespacedPodLog({ name: 'web-0', namespace: 'home' })));
    assert.equal(noContainer.message, 'a container name must be specified for pod web-0, choose one of: [web istio-proxy]');
    const noPrevious = statusOf(await rejects(jane.readNamespacedPodLog({ name: 'web-0', namespace: 'home', container: 'web', previous: true })));
    assert.equal(noPrevious.message, 'previous terminated container "web" in pod "web-0" not found');
    const waiting = statusOf(await rejects(jane.readNamespacedPodLog({ name: 'envoy-pending', namespace: 'home', container: 'envoy' })));
    assert.equal(waiting.message, 'container "envoy" in pod "envoy-pending" is waiting to start: ContainerCreating');
    const logRequest = api.requests.find((r) => r.path.endsWith('/log') && r.params.get('sinceSeconds') === '300');
    assert.equal(logRequest?.params.get('timestamps'), 'true');
    assert.equal(logRequest?.params.get('container'), 'envoy');
  });

  it("streams logs through client-node's Log class", async () => {
    const kc = kubeConfig(api);
    let text = '';
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        text += chunk.toString('utf8');
        done();
      },
    });
    const finished = new Promise((resolve) => out.on('finish', resolve));
    await new Log(kc).log('envoy-gateway-system', eg.pods[0]?.metadata.name as string, 'envoy', out, { tailLines: 1 });
    await finished;
    assert.equal(text, '[2025-06-01 11:59:30.500][1][info][upstream] cds: added 3 clusters\n');
    const req = api.requests.at(-1);
    assert.equal(req?.params.get('follow'), 'false');
    assert.equal(req?.params.get('tailLines'), '1');
  });

  it('lists custom objects per namespace and across namespaces; an uninstalled CRD is a 404', async () => {
    const custom = kubeConfig(api).makeApiClient(CustomObjectsApi);
    const inHome = (await custom.listNamespacedCustomObject({ group: 'gateway.networking.k8s.io', version: 'v1', namespace: 'home', plural: 'gateways' })) as {
      kind: string;
      items: KubeObject[];
    };
    assert.equal(inHome.kind, 'GatewayList');
    assert.deepEqual(
      inHome.items.map((g) => g.metadata.name),
      ['gw'],
    );
    const everywhere = (await custom.listCustomObjectForAllNamespaces({
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      resourcePlural: 'gateways',
      labelSelector: 'team in (home,default)',
    })) as { items: KubeObject[] };
    assert.deepEqual(
      everywhere.items.map((g) => `${g.metadata.namespace}/${g.metadata.name}`),
      ['default/eg', 'home/gw'],
    );
    assert.equal(api.requests.at(-1)?.path, '/apis/gateway.networking.k8s.io/v1/gateways');
    const classes = (await custom.listClusterCustomObject({ group: 'gateway.networking.k8s.io', version: 'v1', plural: 'gatewayclasses' })) as {
      items: KubeObject[];
    };
    assert.equal(classes.items[0]?.kind, 'GatewayClass');
    const routes = (await custom.listNamespacedCustomObject({
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      namespace: 'home',
      plural: 'httproutes',
    })) as { kind: string; items: unknown[] };
    assert.deepEqual([routes.kind, routes.items.length], ['HTTPRouteList', 0]);
    const btp = (await custom.getNamespacedCustomObject({
      group: 'gateway.envoyproxy.io',
      version: 'v1alpha1',
      namespace: 'home',
      plural: 'backendtrafficpolicies',
      name: 'ha',
    })) as KubeObject;
    assert.deepEqual(btp.spec, { timeout: { http: { requestTimeout: '0s' } } });
    const missing = statusOf(
      await rejects(
        custom.listNamespacedCustomObject({ group: 'gateway.envoyproxy.io', version: 'v1alpha1', namespace: 'home', plural: 'clienttrafficpolicies' }),
      ),
    );
    assert.deepEqual([missing.code, missing.message], [404, 'the server could not find the requested resource']);
    const denied = statusOf(
      await rejects(custom.listCustomObjectForAllNamespaces({ group: 'gateway.envoyproxy.io', version: 'v1alpha1', resourcePlural: 'envoyproxies' })),
    );
    assert.equal(
      denied.message,
      `envoyproxies.gateway.envoyproxy.io is forbidden: User "${USER}" cannot list resource "envoyproxies" in API group "gateway.envoyproxy.io" at the cluster scope`,
    );
  });

  it('gets deployments and replica sets that own the pods', async () => {
    const apps = kubeConfig(api).makeApiClient(AppsV1Api);
    const d = await apps.readNamespacedDeployment({ name: eg.deployment.metadata.name, namespace: 'envoy-gateway-system' });
    const selector = Object.entries(d.spec?.selector.matchLabels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const pods = await core.listNamespacedPod({ namespace: 'envoy-gateway-system', labelSelector: selector });
    assert.equal(pods.items.length, 2);
    const rsName = pods.items[0]?.metadata?.ownerReferences?.[0]?.name as string;
    const rs = await apps.readNamespacedReplicaSet({ name: rsName, namespace: 'envoy-gateway-system' });
    assert.equal(rs.metadata?.ownerReferences?.[0]?.name, d.metadata?.name);
    assert.equal(rsName, `${d.metadata?.name}-${pods.items[0]?.metadata?.labels?.['pod-template-hash']}`);
    const missing = statusOf(await rejects(apps.readNamespacedDeployment({ name: 'nope', namespace: 'home' })));
    assert.equal(missing.message, 'deployments.apps "nope" not found');
  });

  it('answers /version, denies with 403 Status bodies, and answers access reviews from the deny rules', async () => {
    const kc = kubeConfig(api);
    assert.equal((await kc.makeApiClient(VersionApi).getCode()).gitVersion, 'v1.33.1');
    const err = statusOf(await rejects(core.listNamespacedPod({ namespace: 'kube-system' })));
    assert.deepEqual(err, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `pods is forbidden: User "${USER}" cannot list resource "pods" in API group "" in the namespace "kube-system"`,
      reason: 'Forbidden',
      details: { kind: 'pods' },
      code: 403,
    });
    const res = await fetch(`${api.url}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`, {
      method: 'POST',
      headers: { authorization: 'Bearer fake-token-fake', 'content-type': 'application/json' },
      body: JSON.stringify({ spec: { resourceAttributes: { verb: 'list', resource: 'pods', namespace: 'kube-system' } } }),
    });
    assert.equal(res.status, 201);
    assert.equal(((await res.json()) as { status: { allowed: boolean } }).status.allowed, false);
  });

  it('writes a kubeconfig with several contexts, each with its namespace and token', async () => {
    const kc = kubeConfig(api);
    assert.deepEqual(
      kc.getContexts().map((c) => [c.name, c.namespace]),
      [
        ['fake', 'home'],
        ['other', 'envoy-gateway-system'],
        ['expired', undefined],
      ],
    );
    assert.equal(kc.getCurrentContext(), 'fake');
    assert.deepEqual(api.contexts, ['fake', 'other', 'expired']);
    // client-node keeps no body for a 401.
    const expired = await rejects(kubeConfig(api, 'expired').makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'home' }));
    assert.ok(expired instanceof ApiException);
    assert.equal(expired.code, 401);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Port-forward

/** The usual client-node pattern: a local listener whose every connection is piped through its own forward. The
 * glue the tool needs: end the local socket when the WebSocket closes (client-node does not), collect the error
 * channel text (client-node writes it to `err` and does nothing else), destroy the socket if the upgrade fails. */
async function localForward(kc: KubeConfig, ns: string, pod: string, port: number) {
  const pf = new PortForward(kc);
  const errors: string[] = [];
  const rejections: unknown[] = [];
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let text = '';
    const err = new Writable({
      write(chunk: Buffer, _enc, done) {
        text += chunk.toString('utf8');
        done();
      },
    });
    pf.portForward(ns, pod, [port], socket, err, socket).then(
      (ws) => {
        const w = typeof ws === 'function' ? ws() : ws;
        w?.on('close', () => {
          if (text) {
            errors.push(text);
            socket.destroy();
          } else {
            socket.end();
          }
        });
      },
      (e: unknown) => {
        rejections.push(e);
        socket.destroy();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    errors,
    rejections,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const BIG = Buffer.alloc(4 * 1024 * 1024 + 17);
for (let i = 0; i < BIG.length; i++) BIG[i] = (i * 31 + (i >> 11)) & 0xff;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('fake kube API: port-forward', () => {
  let admin: HttpServer;
  let adminPort: number;
  let closedPort: number;
  let api: KubeApi;
  let kc: KubeConfig;
  let agent: Agent;
  const pod = makePod({ name: 'envoy-0', namespace: 'envoy-gateway-system', labels: EG });
  const cluster: FakeCluster = {
    pods: [pod, makePod({ name: 'envoy-1', namespace: 'envoy-gateway-system', labels: EG })],
    forwardTargets: (_ns, name, port) => {
      if (name === 'envoy-1') return 'refuse';
      if (port === 19000) return adminPort;
      if (port === 19002) return closedPort;
      return undefined;
    },
    deny: [{ verb: 'create', resource: 'pods', subresource: 'portforward', namespace: 'locked' }],
  };
  before(async () => {
    admin = createHttpServer((req, res) => {
      if (req.url === '/big') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIG.length });
        res.end(BIG);
      } else if (req.method === 'POST') {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => res.end(sha(Buffer.concat(chunks))));
      } else {
        res.end(`server_info for ${req.url}`);
      }
    });
    await new Promise<void>((resolve) => admin.listen(0, '127.0.0.1', resolve));
    adminPort = (admin.address() as AddressInfo).port;
    const gone = createNetServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    closedPort = (gone.address() as AddressInfo).port;
    await new Promise<void>((resolve) => gone.close(() => resolve()));
    api = await startKubeApi(cluster);
    kc = kubeConfig(api);
    agent = new Agent({ keepAliveTimeout: 10 });
  });
  after(async () => {
    await agent.close();
    await api.close();
    admin.closeAllConnections();
    await new Promise<void>((resolve) => admin.close(() => resolve()));
  });

  it('carries an HTTP request and its response through the forward, a big body, and two at once', async () => {
    const fwd = await localForward(kc, 'envoy-gateway-system', 'envoy-0', 19000);
    const opened = api.forwardsOpened();
    try {
      const small = await request(`http://127.0.0.1:${fwd.port}/server_info`, { dispatcher: agent, reset: true });
      assert.equal(small.statusCode, 200);
      assert.equal(await small.body.text(), 'server_info for /server_info');

      const big = await request(`http://127.0.0.1:${fwd.port}/big`, { dispatcher: agent, reset: true });
      const got = Buffer.from(await big.body.arrayBuffer());
      assert.equal(got.length, BIG.length);
      assert.equal(sha(got), sha(BIG));

      const upload = await request(`http://127.0.0.1:${fwd.port}/upload`, { dispatcher: agent, reset: true, method: 'POST', body: BIG });
      assert.equal(await upload.body.text(), sha(BIG));

      const [a, b] = await Promise.all(
        ['/stats', '/big'].map(async (path) => {
          const r = await request(`http://127.0.0.1:${fwd.port}${path}`, { dispatcher: agent, reset: true });
          return Buffer.from(await r.body.arrayBuffer());
        }),
      );
      assert.equal(a?.toString(), 'server_info for /stats');
      assert.equal(sha(b as Buffer), sha(BIG));
      assert.equal(api.forwardsOpened() - opened, 5, 'one WebSocket per local connection');
      assert.deepEqual(fwd.errors, []);
      const upgrade = api.requests.filter((r) => r.upgrade).at(-1);
      assert.equal(upgrade?.path, '/api/v1/namespaces/envoy-gateway-system/pods/envoy-0/portforward');
      assert.equal(upgrade?.query, 'ports=19000');
      assert.equal(upgrade?.status, 101);
    } finally {
      await fwd.close();
    }
  });

  it('reports a refused connection inside the pod on the error channel, and closes, so the client fails fast', async () => {
    for (const port of [19001, 19002]) {
      const fwd = await localForward(kc, 'envoy-gateway-system', 'envoy-0', port);
      try {
        const err = await rejects(request(`http://127.0.0.1:${fwd.port}/server_info`, { dispatcher: agent, reset: true }));
        assert.match(String((err as Error).message), /other side closed|socket hang up|ECONNRESET/);
        assert.equal(fwd.errors.length, 1);
        assert.match(
          fwd.errors[0] as string,
          new RegExp(`^error forwarding port ${port} to pod [0-9a-f]{64}, uid : .*dial tcp4 127\\.0\\.0\\.1:${port}: connect: connection refused`),
        );
      } finally {
        await fwd.close();
      }
    }
  });

  it('fails the upgrade for a refused kubelet and for RBAC, and portForward rejects with an ErrorEvent', async () => {
    const pf = new PortForward(kc);
    const sink = () => new Writable({ write: (_c, _e, done) => done() });
    const refused = (await rejects(pf.portForward('envoy-gateway-system', 'envoy-1', [19000], sink(), null, new PassThrough()))) as {
      message?: string;
      error?: Error;
    };
    assert.equal(refused.message, 'Unexpected server response: 500');
    assert.ok(!(refused instanceof Error), 'client-node rejects with the ws ErrorEvent, not an Error');
    const missing = (await rejects(pf.portForward('envoy-gateway-system', 'nope', [19000], sink(), null, new PassThrough()))) as { message?: string };
    assert.equal(missing.message, 'Unexpected server response: 404');

    cluster.pods.push(makePod({ name: 'x', namespace: 'locked' }));
    const denied = (await rejects(pf.portForward('locked', 'x', [19000], sink(), null, new PassThrough()))) as { message?: string };
    assert.equal(denied.message, 'Unexpected server response: 403');
    // The body client-node never shows: read it with a bare WebSocket.
    const body = await new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(`${api.url.replace('http', 'ws')}/api/v1/namespaces/locked/pods/x/portforward?ports=19000`, ['v4.channel.k8s.io'], {
        headers: { authorization: 'Bearer fake-token-fake' },
      });
      ws.on('unexpected-response', (_req, res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      });
      ws.on('open', () => reject(new Error('upgraded')));
      ws.on('error', () => undefined);
    });
    assert.deepEqual(
      JSON.parse(body),
      forbidden({ user: USER, verb: 'create', group: '', resource: 'pods', subresource: 'portforward', namespace: 'locked', name: 'x' }),
    );
    assert.equal(
      (JSON.parse(body) as { message: string }).message,
      `pods "x" is forbidden: User "${USER}" cannot create resource "pods/portforward" in API group "" in the namespace "locked"`,
    );
  });

  it('speaks the channel protocol: port header frames, data on channel 0, close when the pod side ends', async () => {
    const ws = new WebSocket(
      `${api.url.replace('http', 'ws')}/api/v1/namespaces/envoy-gateway-system/pods/envoy-0/portforward?ports=19000`,
      ['v5.channel.k8s.io', 'v4.channel.k8s.io'],
      {
        headers: { authorization: 'Bearer fake-token-fake' },
      },
    );
    const frames: Buffer[] = [];
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.on('message', (data: Buffer) => frames.push(data));
    await new Promise((resolve) => ws.on('open', resolve));
    assert.equal(ws.protocol, 'v4.channel.k8s.io', 'kubelet has no v5 for port-forward');
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')]));
    assert.equal(await closed, 1000);
    assert.deepEqual(frames[0], Buffer.from([0, 0x38, 0x4a]));
    assert.deepEqual(frames[1], Buffer.from([1, 0x38, 0x4a]));
    const response = Buffer.concat(frames.slice(2).map((f) => f.subarray(1))).toString();
    assert.ok(frames.slice(2).every((f) => f[0] === 0));
    assert.match(response, /^HTTP\/1\.1 200 OK\r\n[\s\S]*server_info for \/x$/);
  });

  it('close() ends open forwards promptly', async () => {
    const own = await startKubeApi(cluster);
    const fwd = await localForward(kubeConfig(own), 'envoy-gateway-system', 'envoy-0', 19000);
    const keep = new Agent();
    try {
      const r = await request(`http://127.0.0.1:${fwd.port}/server_info`, { dispatcher: keep });
      await r.body.text();
      assert.equal(own.openForwards(), 1, 'the keep-alive connection holds its forward open');
      const t0 = Date.now();
      await own.close();
      assert.equal(own.openForwards(), 0);
      assert.ok(Date.now() - t0 < 500);
    } finally {
      await keep.close();
      await fwd.close();
    }
  });
});
