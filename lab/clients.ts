// The lab's clients: WebSockets that read normally or not at all, plain HTTP requests, raw TCP, and an HTTP/2
// extended CONNECT (RFC 8441) WebSocket bootstrap over TLS. All to 127.0.0.1.

import { connect as http2Connect, constants as h2 } from 'node:http2';
import { connect as netConnect, type Socket } from 'node:net';
import { request } from 'node:http';
import WebSocket from 'ws';

/** A WebSocket session as the client saw it. */
export interface ClientSession {
  ws: WebSocket;
  /** Milliseconds from open to close, when closed. */
  closedAfterMs(): number | undefined;
  /** Bytes received. */
  bytes(): number;
  close(): void;
}

/** Opens a WebSocket through Envoy; `read: false` stops reading from the socket right after the handshake. */
export async function openWebSocket(url: string, options: { read?: boolean; timeoutMs?: number } = {}): Promise<ClientSession> {
  const ws = new WebSocket(url, { handshakeTimeout: options.timeoutMs ?? 5000, perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
  const opened = Date.now();
  let closedAt: number | undefined;
  let bytes = 0;
  ws.on('message', (d: Buffer) => {
    bytes += d.length;
  });
  ws.on('error', () => {});
  ws.on('close', () => {
    closedAt = Date.now();
  });
  if (options.read === false) (ws as unknown as { _socket: Socket })._socket.pause();
  return {
    ws,
    closedAfterMs: () => (closedAt === undefined ? undefined : closedAt - opened),
    bytes: () => bytes,
    close: () => ws.terminate(),
  };
}

/** Tries a WebSocket upgrade; resolves with the HTTP status Envoy answered (101 when it upgraded). */
export async function upgradeStatus(url: string, timeoutMs?: number): Promise<number> {
  try {
    const s = await openWebSocket(url, timeoutMs === undefined ? {} : { timeoutMs });
    s.close();
    return 101;
  } catch (err) {
    const m = /upgrade refused: (\d+)/.exec((err as Error).message);
    return m ? Number(m[1]) : 0;
  }
}

/** A plain GET; resolves with its status (0 when the connection failed). */
export function get(url: string, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** A raw TCP connection that stays open; resolves with when it closed (ms after connect), or undefined at `waitMs`. */
export function tcpSessionLength(port: number, waitMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s = netConnect(port, '127.0.0.1');
    let opened = 0;
    s.on('connect', () => {
      opened = Date.now();
      s.write('hello\n');
    });
    s.on('data', () => {});
    s.on('error', () => {});
    const timer = setTimeout(() => {
      s.destroy();
      resolve(undefined);
    }, waitMs);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(opened ? Date.now() - opened : 0);
    });
  });
}

/** An RFC 8441 WebSocket bootstrap over HTTP/2 with TLS (h2 by ALPN); resolves with the :status Envoy answered. */
export function extendedConnectStatus(port: number): Promise<number> {
  return new Promise((resolve) => {
    const session = http2Connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false, ALPNProtocols: ['h2', 'http/1.1'] });
    session.on('error', () => resolve(0));
    const send = () => {
      const stream = session.request({
        [h2.HTTP2_HEADER_METHOD]: 'CONNECT',
        ':protocol': 'websocket',
        [h2.HTTP2_HEADER_SCHEME]: 'https',
        [h2.HTTP2_HEADER_PATH]: '/ws/echo',
        [h2.HTTP2_HEADER_AUTHORITY]: `127.0.0.1:${port}`,
        'sec-websocket-version': '13',
      });
      stream.on('response', (headers) => {
        resolve(Number(headers[h2.HTTP2_HEADER_STATUS]));
        session.destroy();
      });
      stream.on('error', () => {
        resolve(0);
        session.destroy();
      });
    };
    session.on('remoteSettings', (settings) => {
      if (!settings.enableConnectProtocol) {
        // The server did not allow extended CONNECT: a client such as Firefox then gives up on the WebSocket.
        resolve(-1);
        session.destroy();
        return;
      }
      send();
    });
  });
}
