// The state in a ConfigMap, through the real @kubernetes/client-node against the API server stand-in on 127.0.0.1:
// created on the first run, replaced with its resourceVersion, a 409 re-read and retried without losing the other
// writer's changes or posting twice; RBAC refusals; and docs/rbac.md granting every ConfigMap call the tool makes.
// A live run through port-forwards shows the fingerprint surviving a rollout.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { type AdminServer, startAdminServer } from '../helpers/admin-server.ts';
import { ROOT, run } from '../helpers/cli.ts';
import { type KubeApi, startKubeApi } from '../helpers/kube-api.ts';
import { type FakeCluster, type KubeObject, makeDeployment } from '../helpers/kube-cluster.ts';
import type { DenyRule } from '../helpers/kube-refusals.ts';
import { type SinkServer, startSinkServer } from '../helpers/sink-server.ts';

const INCIDENT = 'samples/home-assistant-websocket-drops';
const HEALTHY = 'samples/healthy';
const STATE_NS = 'envoy-doctor';
const STATE_NAME = 'envoy-doctor-state';
const STATE = `configmap:${STATE_NS}/${STATE_NAME}`;
const CM_PATH = `/api/v1/namespaces/${STATE_NS}/configmaps`;

interface Setup {
  api: KubeApi;
  cluster: FakeCluster;
  webhook: SinkServer;
  admins: AdminServer[];
}
const running: Setup[] = [];
/** Every Kubernetes request of the ConfigMap store made in this file, for the RBAC check. */
const stateRequests: Array<{ method: string; path: string }> = [];

afterEach(async () => {
  for (const s of running.splice(0)) {
    stateRequests.push(...s.api.requests.filter((r) => r.path.startsWith(CM_PATH)).map((r) => ({ method: r.method, path: r.path })));
    await s.api.close();
    await s.webhook.close();
    for (const a of s.admins) await a.close();
  }
});

async function setup(cluster: Partial<FakeCluster> = {}): Promise<Setup> {
  const full: FakeCluster = { pods: [], coreObjects: new Map([['configmaps', []]]), ...cluster };
  const s = { api: await startKubeApi(full), cluster: full, webhook: await startSinkServer('/hooks/a1b2c3'), admins: [] };
  running.push(s);
  return s;
}

function analyze(s: Setup, sample: string, at = '2026-03-01T06:00:00Z') {
  return run(['analyze', sample, '--fail-on', 'none', '--post', 'webhook', '--state', STATE, '--kubeconfig', s.api.kubeconfigPath], {
    env: { ENVOY_DOCTOR_WEBHOOK_URL: s.webhook.url, ENVOY_DOCTOR_NOW: at },
  });
}

const configMaps = (s: Setup) => s.cluster.coreObjects?.get('configmaps') ?? [];
const stored = (s: Setup) =>
  configMaps(s).find((c) => c.metadata.name === STATE_NAME && c.metadata.namespace === STATE_NS) as
    | (KubeObject & { data?: Record<string, string> })
    | undefined;
const stateOf = (s: Setup) =>
  JSON.parse(stored(s)?.data?.['state.json'] ?? '{}') as { version: number; sinks: Record<string, Record<string, { rootCause: string }>> };
const calls = (s: Setup) => s.api.requests.filter((r) => r.path.startsWith(CM_PATH)).map((r) => `${r.method} ${r.status}`);
const events = (s: Setup) =>
  s.webhook.delivered().map((r) => `${(r.body as { event: string }).event} ${(r.body as { notification: { rootCause: string } }).notification.rootCause}`);

