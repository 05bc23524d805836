// A real HTTP server on 127.0.0.1 playing an Envoy admin interface from a saved proxy directory, recording every
// request, and able to misbehave the ways real proxies and networks do.

import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';

/** Ways the server can fail a request. */
export type Fault = 'http503' | 'hang' | 'reset' | 'truncate' | 'endless' | 'slowloris' | 'html';

/** A running fake admin server. */
export interface AdminServer {
  url: string;
  port: number;
  requests: Array<{ method: string; url: string }>;
  /** Requests that a read-only client must never make. */
  violations: string[];
  close(): Promise<void>;
}

const READ_PATHS = new Set(['/server_info', '/config_dump', '/stats', '/stats/prometheus', '/clusters', '/listeners', '/ready']);

const RESOURCES: Record<string, [string, string, string]> = {
  static_clusters: ['ClustersConfigDump', 'static_clusters', 'ClustersConfigDump.StaticCluster'],
  dynamic_active_clusters: ['ClustersConfigDump', 'dynamic_active_clusters', 'ClustersConfigDump.DynamicCluster'],
  static_listeners: ['ListenersConfigDump', 'static_listeners', 'ListenersConfigDump.StaticListener'],
  dynamic_listeners: ['ListenersConfigDump', 'dynamic_listeners', 'ListenersConfigDump.DynamicListener'],
  static_route_configs: ['RoutesConfigDump', 'static_route_configs', 'RoutesConfigDump.StaticRouteConfig'],
  dynamic_route_configs: ['RoutesConfigDump', 'dynamic_route_configs', 'RoutesConfigDump.DynamicRouteConfig'],
};

/** Options: the proxy directory to serve, faults by path, extra latency, and a watcher of requests in flight. */
export interface AdminServerOptions {
  dir: string;
  faults?: Partial<Record<string, Fault>>;
  latencyMs?: number;
  /** Told when a request arrives (`start`) and when its answer is finished or abandoned (`end`). */
  track?: (event: 'start' | 'end', path: string) => void;
}

/** Keeps the lines of a text /stats body whose stat name matches Envoy's `filter` regex, as Envoy does. */
export function filterStats(body: Buffer, filter: string | null): Buffer {
  if (filter === null) return body;
  const re = new RegExp(filter);
  const lines = body
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '' && re.test(line.slice(0, line.indexOf(':') >>> 0)));
  return Buffer.from(lines.map((l) => `${l}\n`).join(''));
}

