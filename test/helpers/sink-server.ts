// An HTTP server on 127.0.0.1 standing in for a Slack incoming webhook or a generic webhook: it records every POST
// (path, body, the status it answered) and answers from a script, so a test can make it fail, throttle and recover.
// Slack answers `ok` with 200, and errors with a short code in the body (`invalid_payload`, 503 for an outage,
// 429 with Retry-After when rate-limited); the script reproduces those answers.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One answer: a status, optional headers and body; `hang` never answers (a timeout). */
export interface SinkAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  hang?: boolean;
}

/** A POST the server received. */
export interface Received {
  path: string;
  /** The parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
  contentType: string | undefined;
  /** The status it was answered with. */
  status: number;
  /** When it arrived (ms since the epoch). */
  at: number;
}

/** A running sink. */
export interface SinkServer {
  /** The URL to post to: `http://127.0.0.1:<port><path>`. */
  url: string;
  port: number;
  path: string;
  received: Received[];
  /** The posts answered with 2xx, in order. */
  delivered(): Received[];
  /** Answers for the next requests, in order; once used up, `fallback` answers. */
  script: SinkAnswer[];
  fallback: SinkAnswer;
  close(): Promise<void>;
}

/** Starts a sink on 127.0.0.1 that answers 200 `ok` unless scripted otherwise. */
export async function startSinkServer(path = '/services/T0000000/B0000000/XXXXXXXXXXXXXXXXXXXXXXXX'): Promise<SinkServer> {
  const received: Received[] = [];
  const hanging = new Set<ServerResponse>();
  const sink: SinkServer = {
    url: '',
    port: 0,
    path,
    received,
    delivered: () => received.filter((r) => r.status >= 200 && r.status < 300),
    script: [],
    fallback: { status: 200, body: 'ok' },
    close: async () => undefined,
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // kept as text
    }
    const answer = sink.script.shift() ?? sink.fallback;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const status = req.method !== 'POST' ? 405 : url.pathname !== path ? 404 : answer.status;
    received.push({ path: url.pathname, body, contentType: req.headers['content-type'], status, at: Date.now() });
    if (answer.hang && status === answer.status) {
      hanging.add(res);
      return;
    }
    const out = status === 404 ? 'no_service' : status === 405 ? 'invalid_method' : (answer.body ?? '');
    res.writeHead(status, { 'content-type': 'text/plain', ...(answer.headers ?? {}) });
    res.end(out);
  };
  const server = createServer((req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  sink.port = (server.address() as AddressInfo).port;
  sink.url = `http://127.0.0.1:${sink.port}${path}`;
  sink.close = async () => {
    for (const r of hanging) r.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return sink;
}
