// The lab's clients: WebSockets that read normally or not at all, plain HTTP requests, raw TCP, and an HTTP/2
// extended CONNECT (RFC 8441) WebSocket bootstrap over TLS. All to 127.0.0.1.

import { type ClientHttp2Session, type ClientHttp2Stream, connect as http2Connect, constants as h2 } from 'node:http2';
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
export async function tcpSessionLength(port: number, waitMs: number): Promise<number | undefined> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), waitMs);
  const outcome = await tcpOutcome(port, abort.signal);
  clearTimeout(timer);
  return outcome.status === 101 || abort.signal.aborted ? outcome.closedAfterMs : 0;
}

/** Resolves with an HTTP/2 stream's :status (0 when it fails), then closes its session. */
function resolveStatus(session: ClientHttp2Session, stream: ClientHttp2Stream, resolve: (status: number) => void): void {
  stream.on('response', (headers) => {
    resolve(Number(headers[h2.HTTP2_HEADER_STATUS]));
    session.destroy();
  });
  stream.on('error', () => {
    resolve(0);
    session.destroy();
  });
}

/** The headers of an RFC 8441 WebSocket bootstrap to /ws/echo, with or without a Sec-WebSocket-Key. */
function extendedConnectHeaders(port: number, key: boolean | undefined): Record<string, string> {
  return {
    [h2.HTTP2_HEADER_METHOD]: 'CONNECT',
    ':protocol': 'websocket',
    [h2.HTTP2_HEADER_SCHEME]: 'https',
    [h2.HTTP2_HEADER_PATH]: '/ws/echo',
    [h2.HTTP2_HEADER_AUTHORITY]: `127.0.0.1:${port}`,
    'sec-websocket-version': '13',
    ...(key ? { 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } : {}),
  };
}

/**
 * An RFC 8441 WebSocket bootstrap over HTTP/2 with TLS (h2 by ALPN); resolves with the :status Envoy answered, or -1
 * when the server's SETTINGS did not enable extended CONNECT. `key` also sends a Sec-WebSocket-Key, which RFC 8441
 * section 5 leaves out but an HTTP/1.1 backend behind Envoy checks (envoyproxy/envoy#8547).
 */
