// A Node.js HTTP backend that closes idle keep-alive connections, as every Node.js server does: after the last
// response, a connection left idle for `server.keepAliveTimeout` (5 s by default) plus `server.keepAliveTimeoutBuffer`
// (Node.js >= 24.6, 1 s by default; nodejs/node#59243) is destroyed by the server (lib/_http_server.js).
//
// Between Envoy and the server sits the network: a relay in the same process that delays every byte, and every
// close, by LATENCY_MS each way, as a network between two hosts does (the race below is as wide as the round trip:
// a request already on its way when the server closes arrives at a closed socket, and the server's kernel resets it).
//
// Run as `node lab/keepalive-backend.ts KEEPALIVE_MS BUFFER_MS LATENCY_MS`: prints `{"http": PORT}` (the relay's port
// on 127.0.0.1) when it listens, then one JSON line per server connection that closes, `{"event": "cx-closed",
// "requests", "idleMs", "by"}` (`by`: `server` when its keep-alive timer ended it, else `peer`), and one
// `{"event": "late-request", "idleMs"}` per request the relay delivered to a connection the server had already closed.
// Every response carries `x-request-on-connection` (1 for the first request of a connection), so a client can tell a
// reused connection from a new one. It stops on SIGTERM or when its standard input closes. Started by the lab with
// `startKeepaliveBackend`.

import { createServer } from 'node:http';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type LabProcess, start } from './processes.ts';

/** How one backend connection ended. */
export interface BackendConnectionEnd {
  requests: number;
  /** Milliseconds from the last response's end (or the accept) to the close. */
  idleMs: number;
  by: 'server' | 'peer';
}

/** A running keep-alive backend. */
export interface KeepaliveBackend {
  /** The port Envoy connects to (the relay's). */
  port: number;
  /** Server connections that closed so far. */
  closed(): BackendConnectionEnd[];
  /** Requests that reached a connection the server had already closed (ms it had been closed). */
  late(): number[];
  stop(): Promise<void>;
}

/** Starts the backend in a process of its own (so its timers run on an event loop the lab's clients do not share). */
export async function startKeepaliveBackend(options: { keepAliveMs: number; bufferMs: number; latencyMs: number }): Promise<KeepaliveBackend> {
  const args = [options.keepAliveMs, options.bufferMs, options.latencyMs].map(String);
  const p: LabProcess = start(process.execPath, [fileURLToPath(import.meta.url), ...args]);
  const port = await p.waitFor(
    (line) => {
      try {
        return (JSON.parse(line) as { http?: number }).http;
      } catch {
        return undefined;
      }
    },
    20_000,
    'the keep-alive backend',
  );
  const events = () =>
    p
      .stdout()
      .split('\n')
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as { event?: string; requests: number; idleMs: number; by: 'server' | 'peer' }];
        } catch {
          return [];
        }
      });
  return {
    port,
    closed: () => events().flatMap((e) => (e.event === 'cx-closed' ? [{ requests: e.requests, idleMs: e.idleMs, by: e.by }] : [])),
    late: () => events().flatMap((e) => (e.event === 'late-request' ? [e.idleMs] : [])),
    stop: () => p.stop(),
  };
}

const emit = (v: object) => process.stdout.write(`${JSON.stringify(v)}\n`);
const ms = (since: number) => Math.round((performance.now() - since) * 10) / 10;

/** The HTTP server, with Node.js's own keep-alive timer; resolves with its port. */
function serve(keepAliveMs: number, bufferMs: number): Promise<number> {
  const connections = new WeakMap<Socket, { requests: number; idleSince: number; timedOut: boolean }>();
  const server = createServer((req, res) => {
    const state = connections.get(req.socket);
    if (state) state.requests += 1;
    req.resume();
    req.on('end', () => {
      res.setHeader('x-request-on-connection', String(state?.requests ?? 0));
      res.end('ok\n');
    });
    res.on('finish', () => {
      if (state) state.idleSince = performance.now();
    });
  });
  server.keepAliveTimeout = keepAliveMs;
  server.keepAliveTimeoutBuffer = bufferMs;
  server.on('connection', (socket: Socket) => {
    const state = { requests: 0, idleSince: performance.now(), timedOut: false };
    connections.set(socket, state);
    socket.on('timeout', () => {
      state.timedOut = true;
    });
    socket.on('close', () => emit({ event: 'cx-closed', requests: state.requests, idleMs: ms(state.idleSince), by: state.timedOut ? 'server' : 'peer' }));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

/** Relays one accepted connection to the server, every byte and every close `latencyMs` later, each way. */
function relay(client: Socket, serverPort: number, latencyMs: number): void {
  const server = connect({ port: serverPort, host: '127.0.0.1', allowHalfOpen: true });
  let serverEndedAt: number | undefined;
  const later = (fn: () => void) => setTimeout(fn, latencyMs);
  client.on('data', (chunk: Buffer) =>
    later(() => {
      if (serverEndedAt !== undefined) emit({ event: 'late-request', idleMs: ms(serverEndedAt) });
      if (!server.destroyed) server.write(chunk);
    }),
  );
  server.on('data', (chunk: Buffer) => later(() => !client.destroyed && client.write(chunk)));
  // A FIN travels as data does; a reset (the server's kernel answering a request sent to a closed socket) too.
  server.on('end', () => {
    serverEndedAt = performance.now();
    later(() => !client.destroyed && client.end());
  });
  client.on('end', () => later(() => !server.destroyed && server.end()));
  server.on('error', () => later(() => !client.destroyed && client.resetAndDestroy()));
  client.on('error', () => later(() => !server.destroyed && server.resetAndDestroy()));
  server.on('close', () => later(() => client.destroy()));
  client.on('close', () => later(() => server.destroy()));
}

async function main(keepAliveMs: number, bufferMs: number, latencyMs: number): Promise<void> {
  const serverPort = await serve(keepAliveMs, bufferMs);
  const front = createTcpServer({ allowHalfOpen: true }, (client) => relay(client, serverPort, latencyMs));
  front.listen(0, '127.0.0.1', () => emit({ http: (front.address() as { port: number }).port }));
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.stdin.on('end', stop).resume();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) void main(Number(process.argv[2] ?? 5000), Number(process.argv[3] ?? 0), Number(process.argv[4] ?? 0));
