// deploy/ as `kubectl apply -k deploy/` applies it: the objects, their namespace, the CronJob's schedule policy,
// resources and security context, and the Slack Secret it mounts, as docs/cronjob.md tells the user to create it.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../helpers/cli.ts';
import { cronJobPod, objectOf, type RbacRule, renderDeploy } from './render.ts';

const NS = 'envoy-doctor';
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);
const docs = readFileSync(join(ROOT, 'docs/cronjob.md'), 'utf8');

/** A memory quantity in MiB (`384Mi`, `1Gi`). */
function mebibytes(quantity: string | undefined): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(quantity ?? '');
  assert.ok(m, `a memory quantity in Mi or Gi: ${quantity}`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
}

/** The rows of docs/performance.md's fleet tables: case, pods, and the peak RSS, RSS before and peak heap in MiB. */
function fleetRows(): Array<{ label: string; pods: number; peakRss: number; rssBefore: number; peakHeap: number }> {
  const text = readFileSync(join(ROOT, 'docs/performance.md'), 'utf8');
  const fleet = text.slice(text.indexOf('## Large fleets'));
  const rows = [];
  for (const line of fleet.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    // | case | pods | median ms | min-max ms | × slowest pod | peak RSS MiB | RSS before MiB | peak heap MiB | ...
    if (cells.length < 10 || !/^\d+$/.test(cells[2] ?? '')) continue;
    rows.push({ label: cells[1] as string, pods: Number(cells[2]), peakRss: Number(cells[6]), rssBefore: Number(cells[7]), peakHeap: Number(cells[8]) });
  }
  return rows;
}

