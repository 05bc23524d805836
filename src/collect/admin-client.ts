// A read-only client for Envoy's admin interface (docs/root/operations/admin.rst). It can only send GET,
// only to the paths and query parameters on the allowlist below: every admin endpoint that changes a proxy
// (/quitquitquit, /healthcheck/fail, /logging, /runtime_modify, /reset_counters, /drain_listeners, ...) is
// unreachable through it by construction. Secrets are never requested: config dumps are asked for by resource, and
// the bootstrap only through a field mask of its stats settings.

import { Agent, type Dispatcher, errors, request } from 'undici';

/** Admin paths envoy-doctor may read, with the query parameters each accepts. */
export const ADMIN_ALLOWLIST: Readonly<Record<string, readonly string[]>> = {
  '/server_info': [],
  '/config_dump': ['resource', 'mask', 'name_regex', 'include_eds'],
  '/stats': ['format', 'filter', 'usedonly', 'type', 'histogram_buckets'],
  '/stats/prometheus': ['usedonly', 'filter'],
  '/clusters': ['format'],
  '/listeners': ['format'],
  '/ready': [],
};

/** Config dump resources that together make the model; SecretsConfigDump is never among them. */
export const CONFIG_DUMP_RESOURCES = [
  'static_clusters',
  'dynamic_active_clusters',
  'static_listeners',
  'dynamic_listeners',
  'static_route_configs',
  'dynamic_route_configs',
] as const;

/**
 * The bootstrap fields that decide which stats exist (`stats_config`, `deferred_stat_options`), and those that decide
 * what the overload manager sheds (`overload_manager`, and `layered_runtime` for the runtime connection limit), read
 * as a config dump field mask: Envoy answers with a BootstrapConfigDump holding only them (admin.rst `mask`), never
 * secrets.
 */
export const BOOTSTRAP_STATS_MASK = 'bootstrap.stats_config,bootstrap.deferred_stat_options,bootstrap.overload_manager,bootstrap.layered_runtime';

/** A read that failed, with a one-line reason a person can act on. */
export class AdminError extends Error {
  readonly endpoint: string;
  readonly reason: string;
  constructor(endpoint: string, reason: string) {
    super(`${endpoint}: ${reason}`);
    this.name = 'AdminError';
    this.endpoint = endpoint;
    this.reason = reason;
  }
}

/** An error thrown by a body's consumer (a parser, a file), passed through unchanged and never retried. */
class ConsumerError extends Error {
  override readonly cause: unknown;
  constructor(cause: unknown) {
    super('consumer failed');
    this.cause = cause;
  }
}

/** Limits of one admin read. */
interface AdminClientOptions {
  /** Deadline for one request, headers and body together (`--timeout`). */
  timeoutMs: number;
  /** Extra attempts after a failure that may pass (connection errors, 5xx, timeouts). */
  retries: number;
  /** Largest body accepted. */
  maxBodyBytes: number;
  /** Connection pool to use (a port-forward's local endpoint, or a shared agent). */
  dispatcher?: Dispatcher;
}

/** Default limits. */
const DEFAULT_ADMIN_OPTIONS: AdminClientOptions = { timeoutMs: 15_000, retries: 2, maxBodyBytes: 512 * 1024 * 1024 };

/** Builds an allowlisted admin URL; throws for anything not on the list (a programming error). */
export function adminUrl(base: string, path: string, query: Record<string, string | true> = {}): URL {
  const allowed = ADMIN_ALLOWLIST[path];
  if (!allowed) throw new Error(`admin path ${path} is not on the read-only allowlist`);
  const url = new URL(`${base.replace(/\/$/, '')}${path}`);
  for (const [k, v] of Object.entries(query)) {
    if (!allowed.includes(k)) throw new Error(`query parameter ${k} is not allowed on ${path}`);
    url.searchParams.append(k, v === true ? '' : v);
  }
  return url;
}

/** An endpoint as errors name it: path and query, long values (the stats filter) shown as `…`. */
function endpointName(url: URL): string {
  const query = [...url.searchParams].map(([k, v]) => (v === '' ? k : `${k}=${v.length > 40 ? '…' : v}`));
  return `${url.pathname}${query.length > 0 ? `?${query.join('&')}` : ''}`;
}