describe('--state configmap:NAMESPACE/NAME', () => {
  it('the first run creates the ConfigMap; the next reads it, posts nothing and writes nothing', async () => {
    const s = await setup();
    const first = await analyze(s, INCIDENT);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(calls(s), ['GET 404', 'GET 404', 'POST 201']);
    assert.equal(stored(s)?.metadata.labels?.['app.kubernetes.io/managed-by'], 'envoy-doctor');
    assert.deepEqual(
      Object.values(stateOf(s).sinks.webhook ?? {})
        .map((e) => e.rootCause)
        .sort(),
      ['flow-control-stall', 'missing-tcp-keepalive', 'policy-overridden'],
    );
    const second = await analyze(s, INCIDENT, '2026-03-01T07:00:00Z');
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(calls(s), ['GET 404', 'GET 404', 'POST 201', 'GET 200']);
    assert.equal(s.webhook.received.length, 3);
  });

  it("an update that meets a newer version (409) re-reads, re-applies this run's changes and keeps the other writer's", async () => {
    const s = await setup();
    await analyze(s, INCIDENT);
    let raced = false;
    s.cluster.beforeWrite = (w) => {
      if (raced || w.verb !== 'update') return;
      raced = true;
      // Another writer saves between this run's read and its write: a Slack entry and a key of its own.
      const cm = stored(s) as KubeObject & { data: Record<string, string> };
      const state = JSON.parse(cm.data['state.json'] as string) as { sinks: Record<string, unknown> };
      state.sinks.slack = {
        '0123456789abcdef': {
          rootCause: 'stream-idle-timeout',
          severity: 'warning',
          scope: 'gateway home/eg',
          entities: [],
          openedAt: '2026-03-01T06:30:00.000Z',
          notifiedAt: '2026-03-01T06:30:00.000Z',
        },
      };
      cm.data = { ...cm.data, 'state.json': JSON.stringify(state), note: 'kept' };
      cm.metadata.resourceVersion = `${cm.metadata.resourceVersion}9`;
    };
    const healthy = await analyze(s, HEALTHY, '2026-03-01T07:00:00Z');
    assert.equal(healthy.code, 0, healthy.stderr);
    assert.deepEqual(calls(s).slice(3), ['GET 200', 'GET 200', 'PUT 409', 'GET 200', 'PUT 200']);
    assert.deepEqual(
      events(s).slice(3),
      ['resolved flow-control-stall', 'resolved missing-tcp-keepalive', 'resolved policy-overridden'],
      'posted once, not once per attempt',
    );
    assert.equal(stored(s)?.data?.note, 'kept');
    assert.deepEqual(stateOf(s).sinks.webhook, undefined, 'the resolutions were applied');
    assert.deepEqual(Object.keys(stateOf(s).sinks.slack ?? {}), ['0123456789abcdef'], "the other writer's entry survived");
  });

  it('a ConfigMap created by another run meanwhile (409 AlreadyExists) is read and updated', async () => {
    const s = await setup();
    s.cluster.beforeWrite = (w) => {
      if (w.verb !== 'create' || stored(s)) return;
      configMaps(s).push({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: STATE_NAME, namespace: STATE_NS, resourceVersion: '5000' },
        data: { 'state.json': '{"version":1,"sinks":{}}' },
      });
    };
    const r = await analyze(s, INCIDENT);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(calls(s), ['GET 404', 'GET 404', 'POST 409', 'GET 200', 'PUT 200']);
    assert.equal(Object.keys(stateOf(s).sinks.webhook ?? {}).length, 3);
  });

  it('a ConfigMap that changes on every attempt gives up after 5 with exit 69; the events come again next run', async () => {
    const s = await setup();
    await analyze(s, INCIDENT);
    s.cluster.beforeWrite = () => {
      const cm = stored(s) as KubeObject;
      cm.metadata.resourceVersion = `${cm.metadata.resourceVersion}1`;
    };
    const r = await analyze(s, HEALTHY, '2026-03-01T07:00:00Z');
    assert.equal(r.code, 69);
    assert.equal(
      r.stderr,
      'envoy-doctor: posted to the webhook at <host redacted>: 3 resolved\n' +
        `envoy-doctor: posted, but the state was not saved: configmap ${STATE_NS}/${STATE_NAME}: still changed by another writer after 5 attempts; the next run posts these events again\n`,
    );
    assert.equal(calls(s).filter((c) => c === 'PUT 409').length, 5);
  });

  const refusals: Array<{ name: string; deny: DenyRule; code: number; stderr: string; posted: number }> = [
    {
      name: 'get refused: nothing is posted',
      deny: { verb: 'get', resource: 'configmaps' },
      code: 69,
      stderr: `envoy-doctor: forbidden: get configmaps/${STATE_NAME} in ${STATE_NS} (RBAC: see docs/rbac.md)\n`,
      posted: 0,
    },
    {
      name: 'create refused: posted, and said that the next run posts again',
      deny: { verb: 'create', resource: 'configmaps' },
      code: 69,
      stderr:
        'envoy-doctor: posted to the webhook at <host redacted>: 3 opened\n' +
        `envoy-doctor: posted, but the state was not saved: configmap ${STATE_NS}/${STATE_NAME}: forbidden: create configmaps in ${STATE_NS} (RBAC: see docs/rbac.md); the next run posts these events again\n`,
      posted: 3,
    },
  ];
  for (const c of refusals) {
    it(`RBAC: ${c.name}`, async () => {
      const s = await setup({ deny: [c.deny] });
      const r = await analyze(s, INCIDENT);
      assert.equal(r.stderr, c.stderr);
      assert.equal(r.code, c.code);
      assert.equal(s.webhook.delivered().length, c.posted);
    });
  }

  it('a ConfigMap whose state.json is not envoy-doctor state: exit 65, nothing posted', async () => {
    const s = await setup({
      coreObjects: new Map([
        [
          'configmaps',
          [
            {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name: STATE_NAME, namespace: STATE_NS, resourceVersion: '7' },
              data: { 'state.json': 'posted: yes' },
            },
          ],
        ],
      ]),
    });
    const r = await analyze(s, INCIDENT);
    assert.equal(r.code, 65);
    assert.equal(
      r.stderr,
      `envoy-doctor: configmap ${STATE_NS}/${STATE_NAME} key state.json: not JSON; expected the envoy-doctor notification state ({"version": 1, "sinks": {...}})\n`,
    );
    assert.equal(s.webhook.received.length, 0);
  });
});

