// A Kubernetes API server on 127.0.0.1 for the test suite, shaped to what @kubernetes/client-node (v2) sends:
// pod, deployment, replica set and custom object reads with label and field selectors, pod logs, creates (POST) and
// updates (PUT) of namespaced objects with resourceVersion checks, RBAC denials with the API server's own Status
// bodies, SelfSubjectAccessReviews, discovery, and pod port-forward over WebSocket with kubelet's channel protocol,
// bridged to real TCP servers on 127.0.0.1. Every request is recorded.
//
// This file is the server and its routing; the rest lives beside it: the cluster's objects and the builders for
// them (kube-cluster.ts), the object store and discovery (kube-store.ts), selectors and query parameters
// (kube-query.ts), refusals and RBAC (kube-refusals.ts), pod logs (kube-logs.ts), port-forward
// (kube-port-forward.ts) and the kubeconfig (kube-config.ts).
//
// A WebSocket port-forward is a GET upgrade, authorised as `get pods/portforward`; since Kubernetes 1.35
// (AuthorizePodWebsocketUpgradeCreatePermission, on by default) the API server also checks `create
// pods/portforward`. Both checks are made here, `get` first; a deny rule on either verb refuses the upgrade.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { FakeCluster } from './kube-cluster.ts';
import { authenticate, type ContextSpec, contextsOf, writeKubeconfig } from './kube-config.ts';
import { containerLog } from './kube-logs.ts';
import { KUBELET_PROTOCOLS, PortForwards } from './kube-port-forward.ts';
import { boolParam } from './kube-query.ts';
import { type Attributes, authorize, badRequest, denied, HttpError, methodNotAllowed, noSuchPath, type StatusBody } from './kube-refusals.ts';
import { apiVersionOf, ObjectStore, parseResourcePath, type ResourcePath, withType } from './kube-store.ts';

/** Options for `startKubeApi`. */
export interface KubeApiOptions {
  /** Name of the default (current) context; 'fake'. */
  context?: string;
  /** Namespace of the default context; 'default'. */
  namespace?: string;
  /** More contexts, after the default one. */
  contexts?: ContextSpec[];
  /** Which context is current; the default one unless named. */
  currentContext?: string;
  /** Channel protocols the port-forward endpoint accepts, in no particular order; kubelet's:
   * `v4.channel.k8s.io`, `v4.base64.channel.k8s.io`, `channel.k8s.io`. Add `v5.channel.k8s.io` to see what
   * client-node does when offered it (it then half-closes with a CLOSE frame [255, 0] instead of closing). */
  portForwardProtocols?: string[];
}

/** A request the server received. */
export interface RecordedRequest {
  method: string;
  /** Decoded path, no query. */
  path: string;
  /** Raw query string without `?` ('' when none). */
  query: string;
  params: URLSearchParams;
  /** A WebSocket (or other) upgrade. */
  upgrade: boolean;
  /** The authenticated user, when the token was known. */
  user?: string;
  /** Response status (101 for an accepted upgrade); set once answered. */
  status?: number;
}

/** A running fake API server. */
export interface KubeApi {
  url: string;
  port: number;
  /** A kubeconfig (in a temp dir, removed by close()) for this server; `KubeConfig.loadFromFile()` reads it. */
  kubeconfigPath: string;
  /** Context names in the kubeconfig, the current one first. */
  contexts: string[];
  requests: RecordedRequest[];
  /** Port-forward WebSockets currently open. */
  openForwards(): number;
  /** Port-forward WebSockets opened so far. */
  forwardsOpened(): number;
  /** Closes every socket, WebSocket and forwarded TCP connection, then the server. */
  close(): Promise<void>;
}

const DEFAULT_USER = 'system:serviceaccount:envoy-doctor:envoy-doctor';
const DEFAULT_VERSION = { major: '1', minor: '33', gitVersion: 'v1.33.1' };