function describe(err: unknown, timeoutMs: number): { reason: string; retry: boolean } {
  const code = (err as { code?: string }).code ?? '';
  if (err instanceof AdminError) return { reason: err.reason, retry: /^HTTP 5|truncated|no complete answer/.test(err.reason) };
  if (code === 'ECONNREFUSED') return { reason: 'connection refused', retry: true };
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return { reason: 'connection reset', retry: true };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { reason: 'host not found', retry: false };
  if (
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_ABORTED' ||
    (err as Error).name === 'AbortError' ||
    (err as Error).name === 'TimeoutError'
  ) {
    return { reason: `no complete answer within ${timeoutMs / 1000}s`, retry: true };
  }
  if (code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH') return { reason: 'body truncated', retry: true };
  if (err instanceof errors.UndiciError) return { reason: (err as Error).message, retry: true };
  return { reason: (err as Error).message ?? String(err), retry: false };
}

/** Reads admin endpoints of one proxy. */
export class AdminClient {
  readonly base: string;
  private readonly options: AdminClientOptions;
  private readonly ownAgent: Agent | undefined;

  constructor(base: string, options: Partial<AdminClientOptions> = {}) {
    this.base = base.replace(/\/$/, '');
    this.options = { ...DEFAULT_ADMIN_OPTIONS, ...options };
    // Up to 8 reads of one proxy at once: /server_info, the six config dump resources and /stats.
    this.ownAgent = options.dispatcher ? undefined : new Agent({ connections: 8, keepAliveTimeout: 10_000 });
  }

  /** GETs an allowlisted endpoint and returns its body; retries failures that may pass, with backoff. */
  async get(path: string, query: Record<string, string | true> = {}): Promise<Buffer> {
    return this.stream(path, query, async (chunks) => {
      const parts: Buffer[] = [];
      for await (const chunk of chunks) parts.push(chunk);
      return Buffer.concat(parts);
    });
  }

  /**
   * GETs an allowlisted endpoint and hands its body to `consume` as it arrives, under the same size limit and
   * deadline (headers, body and consumer together); a failed attempt that may pass is retried with backoff and
   * `consume` runs again from the start. Errors `consume` throws itself are not retried.
   */
  async stream<T>(path: string, query: Record<string, string | true>, consume: (chunks: AsyncIterable<Buffer>) => Promise<T>): Promise<T> {
    const url = adminUrl(this.base, path, query);
    const endpoint = endpointName(url);
    let first: string | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(url, consume);
      } catch (err) {
        if (err instanceof ConsumerError) throw err.cause;
        const { reason, retry } = describe(err, this.options.timeoutMs);
        // The first failure says most; later attempts often only meet the connection it broke.
        first ??= reason;
        if (!retry || attempt >= this.options.retries) throw new AdminError(`${this.base}${endpoint}`, first);
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      }
    }
  }

  private async once<T>(url: URL, consume: (chunks: AsyncIterable<Buffer>) => Promise<T>): Promise<T> {
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    const res = await request(url, {
      method: 'GET',
      signal,
      dispatcher: this.options.dispatcher ?? (this.ownAgent as Agent),
      headersTimeout: this.options.timeoutMs,
      bodyTimeout: this.options.timeoutMs,
      headers: { accept: 'application/json, text/plain;q=0.9, */*;q=0.1', 'accept-encoding': 'identity' },
    });
    const endpoint = endpointName(url);
    if (res.statusCode !== 200) {
      await res.body.dump().catch(() => undefined);
      throw new AdminError(endpoint, `HTTP ${res.statusCode}`);
    }
    const declared = Number(res.headers['content-length'] ?? Number.NaN);
    const limit = this.options.maxBodyBytes;
    if (Number.isFinite(declared) && declared > limit) {
      res.body.destroy();
      throw new AdminError(endpoint, `body of ${declared} bytes is over the ${limit}-byte limit`);
    }
    const timeoutMs = this.options.timeoutMs;
    // Failures of the body itself are marked, so they are told apart from the consumer's own errors.
    let bodyFailure: AdminError | undefined;
    let complete = false;
    async function* chunks(): AsyncGenerator<Buffer> {
      let size = 0;
      try {
        for await (const chunk of res.body) {
          size += (chunk as Buffer).length;
          if (size > limit) throw new AdminError(endpoint, `body over the ${limit}-byte limit`);
          yield chunk as Buffer;
        }
      } catch (err) {
        if (err instanceof AdminError) bodyFailure = err;
        else if (signal.aborted) bodyFailure = new AdminError(endpoint, `no complete answer within ${timeoutMs / 1000}s`);
        else
          bodyFailure = new AdminError(
            endpoint,
            `body truncated: the connection closed after ${size}${Number.isFinite(declared) ? ` of ${declared}` : ''} bytes`,
          );
        throw bodyFailure;
      }
      if (Number.isFinite(declared) && size !== declared) {
        bodyFailure = new AdminError(endpoint, `body truncated (${size} of ${declared} bytes)`);
        throw bodyFailure;
      }
      complete = true;
    }
    let deadline: (() => void) | undefined;
    const expired = new Promise<never>((_, reject) => {
      deadline = () => reject(new AdminError(endpoint, `no complete answer within ${timeoutMs / 1000}s`));
      signal.addEventListener('abort', deadline, { once: true });
    });
    expired.catch(() => undefined);
    try {
      const work = consume(chunks());
      // When the deadline wins, the consumer still ends (its body is destroyed below); its failure is not news.
      work.catch(() => undefined);
      return await Promise.race([work, expired]);
    } catch (err) {
      if (bodyFailure) throw bodyFailure;
      if (err instanceof AdminError) throw err;
      throw new ConsumerError(err);
    } finally {
      if (deadline) signal.removeEventListener('abort', deadline);
      // A body the consumer left unread is dropped with its connection.
      if (!complete && !res.body.destroyed) res.body.destroy();
    }
  }

  /** Closes the connection pool this client made. */
  async close(): Promise<void> {
    await this.ownAgent?.close();
  }
}