describe('diagnose --post with the state in a ConfigMap', () => {
  it('the pods of a gateway share one fingerprint per root cause, which a rollout (new pod names) keeps', async () => {
    const NS = 'envoy-gateway-system';
    const labels = {
      'app.kubernetes.io/name': 'envoy',
      'app.kubernetes.io/component': 'proxy',
      'app.kubernetes.io/managed-by': 'envoy-gateway',
      'gateway.envoyproxy.io/owning-gateway-name': 'eg',
      'gateway.envoyproxy.io/owning-gateway-namespace': 'home',
    };
    const { deployment, replicaSet, pods } = makeDeployment({ name: 'envoy-home-eg-5f7d9c', namespace: NS, matchLabels: labels, replicas: 2 });
    const admins = await Promise.all(pods.map(() => startAdminServer({ dir: INCIDENT })));
    const portOf = new Map<string, number>(pods.map((p, i) => [p.metadata.name, admins[i]?.port as number]));
    const s = await setup({
      pods,
      deployments: [deployment],
      replicaSets: [replicaSet],
      forwardTargets: (_ns, pod, port) => (port === 19000 ? portOf.get(pod) : undefined),
    });
    s.admins.push(...admins);
    const diagnose = (at: string) =>
      run(
        [
          'diagnose',
          '--kubeconfig',
          s.api.kubeconfigPath,
          '--interval',
          '200ms',
          '--no-logs',
          '--no-objects',
          '--fail-on',
          'none',
          '--post',
          'webhook',
          '--state',
          STATE,
        ],
        {
          env: { ENVOY_DOCTOR_WEBHOOK_URL: s.webhook.url, ENVOY_DOCTOR_NOW: at },
        },
      );
    const first = await diagnose('2026-03-01T06:00:00Z');
    assert.equal(first.code, 0, first.stderr);
    const opened = s.webhook.delivered().map((r) => r.body as { event: string; notification: { scope: string; seenOn: string[] } });
    assert.ok(opened.length > 0);
    for (const b of opened) {
      assert.equal(b.event, 'opened');
      assert.equal(b.notification.scope, 'gateway home/eg');
      assert.deepEqual(b.notification.seenOn, pods.map((p) => p.metadata.name).sort(), 'one event for both pods');
    }
    // Rollout: new pods replace the old ones.
    for (const [i, p] of pods.entries()) {
      const port = portOf.get(p.metadata.name) as number;
      p.metadata.name = `${p.metadata.name.slice(0, -5)}r0ll${i}`;
      portOf.set(p.metadata.name, port);
    }
    const after = await diagnose('2026-03-01T07:00:00Z');
    assert.equal(after.code, 0, after.stderr);
    assert.equal(s.webhook.received.length, opened.length, 'nothing new to say');
  });
});

describe('docs/rbac.md', () => {
  it('grants every ConfigMap call of --state configmap: in the state namespace, and nothing else on ConfigMaps', () => {
    assert.ok(stateRequests.length > 0, 'the tests above ran');
    const verbOf = (method: string, path: string) => (method === 'POST' ? 'create' : method === 'PUT' ? 'update' : path === CM_PATH ? 'list' : 'get');
    const needed = new Set(stateRequests.map((r) => `${verbOf(r.method, r.path)} ${r.path.slice(CM_PATH.length + 1) || '*'}`));
    const doc = readFileSync(join(ROOT, 'docs/rbac.md'), 'utf8');
    const roles = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].flatMap((m) =>
      parseAllDocuments(m[1] as string).map(
        (d) =>
          d.toJSON() as {
            kind?: string;
            metadata?: { namespace?: string };
            rules?: Array<{ apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }>;
          },
      ),
    );
    const role = roles.find((r) => r?.kind === 'Role' && r.rules?.some((x) => x.resources.includes('configmaps')));
    assert.equal(role?.metadata?.namespace, STATE_NS, 'a Role in the state namespace');
    const granted = (verb: string, name: string) =>
      (role?.rules ?? []).some(
        (x) =>
          x.apiGroups.includes('') &&
          x.resources.includes('configmaps') &&
          x.verbs.includes(verb) &&
          (x.resourceNames === undefined || x.resourceNames.includes(name)),
      );
    for (const n of needed) {
      const [verb, name] = n.split(' ') as [string, string];
      assert.ok(granted(verb, name === '*' ? '' : name), `docs/rbac.md grants ${verb} configmaps ${name}`);
    }
    for (const r of roles.filter((x) => x?.kind === 'ClusterRole'))
      for (const rule of r.rules ?? []) assert.ok(!rule.resources.includes('configmaps'), 'no cluster-wide ConfigMap access');
  });
});
