// deploy/'s ClusterRole and Role grant exactly what the CronJob's command asks of the API server: every request is
// allowed, and every permission is used. The requests are recorded by a fake API server on 127.0.0.1 that the real
// CLI (through @kubernetes/client-node) runs against, as in the docs/rbac.md test, so the roles cannot drift from the
// code: a new read in the code, or a permission no call needs, fails here.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { type AdminServer, startAdminServer } from '../helpers/admin-server.ts';
import { ROOT, run } from '../helpers/cli.ts';
import { type KubeApi, type RecordedRequest, startKubeApi } from '../helpers/kube-api.ts';
import { EG_LABELS, envoyGatewayCustomObjects, type FakeCluster, type KubeObject, makeDeployment, makePod } from '../helpers/kube-cluster.ts';
import { cronJobPod, objectOf, type RbacRule } from './render.ts';

const INCIDENT = 'samples/home-assistant-websocket-drops';
const PROXIES = 'envoy-gateway-system';

/** One API request as RBAC authorises it. */
interface Call {
  group: string;
  resource: string;
  verb: string;
  namespace: string;
  name: string;
}

const show = (c: Call) =>
  `${c.verb} ${c.group ? `${c.resource}.${c.group}` : c.resource}${c.name ? ` (${c.name})` : ''} ${c.namespace ? `in ${c.namespace}` : 'cluster-wide'}`;

/** The RBAC attributes of a recorded request (a port-forward upgrade is checked as get and, since 1.35, create). */
function callsOf(r: RecordedRequest): Call[] {
  const segments = r.path.split('/').filter(Boolean);
  let group: string;
  let rest: string[];
  if (segments[0] === 'api' && segments.length >= 3) {
    group = '';
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    group = segments[1] as string;
    rest = segments.slice(3);
  } else {
    throw new Error(`${r.method} ${r.path}: a non-resource request, which needs nonResourceURLs in a ClusterRole`);
  }
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1] as string;
    rest = rest.slice(2);
  }
  const [resource, name = '', sub] = rest as [string, string?, string?];
  const full = sub ? `${resource}/${sub}` : resource;
  if (sub === 'portforward') return ['get', 'create'].map((verb) => ({ group, resource: full, verb, namespace, name }));
  const verb = {
    GET: name ? 'get' : r.params.get('watch') === 'true' ? 'watch' : 'list',
    HEAD: 'get',
    POST: 'create',
    PUT: 'update',
    PATCH: 'patch',
    DELETE: name ? 'delete' : 'deletecollection',
  }[r.method];
  if (!verb) throw new Error(`${r.method} ${r.path}: unknown method`);
  return [{ group, resource: full, verb, namespace, name: verb === 'create' ? '' : name }];
}

/** A rule with the namespace it applies in ('' for a ClusterRole bound cluster-wide). */
interface Grant {
  where: string;
  rule: RbacRule;
  role: string;
}

function grantsOf(kinds: Array<'ClusterRole' | 'Role'>): Grant[] {
  const out: Grant[] = [];
  if (kinds.includes('ClusterRole')) {
    const role = objectOf('ClusterRole', 'envoy-doctor') as unknown as { rules: RbacRule[] };
    for (const rule of role.rules) out.push({ where: '', rule, role: 'ClusterRole envoy-doctor' });
  }
  if (kinds.includes('Role')) {
    const role = objectOf('Role', 'envoy-doctor-state') as unknown as { metadata: { namespace: string }; rules: RbacRule[] };
    for (const rule of role.rules) out.push({ where: role.metadata.namespace, rule, role: 'Role envoy-doctor-state' });
  }
  return out;
}

const allows = (g: Grant, c: Call) =>
  (g.where === '' || g.where === c.namespace) &&
  g.rule.apiGroups.includes(c.group) &&
  g.rule.resources.includes(c.resource) &&
  g.rule.verbs.includes(c.verb) &&
  (!g.rule.resourceNames || g.rule.resourceNames.includes(c.name));

/** Every call is allowed by some rule, and every permission a rule spells out is used by some call. */
function assertExactly(grants: Grant[], calls: Call[]): void {
  for (const c of calls)
    assert.ok(
      grants.some((g) => allows(g, c)),
      `deploy/ grants ${show(c)}`,
    );
  for (const g of grants) {
    for (const group of g.rule.apiGroups)
      for (const resource of g.rule.resources)
        for (const verb of g.rule.verbs)
          for (const name of g.rule.resourceNames ?? ['']) {
            const used = calls.some((c) => allows(g, c) && c.group === group && c.resource === resource && c.verb === verb && (name === '' || c.name === name));
            assert.ok(used, `${g.role} grants ${verb} ${group ? `${resource}.${group}` : resource}${name ? ` (${name})` : ''}, which no call uses`);
          }
  }
}

interface Setup {
  api: KubeApi;
  admins: AdminServer[];
}

const running: Setup[] = [];
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const s of running.splice(0)) {
    await s.api.close();
    for (const a of s.admins) await a.close();
  }
  for (const c of cleanups.splice(0)) await c();
});

