// A load balancer's idle timer, in the lab: a TCP proxy on 127.0.0.1 that forwards every connection to one port and
// closes both of its connections once no byte went either way for `idleMs`, as an AWS Application Load Balancer does
// with its connection idle timeout ("no data being sent or received", docs.aws.amazon.com/elasticloadbalancing/latest/
// application/edit-load-balancer-attributes.html) and Cloudflare with its read timeout. It sees bytes only: TCP
// keepalive probes are answered by the kernel and never reach it, as they never reach an HTTP-aware intermediary.
// Placed in front of Envoy it closes the client side (Envoy sees the downstream go: DC); placed between Envoy and the
// backend it closes the upstream side (UC).

import { createServer, connect, type Server, type Socket } from 'node:net';

/** How one proxied connection ended. */
export interface ProxiedEnd {
  /** Milliseconds from accept to close. */
  ms: number;
  /** `idle` when the proxy's timer closed it, `client` or `server` when that side closed first. */
  by: 'idle' | 'client' | 'server';
}

/** A running idle-timer proxy. */
export interface IdleProxy {
  port: number;
  /** Connections that ended so far. */
  ended(): ProxiedEnd[];
  /** Connections open now. */
  open(): number;
  /** Stops accepting now, and ends what is still open after `graceMs` (0: at once); resolves when all is closed. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Starts a proxy to 127.0.0.1:`targetPort` that closes a connection pair idle for `idleMs`, listening on `port` (0: one
 * the OS chooses); `reset` closes with RST instead of FIN.
 */
export async function startIdleProxy(targetPort: number, idleMs: number, options: { port?: number; reset?: boolean } = {}): Promise<IdleProxy> {
  const ended: ProxiedEnd[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const accepted = Date.now();
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (by: ProxiedEnd['by']) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ended.push({ ms: Date.now() - accepted, by });
      for (const s of [client, upstream]) {
        sockets.delete(s);
        if (by === 'idle' && options.reset) s.resetAndDestroy();
        else s.end(() => s.destroy());
        // A peer that never answers the FIN is cut off.
        setTimeout(() => s.destroy(), 1000).unref();
      }
    };
    const touch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish('idle'), idleMs);
    };
    touch();
    client.on('data', (d: Buffer) => {
      touch();
      if (!upstream.write(d)) client.pause();
    });
    upstream.on('data', (d: Buffer) => {
      touch();
      if (!client.write(d)) upstream.pause();
    });
    upstream.on('drain', () => client.resume());
    client.on('drain', () => upstream.resume());
    client.on('end', () => finish('client'));
    upstream.on('end', () => finish('server'));
    client.on('error', () => finish('client'));
    upstream.on('error', () => finish('server'));
    client.on('close', () => finish('client'));
    upstream.on('close', () => finish('server'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('idle proxy: no port');
  return {
    port: address.port,
    ended: () => [...ended],
    open: () => sockets.size / 2,
    close: (graceMs = 0) =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        setTimeout(() => {
          for (const s of sockets) s.destroy();
          sockets.clear();
        }, graceMs);
      }),
  };
}
