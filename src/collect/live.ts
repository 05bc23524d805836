// Live collection from many proxies: bounded concurrency, a deadline per read, bounded retries, and /stats
// sampled twice `interval` apart (the wait holds no concurrency slot and no connection). A proxy that fails
// is reported with its reason; the others are collected all the same.

import type { Dispatcher } from 'undici';
import { AdminClient, AdminError, CONFIG_DUMP_RESOURCES } from './admin-client.ts';

/** A reachable admin interface, and how to let go of it. */
export interface AdminEndpoint {
  base: string;
  dispatcher?: Dispatcher;
  /** Why the way in failed (a refused port-forward), which explains a failed read better than the read's error. */
  failure?(): string | undefined;
  close(): Promise<void>;
}

/** One proxy to collect. */
export interface LiveTarget {
  id: string;
  namespace?: string;
  owner?: string;
  /** Where its admin interface is, as a person reads it. */
  admin: string;
  /** Set when the target cannot be collected at all (a pod that is not Running). */
  skip?: string;
  /** Opens the admin interface (a port-forward, or a direct URL). */
  open(): Promise<AdminEndpoint>;
  /** Reads the proxy's access log, when there is a way to. */
  logs?(): Promise<string>;
}

/** A /stats capture and when it was taken. */
export interface StatsBody {
  body: Buffer;
  takenAt: Date;
}

/** What was read from one proxy. */
export interface CollectedProxy {
  serverInfo?: Buffer;
  /** A /config_dump document assembled from per-resource reads (never secrets). */
  configDump: Buffer;
  stats: StatsBody;
  statsLater?: StatsBody;
  clusters?: Buffer;
  listeners?: Buffer;
  accessLog?: string;
  /** Optional reads that failed. */
  warnings: string[];
}

/** The outcome for one target. */
export type TargetOutcome = { target: LiveTarget; ok: true; proxy: CollectedProxy } | { target: LiveTarget; ok: false; reason: string };

/** A progress event, for a person watching a terminal. */
export interface ProgressEvent {
  done: number;
  total: number;
  target: string;
  step: string;
}

/** How to collect. */
export interface LiveOptions {
  intervalMs: number;
  concurrency: number;
  timeoutMs: number;
  retries: number;
  progress?: (event: ProgressEvent) => void;
}

/** A counting semaphore. */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  constructor(n: number) {
    this.free = Math.max(1, n);
  }
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

/** Assembles one /config_dump document from per-resource answers, with the node from /server_info. */
export function assembleConfigDump(parts: Buffer[], serverInfo: Buffer | undefined): Buffer {
  const configs: unknown[] = [];
  if (serverInfo) {
    try {
      const node = (JSON.parse(serverInfo.toString('utf8')) as { node?: unknown }).node;
      if (node) configs.push({ '@type': 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump', bootstrap: { node } });
    } catch {
      // /server_info that is not JSON adds nothing; the resources still make a dump.
    }
  }
  for (const part of parts) {
    const doc = JSON.parse(part.toString('utf8')) as { configs?: unknown[] };
    configs.push(...(doc.configs ?? []));
  }
  return Buffer.from(JSON.stringify({ configs }));
}

async function withEndpoint<T>(target: LiveTarget, options: LiveOptions, work: (client: AdminClient) => Promise<T>): Promise<T> {
  const endpoint = await target.open();
  const client = new AdminClient(endpoint.base, {
    timeoutMs: options.timeoutMs,
    retries: options.retries,
    ...(endpoint.dispatcher ? { dispatcher: endpoint.dispatcher } : {}),
  });
  try {
    return await work(client);
  } catch (err) {
    const cause = endpoint.failure?.();
    throw cause ? new Error(cause) : err;
  } finally {
    await client.close();
    await endpoint.close();
  }
}

async function optional(warnings: string[], read: () => Promise<Buffer>): Promise<Buffer | undefined> {
  try {
    return await read();
  } catch (err) {
    warnings.push(err instanceof AdminError ? err.message : (err as Error).message);
    return undefined;
  }
}

async function readLogs(target: LiveTarget, warnings: string[]): Promise<string | undefined> {
  if (!target.logs) return undefined;
  try {
    return await target.logs();
  } catch (err) {
    warnings.push(`logs: ${(err as Error).message}`);
    return undefined;
  }
}

/** Collects every target; failures become outcomes, never exceptions. */
export async function collectAll(targets: LiveTarget[], options: LiveOptions): Promise<TargetOutcome[]> {
  const slots = new Slots(options.concurrency);
  let done = 0;
  const step = (target: LiveTarget, s: string) => options.progress?.({ done, total: targets.length, target: target.id, step: s });
  return Promise.all(
    targets.map(async (target): Promise<TargetOutcome> => {
      if (target.skip) {
        done++;
        step(target, 'skipped');
        return { target, ok: false, reason: target.skip };
      }
      try {
        const warnings: string[] = [];
        const first = await slots.run(() =>
          withEndpoint(target, options, async (client) => {
            step(target, 'server info');
            const serverInfo = await optional(warnings, () => client.get('/server_info'));
            step(target, 'config dump');
            const parts: Buffer[] = [];
            for (const resource of CONFIG_DUMP_RESOURCES) parts.push(await client.get('/config_dump', { resource }));
            step(target, 'stats');
            const stats = { takenAt: new Date(), body: await client.get('/stats') };
            step(target, 'clusters and listeners');
            const clusters = await optional(warnings, () => client.get('/clusters', { format: 'json' }));
            const listeners = await optional(warnings, () => client.get('/listeners', { format: 'json' }));
            return { serverInfo, configDump: assembleConfigDump(parts, serverInfo), stats, clusters, listeners };
          }),
        );
        let statsLater: StatsBody | undefined;
        if (options.intervalMs > 0) {
          step(target, `waiting ${options.intervalMs / 1000}s for the second sample`);
          const wait = first.stats.takenAt.getTime() + options.intervalMs - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          try {
            statsLater = await slots.run(() =>
              withEndpoint(target, options, async (client) => {
                step(target, 'stats (second sample)');
                return { takenAt: new Date(), body: await client.get('/stats') };
              }),
            );
          } catch (err) {
            // The first sample still diagnoses; only what changed during the window is lost.
            warnings.push(`second stats sample: ${(err as Error).message}`);
          }
        }
        step(target, 'logs');
        const accessLog = await readLogs(target, warnings);
        const proxy: CollectedProxy = { configDump: first.configDump, stats: first.stats, warnings };
        if (first.serverInfo) proxy.serverInfo = first.serverInfo;
        if (first.clusters) proxy.clusters = first.clusters;
        if (first.listeners) proxy.listeners = first.listeners;
        if (statsLater) proxy.statsLater = statsLater;
        if (accessLog !== undefined) proxy.accessLog = accessLog;
        return { target, ok: true, proxy };
      } catch (err) {
        return { target, ok: false, reason: (err as Error).message };
      } finally {
        done++;
        step(target, 'done');
      }
    }),
  );
}
