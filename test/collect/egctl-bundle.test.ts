// An `egctl x collect` support bundle, laid out as Envoy Gateway writes it (internal/troubleshoot/collect), read by
// `analyze`; and archives that try to escape their directory, refused.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { create as createTar } from 'tar';
import { stringify } from 'yaml';
import { loadOffline } from '../../src/collect/files.ts';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { ROOT, run } from '../helpers/cli.ts';

const POD = 'envoy-home-eg-5f7d9c-abcde';
const NS = 'envoy-gateway-system';
const INCIDENT = join(ROOT, 'samples/home-assistant-websocket-drops');

async function put(root: string, path: string, data: string | Buffer): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), data);
}

interface Report {
  snapshots: Array<{ id: string; namespace: string | null; owner: string | null }>;
  rootCauses: Array<{ id: string }>;
  notCollected: Array<{ id: string; namespace: string | null; reason: string }>;
  findings: Array<{ code: string; evidence: Record<string, unknown> }>;
}

describe('egctl x collect bundles', () => {
  let dir = '';
  let archive = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'envoy-doctor-egctl-'));
    const top = join(dir, 'src', 'envoy-gateway-2026-11-20T21_14_05');
    const egctl = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/formats/home-assistant.egctl.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    const dump = Object.values(Object.values(egctl)[0] ?? {})[0];
    await put(top, `config-dumps/${NS}/${POD}.json`, JSON.stringify(dump, null, 4));
    await put(
      top,
      'config-dumps/errors.log',
      JSON.stringify([`failed to get config dump for pod ${NS}/envoy-home-eg-5f7d9c-fghij: connection refused`], null, 2),
    );
    await put(top, `prometheus-metrics/${NS}/${POD}.prom`, readFileSync(join(ROOT, 'test/fixtures/formats/home-assistant.stats.prom')));
    const log = readFileSync(join(INCIDENT, 'access.log'), 'utf8').replace(/^\S+Z /gm, '');
    await put(top, `cluster-resources/pods/logs/${NS}/${POD}/envoy.log`, log);
    await mkdir(join(top, 'pod-logs', POD), { recursive: true });
    await symlink(`../../cluster-resources/pods/logs/${NS}/${POD}/envoy.log`, join(top, 'pod-logs', POD, 'envoy.log'));
    const objects = JSON.parse(readFileSync(join(INCIDENT, 'kubernetes.json'), 'utf8')) as Record<string, unknown[]>;
    const list = (items: unknown[]) => stringify({ apiVersion: 'v1', kind: 'List', items });
    await put(top, 'cluster-resources/backendtrafficpolicies.gateway.envoyproxy.io/home.yaml', list(objects.backendTrafficPolicies ?? []));
    await put(top, 'cluster-resources/httproutes.gateway.networking.k8s.io/home.yaml', list(objects.httpRoutes ?? []));
    await put(top, 'cluster-resources/gateways.gateway.networking.k8s.io/home.yaml', list(objects.gateways ?? []));
    // Cluster-scoped kinds in one file; the namespace's Deployments, the controller's among them.
    await put(
      top,
      'cluster-resources/gatewayclasses.gateway.networking.k8s.io.yaml',
      list([
        {
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'GatewayClass',
          metadata: { name: 'eg' },
          spec: { controllerName: 'gateway.envoyproxy.io/gatewayclass-controller' },
        },
      ]),
    );
    const deployment = (name: string, image: string) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: NS },
      spec: { template: { spec: { containers: [{ name, image }] } } },
    });
    await put(
      top,
      `cluster-resources/deployments/${NS}.yaml`,
      list([
        deployment('envoy-home-eg-5f7d9c', 'docker.io/envoyproxy/envoy:distroless-v1.35.6'),
        deployment('envoy-gateway', 'docker.io/envoyproxy/gateway:v1.9.0'),
      ]),
    );
    await put(
      top,
      `cluster-resources/pods/${NS}.yaml`,
      list([
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: POD,
            namespace: NS,
            labels: { 'gateway.envoyproxy.io/owning-gateway-name': 'eg', 'gateway.envoyproxy.io/owning-gateway-namespace': 'home' },
          },
        },
      ]),
    );
    archive = join(dir, 'envoy-gateway-2026-11-20T21_14_05.tar.gz');
    await createTar({ gzip: true, file: archive, cwd: join(dir, 'src'), portable: true }, ['envoy-gateway-2026-11-20T21_14_05']);
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('analyze reads its config dump, metrics, logs and objects, and lists the pod it could not dump', async () => {
    const r = await run(['analyze', archive, '-o', 'json']);
    assert.equal(r.stderr, '');
    assert.equal(r.code, 79);
    const report = JSON.parse(r.stdout) as Report;
    assert.deepEqual(
      report.snapshots.map((s) => [s.namespace, s.id, s.owner]),
      [[NS, POD, 'gateway home/eg']],
    );
    assert.equal(report.rootCauses[0]?.id, 'flow-control-stall');
    assert.ok(
      report.rootCauses.some((c) => c.id === 'policy-overridden'),
      'objects read',
    );
    assert.ok(
      report.findings.some((f) => f.code === 'upgraded-sessions-end-together'),
      'logs read',
    );
    assert.ok(
      report.findings.some((f) => f.code === 'input-missing' && f.evidence.input === 'stats-later'),
      'one scrape: no window',
    );
    assert.deepEqual(report.notCollected, [{ id: 'envoy-home-eg-5f7d9c-fghij', namespace: NS, reason: 'egctl x collect: connection refused' }]);
  });

  it("reads the GatewayClasses and the controller's release from its Deployment", async () => {
    const { snapshots } = await loadOffline({ bundle: join(dir, 'src', 'envoy-gateway-2026-11-20T21_14_05') });
    const k = snapshots[0]?.kubernetes;
    assert.deepEqual(
      k?.gatewayClasses?.map((c) => c.metadata.name),
      ['eg'],
    );
    assert.deepEqual(
      [k?.envoyGatewayVersion, k?.envoyGatewayController],
      ['1.9.0', `Deployment ${NS}/envoy-gateway, image docker.io/envoyproxy/gateway:v1.9.0`],
    );
    const report = JSON.parse((await run(['analyze', archive, '-o', 'json'])).stdout) as { snapshots: Array<{ envoyGateway: unknown }> };
    assert.deepEqual(report.snapshots[0]?.envoyGateway, {
      version: '1.9.0',
      atLeast: null,
      source: `controller Deployment ${NS}/envoy-gateway, image docker.io/envoyproxy/gateway:v1.9.0`,
    });
  });

  it('hands each pod to the diagnosis as soon as it is read, keeping none of them', async () => {
    const top = join(dir, 'src', 'envoy-gateway-2026-11-20T21_14_05');
    const second = 'envoy-home-eg-5f7d9c-klmno';
    await put(top, `config-dumps/${NS}/${second}.json`, readFileSync(join(top, `config-dumps/${NS}/${POD}.json`)));
    const received: Snapshot[] = [];
    const { snapshots, notCollected } = await loadOffline({ bundle: top }, (s) => received.push(s));
    assert.deepEqual(snapshots, []);
    assert.deepEqual(
      received.map((s) => [s.namespace, s.id, s.owner]),
      [
        [NS, POD, 'gateway home/eg'],
        [NS, second, undefined],
      ],
    );
    assert.ok(received[0]?.stats, 'the pod with metrics has its stats');
    assert.deepEqual(
      notCollected.map((n) => n.id),
      ['envoy-home-eg-5f7d9c-fghij'],
    );
  });
});