export function extendedConnectStatus(port: number, options: { key?: boolean } = {}): Promise<number> {
  return new Promise((resolve) => {
    const session = http2Connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false, ALPNProtocols: ['h2', 'http/1.1'] });
    session.on('error', () => resolve(0));
    const send = () => {
      resolveStatus(session, session.request(extendedConnectHeaders(port, options.key)), resolve);
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

/** How one session of a churn ended: the upgrade status (101 when it opened), and when it closed (ms after open). */
export interface SessionOutcome {
  status: number;
  /** Milliseconds from open to close; undefined while it is still open (or when it was ended by the churn's stop). */
  closedAfterMs?: number;
  /** Milliseconds from the request to the answer (101 or the refusal). */
  answeredAfterMs: number;
}

/** A WebSocket that stays open until the peer closes it or `signal` aborts; resolves with how it ended. */
export async function webSocketOutcome(url: string, signal: AbortSignal): Promise<SessionOutcome> {
  const asked = Date.now();
  let session: ClientSession;
  try {
    session = await openWebSocket(url, { timeoutMs: 10_000 });
  } catch (err) {
    const m = /upgrade refused: (\d+)/.exec((err as Error).message);
    return { status: m ? Number(m[1]) : 0, answeredAfterMs: Date.now() - asked };
  }
  const answeredAfterMs = Date.now() - asked;
  return new Promise((resolve) => {
    const done = () => resolve({ status: 101, closedAfterMs: session.closedAfterMs(), answeredAfterMs });
    if (signal.aborted) {
      session.close();
      done();
      return;
    }
    session.ws.once('close', done);
    signal.addEventListener('abort', () => {
      session.ws.off('close', done);
      session.close();
      resolve({ status: 101, answeredAfterMs });
    });
  });
}

/** A raw TCP connection that writes one line and stays open until the peer closes it or `signal` aborts. */
export function tcpOutcome(port: number, signal: AbortSignal): Promise<SessionOutcome> {
  return new Promise((resolve) => {
    const asked = Date.now();
    const s = netConnect(port, '127.0.0.1');
    let opened = 0;
    s.on('connect', () => {
      opened = Date.now();
      s.write('hello\n');
    });
    s.on('data', () => {});
    s.on('error', () => {});
    const onAbort = () => {
      s.removeAllListeners('close');
      s.destroy();
      resolve({ status: opened ? 101 : 0, answeredAfterMs: opened ? opened - asked : Date.now() - asked });
    };
    signal.addEventListener('abort', onAbort);
    s.on('close', () => {
      signal.removeEventListener('abort', onAbort);
      resolve(
        opened ? { status: 101, closedAfterMs: Date.now() - opened, answeredAfterMs: opened - asked } : { status: 0, answeredAfterMs: Date.now() - asked },
      );
    });
  });
}

/** Sessions started one every `everyMs` until stopped, so a timer keeps firing while envoy-doctor samples. */
export interface Churn<T extends SessionOutcome = SessionOutcome> {
  /** Sessions that ended so far. */
  ended(): T[];
  /** Sessions open now. */
  open(): number;
  /** Stops starting sessions, leaving the open ones as they are (for a timer to end them). */
  pause(): void;
  /** Stops starting sessions and ends the open ones; resolves with every outcome. */
  stop(): Promise<T[]>;
}

/** Starts `session` now and every `everyMs` after it, each with the churn's abort signal. */
export function churn<T extends SessionOutcome = SessionOutcome>(everyMs: number, session: (signal: AbortSignal) => Promise<T>): Churn<T> {
  const abort = new AbortController();
  const ended: T[] = [];
  const pending = new Set<Promise<T>>();
  const begin = () => {
    const p = session(abort.signal);
    pending.add(p);
    void p.then((o) => {
      pending.delete(p);
      if (!abort.signal.aborted || o.closedAfterMs !== undefined || o.status !== 101) ended.push(o);
    });
  };
  begin();
  const timer = setInterval(begin, everyMs);
  return {
    ended: () => [...ended],
    open: () => pending.size,
    pause: () => clearInterval(timer),
    async stop() {
      clearInterval(timer);
      abort.abort();
      await Promise.all(pending);
      return [...ended];
    },
  };
}

/** The median of some measurements (null when there are none), rounded to whole milliseconds or thousandths. */
export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const v = [...values].sort((a, b) => a - b);
  const m = v.length % 2 ? (v[(v.length - 1) / 2] as number) : ((v[v.length / 2 - 1] as number) + (v[v.length / 2] as number)) / 2;
  return Math.round(m * 1000) / 1000;
}

/**
 * An RFC 8441 extended CONNECT sent at once, before the server's SETTINGS are read (a client that does not wait
 * for SETTINGS_ENABLE_CONNECT_PROTOCOL); resolves with the :status, or 0 and the stream's error code when the
 * stream was reset.
 */
export function extendedConnectUnchecked(port: number): Promise<{ status: number; error?: string }> {
  return new Promise((resolve) => {
    const session = http2Connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false, ALPNProtocols: ['h2'] });
    const done = (r: { status: number; error?: string }) => {
      resolve(r);
      session.destroy();
    };
    session.on('error', (err) => done({ status: 0, error: (err as NodeJS.ErrnoException).code ?? err.message }));
    const stream = session.request(extendedConnectHeaders(port, false));
    stream.on('response', (headers) => done({ status: Number(headers[h2.HTTP2_HEADER_STATUS]) }));
    stream.on('close', () => done({ status: 0, error: `rst ${stream.rstCode}` }));
    stream.on('error', (err) => done({ status: 0, error: (err as NodeJS.ErrnoException).code ?? err.message }));
  });
}

/** A GET over HTTP/2 with TLS carrying the WebSocket headers HTTP/2 allows (no Upgrade); resolves with the :status. */
export function http2GetStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const session = http2Connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false, ALPNProtocols: ['h2'] });
    session.on('error', () => resolve(0));
    const stream = session.request({ [h2.HTTP2_HEADER_PATH]: path, 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' });
    resolveStatus(session, stream, resolve);
    stream.end();
  });
}
