// Reaching Envoy in Kubernetes through @kubernetes/client-node: find the proxy pods, port-forward to their admin
// port (Envoy Gateway binds admin to 127.0.0.1:19000, so a forward is the only way in; Istio sidecars serve it on
// 15000) and read their logs. The Envoy Gateway objects that configure them are read in gateway-reads.ts, the
// VirtualServices of Istio proxies in istio-reads.ts.
// Labels: envoyproxy/gateway internal/infrastructure/kubernetes/proxy (app.kubernetes.io/name=envoy,
// app.kubernetes.io/component=proxy, app.kubernetes.io/managed-by=envoy-gateway, gateway.envoyproxy.io/owning-gateway-*).

import { createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { RequestError } from '../model/request-error.ts';
import { InputError } from '../parse/input-error.ts';
import type { AdminEndpoint, LiveTarget } from './proxy-contact.ts';

/** Where Envoy Gateway runs its proxies by default. */
export const ENVOY_GATEWAY_NAMESPACE = 'envoy-gateway-system';
/** Envoy Gateway's admin port (bound to 127.0.0.1 in the pod). */
const ENVOY_GATEWAY_ADMIN_PORT = 19000;
/** Istio sidecar admin port. */
const ISTIO_ADMIN_PORT = 15000;

/** How to find proxies. */
interface KubeOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  allNamespaces: boolean;
  selector?: string;
  adminPort?: number;
  /** Explicit targets: `pod/NAME[.NS]`, `deployment/NAME[.NS]`. */
  targets: string[];
  /** How far back to read logs, in seconds; 0 reads none. */
  logsSinceSeconds: number;
}

/** A Kubernetes read that failed, with the verb and resource that was refused. */
class KubeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeError';
  }
}

let client: Promise<typeof import('@kubernetes/client-node')> | undefined;

/** The Kubernetes client library, loaded on first use: it takes about half a second to load, and most runs never need it. */
export function kubernetesClient(): Promise<typeof import('@kubernetes/client-node')> {
  client ??= import('@kubernetes/client-node');
  return client;
}

/** Loads the kubeconfig (file, KUBECONFIG, ~/.kube/config, or the in-cluster service account). */
export async function loadKubeConfig(opts: Pick<KubeOptions, 'kubeconfig' | 'context'>): Promise<KubeConfig> {
  const { KubeConfig } = await kubernetesClient();
  const kc = new KubeConfig();
  // The file the user named, or KUBECONFIG's first: errors about its contents name it.
  const file = opts.kubeconfig ?? process.env.KUBECONFIG?.split(':').find((f) => f !== '');
  const named = opts.kubeconfig ? `--kubeconfig ${opts.kubeconfig}` : `KUBECONFIG ${file}`;
  try {
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new RequestError(`${named}: no such file; expected a kubeconfig such as ~/.kube/config`);
    if (typeof e.code === 'string' && e.code.startsWith('E'))
      throw new InputError(named, `cannot read (${e.code}); expected a kubeconfig such as ~/.kube/config`);
    throw new InputError(
      file !== undefined ? named : 'kubeconfig',
      `not a kubeconfig (not YAML: ${e.message.split('\n')[0]}); expected a kubeconfig such as ~/.kube/config`,
    );
  }
  // A YAML or JSON file that loads without clusters or contexts (a config dump, a manifest) is not a kubeconfig.
  if (file !== undefined && kc.getClusters().length === 0 && kc.getContexts().length === 0) {
    throw new InputError(named, 'not a kubeconfig (no clusters or contexts); expected a kubeconfig such as ~/.kube/config');
  }
  if (opts.context) {
    if (!kc.getContexts().some((c) => c.name === opts.context)) throw new RequestError(`--context ${opts.context}: no such context in the kubeconfig`);
    kc.setCurrentContext(opts.context);
  }
  // With nothing to load, the client falls back to a made-up cluster at http://localhost:8080: that is no configuration.
  const cluster = kc.getCurrentCluster();
  if (!cluster || kc.getContexts().length === 0 || (!opts.kubeconfig && cluster.name === 'cluster' && cluster.server === 'http://localhost:8080')) {
    throw new RequestError('no Kubernetes cluster configured: give --kubeconfig, set KUBECONFIG, run in a pod, or read a proxy directly with --admin URL');
  }
  return kc;
}

