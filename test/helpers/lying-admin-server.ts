// An admin endpoint on 127.0.0.1 that lies about what it sends: the wrong content type, an HTML page with 200, a
// chunked body that stops before its last chunk, gzip nobody asked for (a bomb that would inflate to gigabytes), a
// body that never ends, or one byte at a time forever. It records the headers of every request it gets.

import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';

/** How the endpoint lies. */
export type Lie =
  | { kind: 'content-type'; body: Buffer; contentType: string }
  | { kind: 'html-200' }
  | { kind: 'chunked-stop'; body: Buffer }
  | { kind: 'gzip-bomb'; inflatedBytes: number }
  | { kind: 'endless' }
  | { kind: 'slowloris'; everyMs: number };

/** A running lying endpoint. */
export interface LyingServer {
  url: string;
  /** Headers of every request received, in order. */
  requests: Array<{ url: string; headers: IncomingHttpHeaders }>;
  /** Bytes the server managed to write to clients. */
  written(): number;
  close(): Promise<void>;
}

/** The HTML page a proxy or login gateway in front of an admin port answers with. */
export const HTML_PAGE = '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>\n';

/** Gzip of `inflated` zero bytes, made once per size (a megabyte of gzip per gigabyte of zeros). */
const bombs = new Map<number, Buffer>();
export function gzipBomb(inflated: number): Buffer {
  let b = bombs.get(inflated);
  if (!b) {
    b = gzipSync(Buffer.alloc(inflated), { level: 9 });
    bombs.set(inflated, b);
  }
  return b;
}

/** Starts a server answering every GET with `lie`. */
export async function startLyingServer(lie: Lie): Promise<LyingServer> {
  const requests: LyingServer['requests'] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let written = 0;
  const send = (res: ServerResponse, data: Buffer | string, done?: () => void): boolean => {
    written += Buffer.byteLength(data);
    return res.write(data, done);
  };
  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', headers: req.headers });
    switch (lie.kind) {
      case 'content-type':
        res.writeHead(200, { 'content-type': lie.contentType, 'content-length': String(lie.body.length) });
        written += lie.body.length;
        res.end(lie.body);
        return;
      case 'html-200':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        written += HTML_PAGE.length;
        res.end(HTML_PAGE);
        return;
      case 'chunked-stop':
        // No content-length: Node sends chunked encoding; half the body, then the connection closes mid-stream.
        res.writeHead(200, { 'content-type': 'text/plain' });
        send(res, lie.body.subarray(0, Math.floor(lie.body.length / 2)), () => {
          const t = setTimeout(() => req.socket.destroy(), 20);
          timers.add(t);
        });
        return;
      case 'gzip-bomb': {
        const body = gzipBomb(lie.inflatedBytes);
        res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip', 'content-length': String(body.length) });
        written += body.length;
        res.end(body);
        return;
      }
      case 'endless': {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = Buffer.from('cluster.a.upstream_cx_total: 1\n'.repeat(2048));
        const pump = () => {
          while (!res.destroyed && send(res, chunk)) {
            // until the socket pushes back
          }
        };
        res.on('drain', pump);
        pump();
        return;
      }
      case 'slowloris': {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const t = setInterval(() => send(res, 'c'), lie.everyMs);
        timers.add(t);
        res.on('close', () => clearInterval(t));
        return;
      }
    }
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    written: () => written,
    close: async () => {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
