// Delivering the metrics exposition: to a file for node-exporter's textfile collector (written to a temporary
// file in the same directory, then renamed over the target, so the collector never reads half a file), and to a
// Prometheus Pushgateway (PUT /metrics/job/envoy_doctor[/instance/<name>], which replaces the group's metrics).
// Errors are one line and never repeat credentials or query strings from the URL.

import { randomBytes } from 'node:crypto';
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { RequestError } from '../model/request-error.ts';

/** The Pushgateway job name envoy-doctor pushes under. */
const PUSH_JOB = 'envoy_doctor';

/** Content type of Prometheus text exposition format 0.0.4. */
const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Metrics that could not be written or pushed; maps to exit code 74. */
class PublishError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishError';
  }
}

/** Writes `text` to `path` atomically: a temporary file beside it, then a rename. */
async function writeMetricsFile(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  const dirStat = await stat(dir).catch(() => undefined);
  if (!dirStat?.isDirectory()) throw new PublishError(`--metrics-file ${path}: directory ${dir} does not exist`);
  // The textfile collector reads only *.prom, so the temporary name must not end in .prom.
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, text, { mode: 0o644 });
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw new PublishError(`--metrics-file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** A Pushgateway URL with credentials and query removed, safe to print. */
function redactUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** A grouping-key path segment: `/instance/<value>`, base64url-encoded (`@base64`) when the value needs it. */
export function groupingSegment(name: string, value: string): string {
  if (value !== '' && /^[A-Za-z0-9._~-]+$/.test(value)) return `/${name}/${value}`;
  return `/${name}@base64/${Buffer.from(value, 'utf8').toString('base64url') || '='}`;
}

/** Parses and checks a `--push` URL; a bad one is a usage error. */
export function pushUrl(raw: string, instance: string | undefined): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RequestError('--push: expected a Pushgateway URL such as http://pushgateway:9091');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RequestError(`--push: expected an http or https URL, got ${url.protocol}`);
  const target = new URL(url.href);
  target.pathname = `${url.pathname.replace(/\/+$/, '')}/metrics/job/${PUSH_JOB}${instance !== undefined ? groupingSegment('instance', instance) : ''}`;
  target.search = '';
  target.hash = '';
  return target;
}

/** Pushes `text` to a Pushgateway with PUT, within `timeoutMs`; credentials in the URL become Basic auth. */
async function pushMetrics(target: URL, text: string, timeoutMs: number): Promise<void> {
  const shown = redactUrl(target);
  const headers: Record<string, string> = { 'content-type': EXPOSITION_CONTENT_TYPE };
  if (target.username !== '' || target.password !== '') {
    const user = decodeURIComponent(target.username);
    const pass = decodeURIComponent(target.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
  }
  const bare = new URL(target.href);
  bare.username = '';
  bare.password = '';
  let status: number;
  let answer = '';
  try {
    // undici is loaded on the first push only: start-up of every other command stays free of it.
    const { request } = await import('undici');
    const res = await request(bare, {
      method: 'PUT',
      body: text,
      headers,
      signal: AbortSignal.timeout(timeoutMs),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    status = res.statusCode;
    answer = (await res.body.text()).slice(0, 300);
  } catch (err) {
    const e = err as { code?: string; name?: string; message?: string };
    const reason =
      e.name === 'TimeoutError' || e.name === 'AbortError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT'
        ? `no answer within ${timeoutMs / 1000}s`
        : e.code === 'ECONNREFUSED'
          ? 'connection refused'
          : e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN'
            ? 'host not found'
            : (e.code ?? 'request failed');
    throw new PublishError(`--push ${shown}: ${reason}`);
  }
  if (status < 200 || status >= 300) {
    const detail = answer.replace(/\s+/g, ' ').trim();
    throw new PublishError(`--push ${shown}: Pushgateway answered HTTP ${status}${detail ? `: ${detail.slice(0, 200)}` : ''}`);
  }
}

/** Where `--metrics-file` and `--push` send the metrics. */
interface PublishTargets {
  metricsFile?: string;
  push?: string;
  pushInstance?: string;
  pushTimeout: number;
}

/** Writes and pushes `text` where asked, each independently; returns one line per failure. */
export async function publishMetricsText(text: string, targets: PublishTargets): Promise<string[]> {
  const failures: string[] = [];
  const attempt = async (work: () => Promise<void>) => {
    try {
      await work();
    } catch (err) {
      if (!(err instanceof PublishError)) throw err;
      failures.push(err.message);
    }
  };
  if (targets.metricsFile !== undefined) await attempt(() => writeMetricsFile(targets.metricsFile as string, text));
  if (targets.push !== undefined) await attempt(() => pushMetrics(pushUrl(targets.push as string, targets.pushInstance), text, targets.pushTimeout));
  return failures;
}