/** Why a request never reached the API server (refused, unknown host, TLS), from the network error it caused; undefined for answers. */
function unreachable(err: unknown): { cause: string; address?: string } | undefined {
  let e = err as { code?: unknown; message?: string; cause?: unknown; address?: string; port?: number; hostname?: string } | undefined;
  for (let depth = 0; e && depth < 5; depth++, e = e.cause as typeof e) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    const address = e.hostname ?? (e.address !== undefined ? `${e.address}${e.port !== undefined ? `:${e.port}` : ''}` : undefined);
    const at = address !== undefined ? { address } : {};
    if (code === 'ECONNREFUSED') return { cause: 'connection refused', ...at };
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { cause: 'host not found', ...at };
    if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return { cause: 'no answer in time', ...at };
    if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET') return { cause: 'connection reset', ...at };
    if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return { cause: 'no route to the host', ...at };
    if (code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL/.test(code)) return { cause: `TLS: ${code}`, ...at };
    if (e.message === 'bad port') return { cause: 'a port that cannot be used', ...at };
  }
  return (err as Error | undefined)?.message === 'fetch failed' ? { cause: 'network error' } : undefined;
}

/**
 * Turns an API error into one line naming the verb and resource: `forbidden: list pods in home`; when the API server
 * (`server`, the kubeconfig's) was not reached, its address and why: `cannot reach the Kubernetes API server
 * https://10.0.0.1:6443 (connection refused) to list pods in home`.
 */
export function kubeFailure(err: unknown, verb: string, resource: string, namespace?: string, server?: string): KubeError {
  const code = (err as { code?: number }).code;
  const where = namespace ? ` in ${namespace}` : ' cluster-wide';
  const network = unreachable(err);
  if (network) {
    const address = server ?? network.address;
    return new KubeError(`cannot reach the Kubernetes API server${address ? ` ${address}` : ''} (${network.cause}) to ${verb} ${resource}${where}`);
  }
  if (code === 403) return new KubeError(`forbidden: ${verb} ${resource}${where} (RBAC: see docs/rbac.md)`);
  if (code === 404) return new KubeError(`not found: ${verb} ${resource}${where}`);
  if (code === 401) return new KubeError(`unauthorized: ${verb} ${resource}${where}: the credentials were refused`);
  const message = (err as Error).message?.split('\n')[0] ?? String(err);
  return new KubeError(`${verb} ${resource}${where}: ${message}`);
}

/** What kind of Envoy a pod runs, and where its admin interface listens. */
interface EnvoyContainer {
  container: string;
  port: number;
  owner?: string;
}

function ownerOf(pod: V1Pod): string | undefined {
  const labels = pod.metadata?.labels ?? {};
  const gwName = labels['gateway.envoyproxy.io/owning-gateway-name'];
  const gwNamespace = labels['gateway.envoyproxy.io/owning-gateway-namespace'];
  if (gwName && gwNamespace) return `gateway ${gwNamespace}/${gwName}`;
  const rs = pod.metadata?.ownerReferences?.find((o) => o.kind === 'ReplicaSet');
  const hash = labels['pod-template-hash'];
  if (rs && hash && rs.name.endsWith(`-${hash}`)) return `deployment ${pod.metadata?.namespace}/${rs.name.slice(0, -hash.length - 1)}`;
  const other = pod.metadata?.ownerReferences?.[0];
  return other ? `${other.kind.toLowerCase()} ${pod.metadata?.namespace}/${other.name}` : undefined;
}

/** The container Istio injects into a sidecar's pod, and runs in its gateways. */
const ISTIO_CONTAINER = 'istio-proxy';

