// Streamed responses that are not upgrades: server-sent events over HTTP/1.1 (the aiohttp backend's /sse), and
// gRPC server streams over cleartext HTTP/2 to a small node:http2 server of the lab's own. Each client reads its
// response until it ends, and says how it ended: complete (the final chunk, or gRPC trailers), or cut (the connection
// closed or the stream reset before that), after how long, with what it had received.

import { connect as http2Connect, constants as h2, createServer, type Http2Server, type Http2Session, type ServerHttp2Stream } from 'node:http2';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SessionOutcome } from './clients.ts';

/** How one streamed response ended, as its client saw it. */
export interface StreamOutcome extends SessionOutcome {
  /** The response's content-type. */
  contentType?: string;
  /** Events (SSE) or messages (gRPC) received. */
  messages: number;
  /** True when the response ended by itself (final chunk, or trailers); false when it was cut. */
  complete: boolean;
  /** The HTTP/2 RST_STREAM code the client got, when it got one. */
  rstCode?: number;
  /** The trailers' grpc-status, when trailers came. */
  grpcStatus?: string;
}

/** Milliseconds between messages of the lab's gRPC server streams. */
export const GRPC_EVERY_MS = 200;

/** A 5-byte gRPC message prefix and an empty message body. */
const EMPTY_MESSAGE = Buffer.from([0, 0, 0, 0, 0]);

/** The end of one stream, as the gRPC server saw it. */
export interface GrpcStreamEnd {
  path: string;
  ms: number;
  messages: number;
  rstCode: number;
}

/** The lab's gRPC server: every POST is a server stream that sends a message every GRPC_EVERY_MS until the peer goes. */
export interface GrpcServer {
  port: number;
  ended(): GrpcStreamEnd[];
  stop(): Promise<void>;
}

/** Starts the gRPC server on 127.0.0.1, on a port chosen by the OS. */
export async function startGrpcServer(): Promise<GrpcServer> {
  const ended: GrpcStreamEnd[] = [];
  const server: Http2Server = createServer();
  const sessions = new Set<Http2Session>();
  server.on('session', (session: Http2Session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  server.on('stream', (stream: ServerHttp2Stream, headers) => {
    const started = Date.now();
    let messages = 0;
    stream.on('error', () => {});
    stream.respond({ [h2.HTTP2_HEADER_STATUS]: 200, 'content-type': 'application/grpc' });
    const timer = setInterval(() => {
      if (stream.destroyed || stream.closed) return;
      stream.write(Buffer.concat([Buffer.from([0, 0, 0, 0, 4]), Buffer.from('tick')]));
      messages++;
    }, GRPC_EVERY_MS);
    stream.on('close', () => {
      clearInterval(timer);
      ended.push({ path: String(headers[h2.HTTP2_HEADER_PATH]), ms: Date.now() - started, messages, rstCode: stream.rstCode ?? 0 });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return {
    port: (server.address() as AddressInfo).port,
    ended: () => [...ended],
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Open sessions keep a closing server alive: end them.
        for (const session of sessions) session.destroy();
      }),
  };
}

/** A server-sent-events GET over HTTP/1.1 that reads until the response ends or `signal` aborts. */
export function sseOutcome(url: string, signal: AbortSignal): Promise<StreamOutcome> {
  return new Promise((resolve) => {
    const asked = Date.now();
    let answeredAfterMs = 0;
    let settled = false;
    const done = (o: Omit<StreamOutcome, 'answeredAfterMs'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...o, answeredAfterMs });
    };
    const req = request(url, { agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      answeredAfterMs = Date.now() - asked;
      const contentType = res.headers['content-type'];
      let messages = 0;
      res.setEncoding('utf8');
      res.on('data', (s: string) => {
        messages += s.split('\n\n').length - 1;
      });
      res.on('error', () => {});
      res.on('close', () => {
        if (signal.aborted) return done({ status: res.statusCode ?? 0, messages, complete: res.complete, ...(contentType ? { contentType } : {}) });
        done({ status: res.statusCode ?? 0, closedAfterMs: Date.now() - asked, messages, complete: res.complete, ...(contentType ? { contentType } : {}) });
      });
    });
    req.on('error', () => done({ status: 0, closedAfterMs: Date.now() - asked, messages: 0, complete: false }));
    signal.addEventListener('abort', () => req.destroy(), { once: true });
    req.end();
  });
}

/**
 * A gRPC call over cleartext HTTP/2 (prior knowledge) that reads until the stream ends or `signal` aborts.
 * `halfClose: true` ends the request after one message, as a server-streaming call does; false keeps it open, as a
 * bidirectional stream whose client has more to send.
 */
export function grpcOutcome(port: number, path: string, signal: AbortSignal, halfClose = true): Promise<StreamOutcome> {
  return new Promise((resolve) => {
    const asked = Date.now();
    let answeredAfterMs = 0;
    let settled = false;
    const session = http2Connect(`http://127.0.0.1:${port}`);
    const done = (o: Omit<StreamOutcome, 'answeredAfterMs'>) => {
      if (settled) return;
      settled = true;
      session.destroy();
      resolve({ ...o, answeredAfterMs });
    };
    session.on('error', () => done({ status: 0, closedAfterMs: Date.now() - asked, messages: 0, complete: false }));
    const stream = session.request({
      [h2.HTTP2_HEADER_METHOD]: 'POST',
      [h2.HTTP2_HEADER_PATH]: path,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    let status = 0;
    let contentType: string | undefined;
    let grpcStatus: string | undefined;
    let bytes = 0;
    stream.on('response', (headers) => {
      answeredAfterMs = Date.now() - asked;
      status = Number(headers[h2.HTTP2_HEADER_STATUS]);
      contentType = headers['content-type'] as string | undefined;
      if (headers['grpc-status'] !== undefined) grpcStatus = String(headers['grpc-status']);
    });
    stream.on('data', (d: Buffer) => {
      bytes += d.length;
    });
    stream.on('trailers', (t) => {
      if (t['grpc-status'] !== undefined) grpcStatus = String(t['grpc-status']);
    });
    stream.on('error', () => {});
    stream.on('close', () => {
      const o = {
        status,
        messages: Math.floor(bytes / 9),
        complete: stream.rstCode === h2.NGHTTP2_NO_ERROR && grpcStatus !== undefined,
        rstCode: stream.rstCode,
        ...(contentType ? { contentType } : {}),
        ...(grpcStatus !== undefined ? { grpcStatus } : {}),
      };
      done(signal.aborted ? o : { ...o, closedAfterMs: Date.now() - asked });
    });
    signal.addEventListener('abort', () => stream.close(h2.NGHTTP2_CANCEL), { once: true });
    stream.write(EMPTY_MESSAGE);
    if (halfClose) stream.end();
  });
}