/** Starts a fake admin server on 127.0.0.1. */
export async function startAdminServer(opts: AdminServerOptions): Promise<AdminServer> {
  const dump = JSON.parse(readFileSync(join(opts.dir, 'config_dump.json'), 'utf8')) as { configs: Array<Record<string, unknown>> };
  const stats = [readFileSync(join(opts.dir, 'stats.txt'))];
  try {
    stats.push(readFileSync(join(opts.dir, 'stats.later.txt')));
  } catch {
    // one sample only
  }
  let statsServed = 0;
  const requests: AdminServer['requests'] = [];
  const violations: string[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  // Answers are the same every time for the same request (but /stats, which alternates samples): made once.
  const made = new Map<string, { type: string; data: Buffer } | undefined>();
  const body = (url: URL): { type: string; data: Buffer } | undefined => {
    if (url.pathname === '/stats') return answer(url);
    const key = `${url.pathname}?${url.search}`;
    if (!made.has(key)) made.set(key, answer(url));
    return made.get(key);
  };
  const filtered = new Map<string, Buffer>();
  const answer = (url: URL): { type: string; data: Buffer } | undefined => {
    switch (url.pathname) {
      case '/server_info':
        return {
          type: 'application/json',
          data: Buffer.from(
            JSON.stringify({
              version: 'abc/1.35.6/Clean/RELEASE/BoringSSL',
              state: 'LIVE',
              node: (dump.configs[0]?.bootstrap as { node?: unknown } | undefined)?.node ?? {},
            }),
          ),
        };
      case '/config_dump': {
        const resource = url.searchParams.get('resource');
        const mask = url.searchParams.get('mask');
        if (!resource && mask) {
          // As Envoy answers a mask: each top-level dump trimmed to the masked fields, those left empty dropped.
          const boot = (dump.configs.find((c) => String(c['@type']).endsWith('.BootstrapConfigDump'))?.bootstrap ?? {}) as Record<string, unknown>;
          const fields = mask
            .split(',')
            .flatMap((m) => (m.startsWith('bootstrap.') && boot[m.slice(10)] !== undefined ? [[m.slice(10), boot[m.slice(10)]]] : []));
          return {
            type: 'application/json',
            data: Buffer.from(
              JSON.stringify({ configs: [{ '@type': 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump', bootstrap: Object.fromEntries(fields) }] }),
            ),
          };
        }
        const spec = resource ? RESOURCES[resource] : undefined;
        if (!spec)
          return {
            type: 'application/json',
            data: Buffer.from(JSON.stringify({ configs: dump.configs.filter((c) => !String(c['@type']).endsWith('SecretsConfigDump')) })),
          };
        const [configType, fieldName, entryType] = spec;
        const config = dump.configs.find((c) => String(c['@type']).endsWith(`.${configType}`));
        // Envoy answers 404 for a resource no config tracker provides (config_dump_handler.cc addResourceToDump).
        if (!config) return undefined;
        const entries = ((config?.[fieldName] as unknown[]) ?? []).map((e) => ({
          '@type': `type.googleapis.com/envoy.admin.v3.${entryType}`,
          ...(e as object),
        }));
        return { type: 'application/json', data: Buffer.from(JSON.stringify({ configs: entries })) };
      }
      case '/stats': {
        // Alternates earlier and later samples, so every diagnosis sees the same window.
        const which = statsServed % stats.length;
        const key = `${which}|${url.searchParams.get('filter') ?? ''}`;
        let data = filtered.get(key);
        if (!data) {
          data = filterStats(stats[which] as Buffer, url.searchParams.get('filter'));
          filtered.set(key, data);
        }
        statsServed++;
        return { type: 'text/plain', data };
      }
      case '/clusters':
      case '/listeners':
        return { type: 'application/json', data: Buffer.from('{}') };
      default:
        return undefined;
    }
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push({ method: req.method ?? '', url: req.url ?? '' });
    if (opts.track) {
      const track = opts.track;
      track('start', url.pathname);
      res.once('close', () => track('end', url.pathname));
    }
    if (req.method !== 'GET' || !READ_PATHS.has(url.pathname)) {
      violations.push(`${req.method} ${req.url}`);
      res.writeHead(405).end();
      return;
    }
    const respond = () => {
      const fault = opts.faults?.[url.pathname];
      const b = body(url);
      if (!b) {
        res.writeHead(404).end();
        return;
      }
      switch (fault) {
        case 'http503':
          res.writeHead(503, { 'content-type': 'text/plain' }).end('upstream connect error');
          return;
        case 'html':
          res.writeHead(500, { 'content-type': 'text/html' }).end('<html><body>Internal error</body></html>');
          return;
        case 'hang':
          return;
        case 'reset':
          req.socket.destroy();
          return;
        case 'truncate':
          res.writeHead(200, { 'content-type': b.type, 'content-length': String(b.data.length) });
          res.write(b.data.subarray(0, Math.floor(b.data.length / 2)), () => {
            const t = setTimeout(() => req.socket.destroy(), 20);
            timers.add(t);
          });
          return;
        case 'endless': {
          res.writeHead(200, { 'content-type': b.type });
          const chunk = Buffer.alloc(1 << 16, 'a');
          const pump = () => {
            while (res.write(chunk)) {
              // keep writing until the socket pushes back
            }
          };
          res.on('drain', pump);
          pump();
          return;
        }
        case 'slowloris': {
          res.writeHead(200, { 'content-type': b.type });
          const t = setInterval(() => res.write('x'), 50);
          timers.add(t);
          res.on('close', () => clearInterval(t));
          return;
        }
        default:
          res.writeHead(200, { 'content-type': b.type, 'content-length': String(b.data.length) }).end(b.data);
      }
    };
    if (opts.latencyMs) {
      const t = setTimeout(respond, opts.latencyMs);
      timers.add(t);
    } else respond();
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    violations,
    close: async () => {
      for (const t of timers) {
        clearTimeout(t);
        clearInterval(t);
      }
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