/** Recognises Envoy Gateway proxies and Istio sidecars; `adminPort` makes any pod a candidate. */
function envoyContainerOf(pod: V1Pod, adminPort?: number): EnvoyContainer | undefined {
  const labels = pod.metadata?.labels ?? {};
  const containers = pod.spec?.containers ?? [];
  const owner = ownerOf(pod);
  const withOwner = (c: EnvoyContainer): EnvoyContainer => (owner ? { ...c, owner } : c);
  if (labels['app.kubernetes.io/component'] === 'proxy' && labels['app.kubernetes.io/managed-by'] === 'envoy-gateway') {
    const envoy = containers.find((c) => c.name === 'envoy') ?? containers[0];
    if (envoy) return withOwner({ container: envoy.name, port: adminPort ?? ENVOY_GATEWAY_ADMIN_PORT });
  }
  const sidecar = containers.find((c) => c.name === ISTIO_CONTAINER);
  if (sidecar) return withOwner({ container: sidecar.name, port: adminPort ?? ISTIO_ADMIN_PORT });
  if (adminPort !== undefined) {
    const envoy = containers.find((c) => /envoy/.test(c.image ?? '') || c.name === 'envoy') ?? containers[0];
    if (envoy) return withOwner({ container: envoy.name, port: adminPort });
  }
  return undefined;
}

/** Splits `kind/NAME[.NS]`. */
function parseTarget(text: string, defaultNamespace: string): { kind: 'pod' | 'deployment'; name: string; namespace: string } {
  const m = /^(pod|po|pods|deployment|deploy|deployments)\/([a-z0-9]([-a-z0-9]*[a-z0-9])?)(?:\.([a-z0-9]([-a-z0-9]*[a-z0-9])?))?$/.exec(text);
  if (!m) throw new RequestError(`target ${text}: expected pod/NAME[.NAMESPACE] or deployment/NAME[.NAMESPACE]`);
  return { kind: (m[1] as string).startsWith('po') ? 'pod' : 'deployment', name: m[2] as string, namespace: m[4] ?? defaultNamespace };
}

