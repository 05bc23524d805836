// Reading the support bundle of Envoy Gateway's `egctl x collect` (envoyproxy/gateway internal/cmd/egctl/collect.go,
// internal/troubleshoot/): per proxy pod its /config_dump (camelCase, secrets removed by default), one Prometheus
// scrape, the container logs, and the Gateway API and Envoy Gateway objects of the collected namespaces.
// What is used and how faithfully: docs/bundle.md.

import type { NeededStats } from '../model/needed-stats.ts';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { type KubeObject, type KubernetesObjects, noKubernetesObjects, type ObjectLists } from '../model/kubernetes.ts';
import type { NotCollected, Snapshot } from '../model/snapshot.ts';
import { parseAccessLog } from '../parse/access-log-formats.ts';
import { parseConfigDumpChunks } from '../parse/config-stream.ts';
import { InputError } from '../parse/input-error.ts';
import { type ProxyCapture, snapshotFromCapture } from '../parse/capture-snapshot.ts';
import { CONTROLLER, controllerRelease } from './gateway-reads.ts';
import { inputChunks, rereadChunks } from './read-input.ts';

/** Where the egctl bundle's files live, below its top-level directory. */
const CONFIG_DUMPS = 'config-dumps';
const METRICS = 'prometheus-metrics';
const RESOURCES = 'cluster-resources';

const OBJECT_LISTS: Array<[keyof ObjectLists, string]> = [
  ['gateways', 'gateways.gateway.networking.k8s.io'],
  ['httpRoutes', 'httproutes.gateway.networking.k8s.io'],
  ['backendTrafficPolicies', 'backendtrafficpolicies.gateway.envoyproxy.io'],
  ['clientTrafficPolicies', 'clienttrafficpolicies.gateway.envoyproxy.io'],
  ['envoyProxies', 'envoyproxies.gateway.envoyproxy.io'],
];

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function entries(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => [] as string[]);
}

/** The directory holding `config-dumps/` (the bundle root, or its one top-level directory); undefined if none. */
export async function egctlRoot(dir: string): Promise<string | undefined> {
  if (await exists(join(dir, CONFIG_DUMPS))) return dir;
  const top = await entries(dir);
  if (top.length === 1 && (await exists(join(dir, top[0] as string, CONFIG_DUMPS)))) return join(dir, top[0] as string);
  return undefined;
}

async function readYamlList(path: string): Promise<KubeObject[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text, { uniqueKeys: false, logLevel: 'error' })) {
    const value = doc.toJSON() as { items?: KubeObject[]; kind?: string } | null;
    if (!value) continue;
    if (Array.isArray(value.items)) out.push(...value.items);
    else if (value.kind) out.push(value as KubeObject);
  }
  return out;
}

async function objectsOf(root: string): Promise<KubernetesObjects> {
  const k = noKubernetesObjects();
  for (const [key, dir] of OBJECT_LISTS) {
    for (const file of await entries(join(root, RESOURCES, dir))) {
      if (file.endsWith('.yaml')) k[key].push(...(await readYamlList(join(root, RESOURCES, dir, file))));
    }
  }
  // Cluster-scoped kinds are one file each; a bundle without it says nothing of them.
  const classes = join(root, RESOURCES, 'gatewayclasses.gateway.networking.k8s.io.yaml');
  if (await exists(classes)) k.gatewayClasses = await readYamlList(classes);
  Object.assign(k, await controllerOf(root));
  try {
    const errors = JSON.parse(await readFile(join(root, RESOURCES, 'custom-resources-errors.json'), 'utf8')) as unknown;
    if (Array.isArray(errors)) for (const e of errors) k.unavailable.push(typeof e === 'string' ? e : JSON.stringify(e));
  } catch {
    // no errors recorded
  }
  return k;
}