/** The API server's RequestInfo verb of a request. */
function verbOf(method: string, rp: ResourcePath, params: URLSearchParams): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (rp.name) return 'get';
      return boolParam(params, 'watch') ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return rp.name ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

/** Starts the fake API server on 127.0.0.1 and writes a kubeconfig for it. */
export async function startKubeApi(cluster: FakeCluster, options: KubeApiOptions = {}): Promise<KubeApi> {
  const requests: RecordedRequest[] = [];
  const rawSockets = new Set<Duplex>();
  const dir = mkdtempSync(join(tmpdir(), 'kube-api-'));
  const store = new ObjectStore(cluster);
  const forwards = new PortForwards(cluster, options.portForwardProtocols ?? KUBELET_PROTOCOLS);
  const contexts = contextsOf({ name: options.context ?? 'fake', namespace: options.namespace ?? 'default' }, options.contexts);

  const readBody = async (req: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };

  const record = (req: IncomingMessage, upgrade: boolean): { rec: RecordedRequest; url: URL; segments: string[] } => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const decode = (s: string) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    };
    const segments = url.pathname
      .split('/')
      .filter((s) => s.length > 0)
      .map(decode);
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path: decode(url.pathname),
      query: url.search.replace(/^\?/, ''),
      params: url.searchParams,
      upgrade,
    };
    requests.push(rec);
    return { rec, url, segments };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const { rec, url, segments } = record(req, false);
    res.on('finish', () => {
      rec.status = res.statusCode;
    });
    const send = (code: number, body: unknown, type = 'application/json') => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
      res.end(req.method === 'HEAD' ? undefined : text);
    };
    try {
      rec.user = authenticate(req, contexts, cluster.user ?? DEFAULT_USER);
      const method = req.method ?? 'GET';
      if (url.pathname === '/version' || url.pathname === '/version/') {
        const v = cluster.version ?? DEFAULT_VERSION;
        return send(200, {
          ...v,
          gitCommit: 'a1b2c3',
          gitTreeState: 'clean',
          buildDate: '2025-05-15T08:00:00Z',
          goVersion: 'go1.24.2',
          compiler: 'gc',
          platform: 'linux/amd64',
        });
      }
      if (url.pathname === '/healthz' || url.pathname === '/livez' || url.pathname === '/readyz') return send(200, 'ok', 'text/plain; charset=utf-8');
      const rp = parseResourcePath(segments);
      if (!rp) {
        const d = method === 'GET' ? store.discovery(segments, `127.0.0.1:${port}`) : undefined;
        if (d) return send(200, d);
        throw noSuchPath();
      }
      const params = url.searchParams;
      const user = rec.user;
      // Self-subject access reviews answer from the deny rules; anyone may create them.
      if (rp.group === 'authorization.k8s.io' && rp.resource === 'selfsubjectaccessreviews' && !rp.namespace && !rp.name) {
        if (method !== 'POST') throw methodNotAllowed();
        const review = JSON.parse((await readBody(req)) || '{}') as { spec?: { resourceAttributes?: Partial<Attributes>; nonResourceAttributes?: unknown } };
        const ra = review.spec?.resourceAttributes;
        const no =
          ra !== undefined &&
          denied(cluster.deny, {
            user,
            verb: ra.verb ?? '',
            group: ra.group ?? '',
            resource: ra.resource ?? '',
            subresource: ra.subresource ?? '',
            namespace: ra.namespace ?? '',
            name: ra.name ?? '',
          });
        return send(201, {
          kind: 'SelfSubjectAccessReview',
          apiVersion: 'authorization.k8s.io/v1',
          metadata: { creationTimestamp: null },
          spec: review.spec ?? {},
          status: no ? { allowed: false } : { allowed: true, reason: 'RBAC: allowed by the fake API server' },
        });
      }
      const verb = verbOf(method, rp, params);
      authorize(cluster.deny, { user, verb, group: rp.group, resource: rp.resource, subresource: rp.subresource, namespace: rp.namespace, name: rp.name });
      const resource = store.resource(rp.group, rp.version, rp.resource);
      if (!resource) throw noSuchPath();
      if (rp.namespace && !resource.namespaced) throw noSuchPath();
      if (rp.name && !rp.namespace && resource.namespaced) throw noSuchPath();
      if ((method === 'POST' && !rp.name) || (method === 'PUT' && rp.name && !rp.subresource)) {
        if (!rp.namespace || !resource.namespaced) throw methodNotAllowed();
        const written = store.write(method === 'POST' ? 'create' : 'update', rp, resource, await readBody(req));
        return send(method === 'POST' ? 201 : 200, withType(written, apiVersionOf(rp.group, rp.version), resource.kind));
      }
      if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed();
      if (!rp.name) return send(200, store.list(rp, resource, params));
      const isPods = rp.group === '' && rp.resource === 'pods';
      if (!rp.subresource || (isPods && rp.subresource === 'status')) {
        return send(200, withType(store.find(rp, resource), apiVersionOf(rp.group, rp.version), resource.kind));
      }
      if (isPods && rp.subresource === 'log') return send(200, containerLog(cluster, store.pod(rp), params), 'text/plain');
      if (isPods && rp.subresource === 'portforward') {
        store.find(rp, resource);
        throw badRequest('Upgrade request required');
      }
      throw noSuchPath();
    } catch (err) {
      if (err instanceof HttpError) return send(err.body.code, err.body);
      return send(500, new HttpError(500, 'InternalError', `Internal error occurred: ${(err as Error).message}`).body);
    }
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const { rec, url, segments } = record(req, true);
    rawSockets.add(socket);
    socket.on('close', () => rawSockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const refuse = (body: StatusBody) => {
      rec.status = body.code;
      const text = JSON.stringify(body);
      socket.end(
        `HTTP/1.1 ${body.code} ${STATUS_CODES[body.code] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
      );
    };
    try {
      rec.user = authenticate(req, contexts, cluster.user ?? DEFAULT_USER);
      const rp = parseResourcePath(segments);
      if (!rp) throw noSuchPath();
      const params = url.searchParams;
      const verb = verbOf(req.method ?? 'GET', rp, params);
      const attrs = { user: rec.user, group: rp.group, resource: rp.resource, subresource: rp.subresource, namespace: rp.namespace, name: rp.name };
      authorize(cluster.deny, { ...attrs, verb });
      const isForward =
        rp.group === '' && rp.version === 'v1' && rp.resource === 'pods' && rp.subresource === 'portforward' && rp.namespace !== '' && rp.name !== '';
      if (!isForward) throw noSuchPath();
      // KEP-4006: from 1.35 a WebSocket upgrade to pods/portforward must also be allowed to `create`.
      if (verb !== 'create') authorize(cluster.deny, { ...attrs, verb: 'create' });
      if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') throw badRequest('Upgrade request required');
      forwards.accept(req, socket, head, store.pod(rp), params, () => {
        rec.status = 101;
      });
    } catch (err) {
      refuse(err instanceof HttpError ? err.body : new HttpError(500, 'InternalError', (err as Error).message).body);
    }
  };

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  server.on('upgrade', onUpgrade);
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  const kubeconfigPath = join(dir, 'kubeconfig');
  const current = options.currentContext ?? (contexts[0] as ContextSpec).name;
  writeKubeconfig(kubeconfigPath, url, contexts, current);

  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    kubeconfigPath,
    contexts: [current, ...contexts.map((c) => c.name).filter((n) => n !== current)],
    requests,
    openForwards: () => forwards.openCount,
    forwardsOpened: () => forwards.opened,
    close() {
      closed ??= (async () => {
        forwards.close();
        for (const s of rawSockets) s.destroy();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        rmSync(dir, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}