function selectorOf(matchLabels: Record<string, string> | undefined): string {
  return Object.entries(matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** The pods to diagnose, from explicit targets or discovery. */
async function findPods(kc: KubeConfig, opts: KubeOptions, namespace: string): Promise<V1Pod[]> {
  const { AppsV1Api, CoreV1Api } = await kubernetesClient();
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const server = kc.getCurrentCluster()?.server;
  const fail = (err: unknown, verb: string, resource: string, namespace?: string) => kubeFailure(err, verb, resource, namespace, server);
  if (opts.targets.length > 0) {
    const pods: V1Pod[] = [];
    for (const text of opts.targets) {
      const t = parseTarget(text, namespace);
      if (t.kind === 'pod') {
        try {
          pods.push(await core.readNamespacedPod({ name: t.name, namespace: t.namespace }));
        } catch (err) {
          throw fail(err, 'get', `pods/${t.name}`, t.namespace);
        }
      } else {
        let selector: string;
        try {
          const d = await apps.readNamespacedDeployment({ name: t.name, namespace: t.namespace });
          selector = selectorOf(d.spec?.selector?.matchLabels);
        } catch (err) {
          throw fail(err, 'get', `deployments/${t.name}`, t.namespace);
        }
        try {
          pods.push(...(await core.listNamespacedPod({ namespace: t.namespace, labelSelector: selector })).items);
        } catch (err) {
          throw fail(err, 'list', 'pods', t.namespace);
        }
      }
    }
    return pods;
  }
  try {
    const labelSelector = opts.selector ? { labelSelector: opts.selector } : {};
    return opts.allNamespaces
      ? (await core.listPodForAllNamespaces(labelSelector)).items
      : (await core.listNamespacedPod({ namespace, ...labelSelector })).items;
  } catch (err) {
    throw fail(err, 'list', 'pods', opts.allNamespaces ? undefined : namespace);
  }
}

/** Collects the error text kubelet writes on a forward's error channel. */
class ErrorText extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

/** Opens a port-forward to one pod port, served on a local 127.0.0.1 port for the admin client. */
async function openPortForward(kc: KubeConfig, namespace: string, pod: string, port: number): Promise<AdminEndpoint> {
  const { PortForward } = await kubernetesClient();
  const forward = new PortForward(kc);
  const sockets = new Set<Socket>();
  const forwards: Array<{ readyState: number; close(): void; terminate(): void; once(event: 'close', cb: () => void): unknown }> = [];
  let failure: string | undefined;
  let closed = false;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const errors = new ErrorText();
    errors.on('finish', () => undefined);
    forward
      .portForward(namespace, pod, [port], socket, errors, socket)
      .then((ws) => {
        const socketOf = typeof ws === 'function' ? ws() : ws;
        if (socketOf) {
          forwards.push(socketOf);
          if (closed) socketOf.close();
          socketOf.on('close', () => {
            if (errors.text) failure = `port-forward to ${namespace}/${pod}:${port}: ${errors.text.trim().split('\n')[0]}`;
            socket.end();
          });
        }
      })
      .catch((err: unknown) => {
        const message = (err as { message?: string }).message ?? String(err);
        const status = /(\d{3})/.exec(message)?.[1];
        failure =
          status === '403'
            ? `forbidden: create pods/portforward in ${namespace} (RBAC: see docs/rbac.md)`
            : `port-forward to ${namespace}/${pod}:${port} failed: ${message}`;
        socket.destroy();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const localPort = typeof address === 'object' && address ? address.port : 0;
  return {
    base: `http://127.0.0.1:${localPort}`,
    failure: () => failure,
    close: async () => {
      closed = true;
      for (const s of sockets) s.destroy();
      // Close every WebSocket and wait for the close handshakes (terminating any that hang), so no forward outlives the run.
      await Promise.all(
        forwards.map(
          (ws) =>
            new Promise<void>((resolve) => {
              if (ws.readyState === 3) return resolve();
              const timer = setTimeout(() => {
                ws.terminate();
                resolve();
              }, 1000);
              ws.once('close', () => {
                clearTimeout(timer);
                resolve();
              });
              ws.close();
            }),
        ),
      );
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Discovers proxy pods and turns them into collection targets. */
export async function kubernetesTargets(kc: KubeConfig, opts: KubeOptions): Promise<LiveTarget[]> {
  const contextNamespace = kc.getContextObject(kc.getCurrentContext())?.namespace;
  const namespace = opts.namespace ?? (opts.targets.length > 0 ? (contextNamespace ?? 'default') : ENVOY_GATEWAY_NAMESPACE);
  const pods = await findPods(kc, opts, namespace);
  const { CoreV1Api } = await kubernetesClient();
  const core = kc.makeApiClient(CoreV1Api);
  const targets: LiveTarget[] = [];
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    const ns = pod.metadata?.namespace ?? namespace;
    const envoy = envoyContainerOf(pod, opts.adminPort);
    if (!envoy) {
      if (opts.targets.length > 0 || opts.selector) {
        targets.push({
          id: name,
          namespace: ns,
          admin: 'unknown',
          skip: 'no Envoy container recognised (give --admin-port)',
          open: () => Promise.reject(new Error('skipped')),
        });
      }
      continue;
    }
    const phase = pod.status?.phase ?? 'Unknown';
    const ready = pod.status?.containerStatuses?.find((c) => c.name === envoy.container)?.ready;
    const target: LiveTarget = {
      id: name,
      namespace: ns,
      admin: `pod ${ns}/${name} port ${envoy.port}`,
      open: () => openPortForward(kc, ns, name, envoy.port),
    };
    if (envoy.owner) target.owner = envoy.owner;
    if (envoy.container === ISTIO_CONTAINER) target.istio = true;
    if (phase !== 'Running') target.skip = `pod is ${phase}, not Running`;
    else if (ready === false) target.skip = `container ${envoy.container} is not ready`;
    if (opts.logsSinceSeconds > 0) {
      target.logs = async () => {
        try {
          return await core.readNamespacedPodLog({ name, namespace: ns, container: envoy.container, sinceSeconds: opts.logsSinceSeconds, timestamps: true });
        } catch (err) {
          throw kubeFailure(err, 'get', 'pods/log', ns);
        }
      };
    }
    targets.push(target);
  }
  if (targets.length === 0) {
    const where = opts.allNamespaces ? 'any namespace' : `namespace ${namespace}`;
    throw new RequestError(
      `no Envoy proxies found in ${where}${opts.selector ? ` with selector ${opts.selector}` : ''}; try -n NAMESPACE, -A, -l SELECTOR or pod/NAME`,
    );
  }
  return targets;
}