/** The Envoy Gateway release of the controller's Deployment, from the Deployments saved per namespace. */
async function controllerOf(root: string): Promise<Pick<KubernetesObjects, 'envoyGatewayVersion' | 'envoyGatewayController'>> {
  for (const file of (await entries(join(root, RESOURCES, 'deployments'))).filter((f) => f.endsWith('.yaml')).sort()) {
    const d = (await readYamlList(join(root, RESOURCES, 'deployments', file))).find((o) => o.metadata.name === CONTROLLER.name);
    const found = d ? controllerRelease(d) : undefined;
    if (found) return found;
  }
  return {};
}

function ownerOf(pod: KubeObject | undefined): string | undefined {
  const labels = pod?.metadata.labels ?? {};
  const name = labels['gateway.envoyproxy.io/owning-gateway-name'];
  const namespace = labels['gateway.envoyproxy.io/owning-gateway-namespace'];
  return name && namespace ? `gateway ${namespace}/${name}` : undefined;
}

/**
 * Reads an egctl support bundle extracted at `root`: one snapshot per proxy with a config dump. With `each`, every
 * snapshot is handed to it as soon as it is read and not returned, so a bundle of many pods is never held whole.
 */
export async function loadEgctlBundle(
  root: string,
  each?: (snapshot: Snapshot) => void,
  keep?: NeededStats,
): Promise<{ snapshots: Snapshot[]; notCollected: NotCollected[] }> {
  const kubernetes = await objectsOf(root);
  const snapshots: Snapshot[] = [];
  const notCollected: NotCollected[] = [];
  const collected = new Set<string>();
  for (const namespace of (await entries(join(root, CONFIG_DUMPS))).sort()) {
    const nsDir = join(root, CONFIG_DUMPS, namespace);
    if (!(await stat(nsDir)).isDirectory()) continue;
    const pods = new Map((await readYamlList(join(root, RESOURCES, 'pods', `${namespace}.yaml`))).map((p) => [p.metadata.name, p]));
    for (const file of (await entries(nsDir)).filter((f) => f.endsWith('.json')).sort()) {
      const pod = file.slice(0, -'.json'.length);
      const dumpPath = join(nsDir, file);
      const reread = await rereadChunks(dumpPath);
      const [config] = await parseConfigDumpChunks(inputChunks(dumpPath), dumpPath, pod, reread === undefined ? {} : { reread });
      const capture: ProxyCapture = { id: pod, namespace, configSource: dumpPath, ...(keep ? { keep } : {}) };
      if (config) capture.config = { ...config, id: pod, namespace };
      const owner = ownerOf(pods.get(pod));
      if (owner) capture.owner = owner;
      const metricsPath = join(root, METRICS, namespace, `${pod}.prom`);
      if (await exists(metricsPath)) capture.stats = { chunks: inputChunks(metricsPath), source: metricsPath };
      const logPath = join(root, RESOURCES, 'pods', 'logs', namespace, pod, 'envoy.log');
      if (await exists(logPath)) {
        try {
          capture.accessLog = parseAccessLog(await readFile(logPath, 'utf8'), logPath);
        } catch (err) {
          if (!(err instanceof InputError)) throw err;
        }
      }
      capture.kubernetes = kubernetes;
      capture.kubernetesSource = join(root, RESOURCES);
      const snapshot = await snapshotFromCapture(capture);
      collected.add(`${namespace}/${pod}`);
      if (each) each(snapshot);
      else snapshots.push(snapshot);
    }
  }
  // errors.log is a JSON array of strings: "failed to get config dump for pod <ns>/<name>: <error>".
  let errors: unknown = [];
  try {
    errors = JSON.parse(await readFile(join(root, CONFIG_DUMPS, 'errors.log'), 'utf8'));
  } catch {
    // no dump errors recorded
  }
  for (const line of Array.isArray(errors) ? errors : []) {
    const m = /pod ([^/\s]+)\/([^:\s]+): (.*)$/.exec(String(line));
    if (!m || collected.has(`${m[1]}/${m[2]}`)) continue;
    notCollected.push({ id: m[2] as string, namespace: m[1] as string, reason: `egctl x collect: ${m[3]}` });
  }
  return { snapshots, notCollected };
}