/** The value following `flag` in the container's args. */
function argValue(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

describe('deploy/ renders', () => {
  it('exactly the objects the CronJob needs, and no Secret (the user creates it)', () => {
    const got = renderDeploy()
      .map((o) => `${o.kind}/${o.metadata.name}`)
      .sort();
    assert.deepEqual(got, [
      'ClusterRole/envoy-doctor',
      'ClusterRoleBinding/envoy-doctor',
      'CronJob/envoy-doctor',
      'Namespace/envoy-doctor',
      'Role/envoy-doctor-state',
      'RoleBinding/envoy-doctor-state',
      'ServiceAccount/envoy-doctor',
    ]);
  });

  it('every namespaced object in envoy-doctor, cluster-scoped ones without a namespace', () => {
    for (const o of renderDeploy()) {
      if (CLUSTER_SCOPED.has(o.kind)) assert.equal(o.metadata.namespace, undefined, `${o.kind}/${o.metadata.name}`);
      else assert.equal(o.metadata.namespace, NS, `${o.kind}/${o.metadata.name}`);
    }
  });

  it("the bindings give the roles to the CronJob's ServiceAccount", () => {
    const { pod } = cronJobPod();
    const sa = objectOf('ServiceAccount', pod.serviceAccountName);
    for (const [binding, role] of [
      ['ClusterRoleBinding', 'ClusterRole'],
      ['RoleBinding', 'Role'],
    ] as const) {
      for (const b of renderDeploy().filter((o) => o.kind === binding)) {
        const ref = (b as unknown as { roleRef: { kind: string; name: string } }).roleRef;
        assert.equal(ref.kind, role);
        objectOf(role, ref.name);
        assert.deepEqual((b as unknown as { subjects: unknown[] }).subjects, [
          { kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace },
        ]);
      }
    }
  });

  it('the roles only read, but for the state ConfigMap, which the Role names', () => {
    const cluster = (objectOf('ClusterRole', 'envoy-doctor') as unknown as { rules: RbacRule[] }).rules;
    for (const r of cluster) for (const v of r.verbs) assert.match(v, /^(get|list)$|^create$/, `ClusterRole verb ${v}`);
    for (const r of cluster.filter((x) => x.verbs.includes('create')))
      assert.deepEqual(r.resources, ['pods/portforward'], 'the only create is the port-forward');
    assert.ok(!cluster.some((r) => r.resources.includes('secrets') || r.resources.includes('configmaps')), 'no Secrets or ConfigMaps cluster-wide');
    const state = (objectOf('Role', 'envoy-doctor-state') as unknown as { rules: RbacRule[] }).rules;
    for (const r of state) {
      assert.deepEqual(r.resources, ['configmaps']);
      if (r.verbs.some((v) => v !== 'create')) assert.deepEqual(r.resourceNames, ['envoy-doctor-state'], 'get and update only the state ConfigMap');
    }
  });

  it('the Namespace enforces the restricted Pod Security Standard', () => {
    assert.equal(objectOf('Namespace', NS).metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
  });
});

describe('the CronJob', () => {
  it('never runs twice at once, skips runs it could not start in time, and keeps a short history', () => {
    const spec = (cronJobPod().cronJob as unknown as { spec: Record<string, unknown> }).spec;
    assert.equal(spec.concurrencyPolicy, 'Forbid');
    assert.ok(Number(spec.startingDeadlineSeconds) > 0, 'startingDeadlineSeconds');
    assert.ok(Number(spec.successfulJobsHistoryLimit) >= 1, 'successfulJobsHistoryLimit');
    assert.ok(Number(spec.failedJobsHistoryLimit) >= 1, 'failedJobsHistoryLimit');
    assert.match(String(spec.schedule), /^\S+ \S+ \S+ \S+ \S+$/, 'a five-field cron schedule');
    assert.ok(docs.includes(`"${String(spec.schedule)}"`) || docs.includes(`\`${String(spec.schedule)}\``), 'docs/cronjob.md names the schedule');
    const job = (spec.jobTemplate as { spec: { activeDeadlineSeconds?: number } }).spec;
    assert.ok(Number(job.activeDeadlineSeconds) > 0, 'a hung run is ended');
  });

  it('runs the image the kustomization sets, a placeholder docs/cronjob.md tells the user to replace', () => {
    const { container } = cronJobPod();
    assert.equal(container.image, 'registry.example.com/envoy-doctor:0.1.0');
    assert.ok(docs.includes('registry.example.com/envoy-doctor'), 'docs/cronjob.md names the placeholder');
    assert.ok(docs.includes('kustomize edit set image envoy-doctor='), 'docs/cronjob.md shows how to set the image');
  });

  it('asks for and is limited in CPU and memory', () => {
    const { resources } = cronJobPod().container as { resources: Record<'requests' | 'limits', Record<string, string>> };
    for (const kind of ['requests', 'limits'] as const) for (const r of ['cpu', 'memory']) assert.ok(resources[kind]?.[r], `${kind}.${r}`);
  });

  it('is sized from the fleet benchmark: the request covers 200 proxies, the limit a quarter above 800 run with its heap cap', () => {
    const { container } = cronJobPod();
    const { resources } = container as { resources: Record<'requests' | 'limits', Record<string, string>> };
    const request = mebibytes(resources.requests?.memory);
    const limit = mebibytes(resources.limits?.memory);
    const options = (container.env as Array<{ name: string; value?: string }> | undefined)?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
    const cap = Number(/--max-old-space-size=(\d+)/.exec(options)?.[1]);
    assert.ok(cap > 0, `NODE_OPTIONS caps the heap with --max-old-space-size (${options || 'not set'})`);
    const fleet = fleetRows();
    const largest = fleet.find((r) => r.label.includes('as deploy/ runs it') && r.label.includes(options));
    assert.ok(largest, `docs/performance.md measures the largest fleet with the CronJob's NODE_OPTIONS (${options})`);
    const of200 = fleet.find((r) => r.label === 'fleet of 200');
    assert.ok(of200, 'docs/performance.md measures a fleet of 200');
    assert.ok(request >= of200.peakRss, `request ${request} MiB covers 200 proxies (${of200.peakRss} MiB)`);
    assert.ok(limit >= 1.25 * largest.peakRss, `limit ${limit} MiB is a quarter above ${largest.pods} proxies with the cap (${largest.peakRss} MiB)`);
    assert.ok(cap >= 2 * largest.peakHeap, `heap cap ${cap} MiB is twice ${largest.pods} proxies' peak heap (${largest.peakHeap} MiB)`);
    assert.ok(
      limit - cap >= largest.rssBefore + 64,
      `the limit leaves room beside the heap for Node.js and its modules (${largest.rssBefore} MiB) and the young generation`,
    );
    for (const figure of [resources.requests?.memory, resources.limits?.memory, options])
      assert.ok(docs.includes(String(figure).replace(/Mi$/, ' MiB')) || docs.includes(String(figure)), `docs/cronjob.md says ${figure}`);
  });

  it('runs as a non-root user with no privileges, from a read-only root filesystem', () => {
    const { pod, container } = cronJobPod();
    const psc = pod.securityContext as Record<string, any>;
    assert.equal(psc.runAsNonRoot, true);
    assert.ok(Number.isInteger(psc.runAsUser) && psc.runAsUser > 0, 'a numeric non-root runAsUser');
    assert.equal(psc.seccompProfile?.type, 'RuntimeDefault');
    const sc = container.securityContext as Record<string, any>;
    assert.equal(sc.runAsNonRoot, true);
    assert.equal(sc.readOnlyRootFilesystem, true);
    assert.equal(sc.allowPrivilegeEscalation, false);
    assert.deepEqual(sc.capabilities, { drop: ['ALL'] });
    assert.equal(sc.seccompProfile?.type, 'RuntimeDefault');
    assert.equal(sc.privileged ?? false, false);
    assert.equal(pod.hostNetwork ?? false, false);
    assert.equal(pod.hostPID ?? false, false);
  });

  it('can write only to /tmp, an emptyDir, and reaches the API server with its ServiceAccount token', () => {
    const { pod, container } = cronJobPod();
    const mounts = container.volumeMounts as Array<{ name: string; mountPath: string; readOnly?: boolean }>;
    const volumes = pod.volumes as Array<Record<string, any>>;
    const tmp = mounts.find((m) => m.mountPath === '/tmp');
    assert.ok(tmp, '/tmp is mounted');
    assert.ok(volumes.find((v) => v.name === tmp.name)?.emptyDir, '/tmp is an emptyDir');
    for (const m of mounts.filter((x) => x.mountPath !== '/tmp')) assert.equal(m.readOnly, true, `${m.mountPath} is read-only`);
    assert.equal(pod.automountServiceAccountToken, true);
    assert.equal(pod.restartPolicy, 'Never');
  });

  it('reads the Slack webhook URL from the Secret docs/cronjob.md creates, mounted where --post-url-file points', () => {
    const { pod, container } = cronJobPod();
    const volumes = pod.volumes as Array<Record<string, any>>;
    const secretVolumes = volumes.filter((v) => v.secret);
    assert.equal(secretVolumes.length, 1);
    const v = secretVolumes[0] as { name: string; secret: { secretName: string; optional?: boolean; items: Array<{ key: string; path: string }> } };
    assert.equal(v.secret.secretName, 'envoy-doctor-slack');
    assert.equal(v.secret.optional, false, 'a missing Secret stops the pod from starting instead of running without a sink');
    assert.deepEqual(
      v.secret.items.map((i) => i.key),
      ['url'],
    );
    const mount = (container.volumeMounts as Array<{ name: string; mountPath: string }>).find((m) => m.name === v.name);
    assert.ok(mount, 'the Secret is mounted');
    const args = container.args as string[];
    assert.equal(argValue(args, '--post-url-file'), `${mount.mountPath}/${v.secret.items[0]?.path}`);
    // No URL, token or Secret value in the manifests: only the reference.
    assert.ok(!JSON.stringify(renderDeploy()).includes('hooks.slack.com'), 'no webhook URL in the manifests');
    // The environment holds the heap cap alone: no URL, token or Secret reference.
    const env = (container.env as Array<{ name: string; value?: string; valueFrom?: unknown }> | undefined) ?? [];
    assert.deepEqual(
      env.map((e) => [e.name, e.valueFrom === undefined && !/:\/\//.test(e.value ?? '')]),
      [['NODE_OPTIONS', true]],
    );
    // The command docs/cronjob.md gives creates this Secret, in this namespace, with this key.
    const create = /kubectl create secret generic (\S+) -n (\S+) --from-(?:literal|file)=(\w+)=/.exec(docs);
    assert.ok(create, 'docs/cronjob.md creates the Secret with kubectl');
    assert.deepEqual(create.slice(1), [v.secret.secretName, NS, 'url']);
  });

  it('posts to Slack, keeps its state in a ConfigMap the Role lets it update, and exits 0 on findings', () => {
    const args = cronJobPod().container.args as string[];
    assert.equal(args[0], 'diagnose');
    assert.ok(args.includes('-A'), 'every namespace');
    assert.equal(argValue(args, '--post'), 'slack');
    assert.equal(argValue(args, '--fail-on'), 'error');
    assert.ok(args.includes('--force-exit-zero'));
    const state = /^configmap:([^/]+)\/(.+)$/.exec(argValue(args, '--state') ?? '');
    assert.ok(state, '--state configmap:NS/NAME');
    assert.equal(state[1], NS);
    const role = objectOf('Role', 'envoy-doctor-state') as unknown as { metadata: { namespace: string }; rules: RbacRule[] };
    assert.equal(role.metadata.namespace, state[1]);
    assert.ok(
      role.rules.some((r) => r.verbs.includes('update') && r.resourceNames?.includes(state[2] as string)),
      'the Role names the state ConfigMap',
    );
    assert.ok(docs.includes(`kubectl create job --from=cronjob/envoy-doctor envoy-doctor-now -n ${NS}`), 'docs/cronjob.md runs it by hand');
  });
});