/** Envoy Gateway proxies with their logs and objects, an Istio sidecar, and the namespace the CronJob keeps its state in. */
async function cluster(): Promise<Setup> {
  const objects = JSON.parse(readFileSync(join(ROOT, INCIDENT, 'kubernetes.json'), 'utf8')) as Record<string, KubeObject[]>;
  const accessLog = readFileSync(join(ROOT, INCIDENT, 'access.log'), 'utf8');
  const { deployment, replicaSet, pods } = makeDeployment({ name: 'envoy-home-eg-5f7d9c', namespace: PROXIES, matchLabels: EG_LABELS, replicas: 2 });
  const admins = await Promise.all(pods.map(() => startAdminServer({ dir: INCIDENT })));
  const portOf = new Map(pods.map((p, i) => [p.metadata.name, admins[i]?.port as number]));
  // A healthy Istio sidecar: its VirtualServices are read too.
  const sidecar = makePod({ name: 'web-0', namespace: 'shop', containers: [{ name: 'web' }, { name: 'istio-proxy', ports: [15090] }] });
  const sidecarAdmin = await startAdminServer({ dir: 'samples/healthy' });
  admins.push(sidecarAdmin);
  const customObjects = envoyGatewayCustomObjects(objects);
  customObjects.set('networking.istio.io/v1/virtualservices', []);
  const fake: FakeCluster = {
    pods: [...pods, sidecar],
    deployments: [deployment],
    replicaSets: [replicaSet],
    logs: new Map(pods.map((p) => [`${PROXIES}/${p.metadata.name}/envoy`, accessLog])),
    customObjects,
    coreObjects: new Map([['configmaps', []]]),
    forwardTargets: (ns, pod, port) => (port === 19000 ? portOf.get(pod) : ns === 'shop' && port === 15000 ? sidecarAdmin.port : undefined),
    now: () => new Date('2026-11-20T21:15:00Z'),
  };
  const setup = { api: await startKubeApi(fake), admins };
  running.push(setup);
  return setup;
}

/** A stand-in for Slack's incoming webhook on 127.0.0.1 that records every post. */
async function slackSink(): Promise<{ url: string; posts: string[] }> {
  const posts: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      if (req.method === 'POST') posts.push(body);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/services/T0000/B0000/test`, posts };
}

describe('deploy/ RBAC', () => {
  const args = cronJobPod().container.args as string[];

  it('the ClusterRole grants exactly what diagnose -A reads: pods, their logs, port-forwards, Envoy Gateway objects, Istio VirtualServices', async () => {
    assert.ok(args.includes('-A'), 'the CronJob diagnoses every namespace');
    const setup = await cluster();
    const r = await run(['diagnose', '-A', '--kubeconfig', setup.api.kubeconfigPath, '--interval', '200ms', '-o', 'json']);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 79, 'the incident is diagnosed');
    const calls = setup.api.requests.flatMap(callsOf);
    assert.ok(
      calls.some((c) => c.resource === 'pods' && c.verb === 'list' && c.namespace === ''),
      'pods listed cluster-wide',
    );
    assertExactly(grantsOf(['ClusterRole']), calls);
  });

  it("the CronJob's own command needs exactly the ClusterRole and the state Role; it posts once, then reminds, and exits 0", async () => {
    const setup = await cluster();
    const slack = await slackSink();
    const dir = await mkdtemp(join(tmpdir(), 'envoy-doctor-deploy-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const urlFile = join(dir, 'url');
    await writeFile(urlFile, `${slack.url}\n`);
    const i = args.indexOf('--post-url-file');
    assert.ok(i > 0, 'the CronJob reads the webhook URL from a file');
    const line = [...args.slice(0, i + 1), urlFile, ...args.slice(i + 2), '--kubeconfig', setup.api.kubeconfigPath, '--interval', '200ms'];

    const at = (iso: string) => ({ env: { ENVOY_DOCTOR_NOW: iso } });
    const first = await run(line, at('2026-11-20T21:15:00Z'));
    assert.equal(first.code, 0, `first run: ${first.stderr}`);
    assert.ok(slack.posts.length >= 1, 'the first run posts the root causes to Slack');
    const posted = slack.posts.length;
    const second = await run(line, at('2026-11-20T21:30:00Z'));
    assert.equal(second.code, 0, `second run: ${second.stderr}`);
    assert.equal(slack.posts.length, posted, 'a quarter of an hour later the same root causes post nothing');
    const dayLater = await run(line, at('2026-11-21T21:45:00Z'));
    assert.equal(dayLater.code, 0, `a day later: ${dayLater.stderr}`);
    assert.ok(slack.posts.length > posted, 'a day later the root causes still there are posted as reminders');

    const calls = setup.api.requests.flatMap(callsOf);
    const state = calls.filter((c) => c.resource === 'configmaps');
    assert.ok(
      state.some((c) => c.verb === 'create') && state.some((c) => c.verb === 'update'),
      `the state is created, then updated for the reminders: ${state.map(show).join('; ')}`,
    );
    assertExactly(grantsOf(['ClusterRole', 'Role']), calls);
  });
});