describe('archives that do not hold a bundle safely', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'envoy-doctor-evil-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('a link inside an envoy-doctor bundle is refused with a one-line error', async () => {
    const src = join(dir, 'linked');
    await put(src, 'manifest.json', '{}');
    await put(src, 'config_dump.json', readFileSync(join(INCIDENT, 'config_dump.json')));
    await symlink('/etc/passwd', join(src, 'stats.txt'));
    const archive = join(dir, 'linked.tar.gz');
    await createTar({ gzip: true, file: archive, cwd: src, portable: true }, ['.']);
    const r = await run(['analyze', archive]);
    assert.equal(r.code, 65);
    assert.match(r.stderr, /linked\.tar\.gz: holds entries outside plain files and directories \(\.\/stats\.txt \(link\)\)/);
  });

  it('a file that is not an archive is refused', async () => {
    const path = join(dir, 'notes.tar.gz');
    await writeFile(path, 'not a tar file');
    const r = await run(['analyze', path]);
    assert.equal(r.code, 65);
    assert.match(r.stderr, /notes\.tar\.gz: not a \.tar\.gz archive, or a damaged one; expected a bundle/);
  });
});

describe('bundle hardening', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'envoy-doctor-hard-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('a manifest that points outside the bundle is refused', async () => {
    const b = join(dir, 'escape');
    await put(
      b,
      'manifest.json',
      JSON.stringify({ kind: 'envoy-doctor-bundle', schemaVersion: 1, proxies: [{ id: 'x', collected: true, dir: '../../samples/healthy' }] }),
    );
    const r = await run(['analyze', b]);
    assert.equal(r.code, 65);
    assert.match(r.stderr, /manifest\.json: names \.\.\/\.\.\/samples\/healthy, outside the bundle/);
  });

  it('a listed proxy directory that is missing is an input error, not a crash', async () => {
    const b = join(dir, 'missing');
    await put(
      b,
      'manifest.json',
      JSON.stringify({ kind: 'envoy-doctor-bundle', schemaVersion: 1, proxies: [{ id: 'x', collected: true, dir: 'proxies/direct/x' }] }),
    );
    const r = await run(['analyze', b]);
    assert.equal(r.code, 65);
    assert.match(r.stderr, /lists proxies\/direct\/x, which is not in the bundle/);
  });

  it('a .tar.gz of a proxy directory with its top-level folder is read, named after the archive, and leaves no copy behind', async () => {
    const { readdir: list } = await import('node:fs/promises');
    const before = (await list(tmpdir())).filter((f) => f.startsWith('envoy-doctor-bundle-')).length;
    const archive = join(dir, 'incident.tar.gz');
    await createTar({ gzip: true, file: archive, cwd: join(ROOT, 'samples'), portable: true }, ['home-assistant-websocket-drops']);
    const r = await run(['analyze', archive, '-o', 'json']);
    assert.equal(r.code, 79, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(report.snapshots[0]?.id, 'home-assistant-websocket-drops');
    assert.equal(report.rootCauses[0]?.id, 'flow-control-stall');
    const afterCount = (await list(tmpdir())).filter((f) => f.startsWith('envoy-doctor-bundle-')).length;
    assert.equal(afterCount, before);
  });
});
