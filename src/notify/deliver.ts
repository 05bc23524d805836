// Posting JSON to a sink over HTTP(S) with undici: a deadline per request, bounded retries with exponential
// backoff on network errors, 429 and 5xx, honouring Retry-After (seconds or an HTTP date, capped). Any other 4xx
// is final. Failures are described without the URL: it holds the sink's secret token.

import { Agent, type Dispatcher, request } from 'undici';

/** Limits of one delivery. */
interface DeliveryOptions {
  /** Deadline for one request, headers and body together. */
  timeoutMs: number;
  /** Extra attempts after a failure that may pass. */
  retries: number;
  /** First backoff; each later one doubles. */
  baseDelayMs: number;
  /** Cap on a backoff and on a Retry-After wait. */
  maxDelayMs: number;
  /** Waits between attempts (tests may record them). */
  sleep: (ms: number) => Promise<void>;
  /** The clock, for Retry-After dates. */
  now: () => number;
}

/** Default limits: 10s per request, 3 retries from 1s doubling, waits capped at 30s. */
const DEFAULT_DELIVERY: DeliveryOptions = {
  timeoutMs: 10_000,
  retries: 3,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
};

/** A body already written as JSON, as UTF-8 bytes, posted as they are. */
export class JsonBytes {
  readonly bytes: Buffer;
  constructor(bytes: Buffer) {
    this.bytes = bytes;
  }
}

/** How a delivery ended. */
type DeliveryResult = { ok: true; attempts: number } | { ok: false; attempts: number; reason: string };

/** Milliseconds a Retry-After header asks for (delta-seconds or an HTTP date); undefined when absent or malformed. */
export function retryAfterMs(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at) || !/[A-Za-z]/.test(text)) return undefined;
  return Math.max(0, at - nowMs);
}

/** The wait before retry number `attempt` (0-based): base doubling, capped; a Retry-After, when given, wins (capped too). */
export function backoffMs(attempt: number, o: Pick<DeliveryOptions, 'baseDelayMs' | 'maxDelayMs'>, retryAfter?: number): number {
  if (retryAfter !== undefined) return Math.min(retryAfter, o.maxDelayMs);
  return Math.min(o.baseDelayMs * 2 ** attempt, o.maxDelayMs);
}

/** Whether an HTTP status may pass on a later attempt. */
export function retryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/** A network failure in words that never include the URL or its host. */
function networkReason(err: unknown, timeoutMs: number): string {
  const code = (err as { code?: string }).code ?? '';
  const name = (err as Error).name ?? '';
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'connection reset';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') return 'connection timed out';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_ABORTED' || name === 'AbortError' || name === 'TimeoutError') {
    return `no answer within ${timeoutMs / 1000}s`;
  }
  if (/^(CERT_|ERR_TLS|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED)/.test(code)) return `TLS failure (${code})`;
  return /^[A-Z][A-Z0-9_]+$/.test(code) ? `network error (${code})` : 'network error';
}

/** Posts JSON bodies to sinks through one connection pool. */
export class Deliverer {
  private readonly options: DeliveryOptions;
  private readonly agent: Agent;

  constructor(options: Partial<DeliveryOptions> = {}) {
    this.options = { ...DEFAULT_DELIVERY, ...options };
    this.agent = new Agent({ connections: 2, keepAliveTimeout: 4_000, connect: { timeout: this.options.timeoutMs } });
  }

  /**
   * POSTs `body` as JSON; success is any 2xx. `describeBody` may turn a failed answer's body into a short code
   * worth reporting (Slack's `invalid_payload`); by default bodies are not reported.
   */
  async post(url: string, body: unknown, describeBody: (text: string) => string | undefined = () => undefined): Promise<DeliveryResult> {
    const payload = body instanceof JsonBytes ? body.bytes : JSON.stringify(body);
    let reason = '';
    for (let attempt = 0; ; attempt++) {
      let retryAfter: number | undefined;
      let retry: boolean;
      try {
        const res = await this.once(url, payload);
        if (res.status >= 200 && res.status < 300) return { ok: true, attempts: attempt + 1 };
        const detail = describeBody(res.text);
        reason = `HTTP ${res.status}${detail ? ` ${detail}` : ''}`;
        retry = retryableStatus(res.status);
        retryAfter = retryAfterMs(res.retryAfter, this.options.now());
      } catch (err) {
        reason = networkReason(err, this.options.timeoutMs);
        retry = true;
      }
      if (!retry || attempt >= this.options.retries) return { ok: false, attempts: attempt + 1, reason };
      await this.options.sleep(backoffMs(attempt, this.options, retryAfter));
    }
  }

  private async once(url: string, payload: string | Buffer): Promise<{ status: number; text: string; retryAfter: string | string[] | undefined }> {
    const res = await request(url, {
      method: 'POST',
      dispatcher: this.agent as Dispatcher,
      signal: AbortSignal.timeout(this.options.timeoutMs),
      headersTimeout: this.options.timeoutMs,
      bodyTimeout: this.options.timeoutMs,
      headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'envoy-doctor' },
      body: payload,
    });
    let text = '';
    try {
      text = (await res.body.text()).slice(0, 2000);
    } catch {
      // The status decides; a body cut short does not change it.
    }
    return { status: res.statusCode, text, retryAfter: res.headers['retry-after'] };
  }

  /** Closes the connection pool. */
  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** A destination for events: where it is, what it is called in messages (never the URL), and its message shape. */
export interface Sink<E> {
  /** `slack` or `webhook`: the key of its state. */
  name: string;
  /** How messages name it: `the Slack webhook`. */
  label: string;
  url: string;
  /** The body posted for one event. */
  payload(event: E): unknown;
  /** A short code from a failed answer's body worth reporting, if any. */
  describeBody?: (text: string) => string | undefined;
}
