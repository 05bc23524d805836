// Live collection from many proxies: bounded concurrency, a deadline per read, bounded retries, and /stats
// sampled twice `interval` apart (the wait holds no concurrency slot and no connection). A proxy that fails
// is reported with its reason; the others are collected all the same.
//
// Each proxy's reads go to a sink as they complete: the read slot passes to one of as many diagnosis slots, where
// the sink parses and diagnoses them (`diagnose`) or writes them into a bundle (`collect`), and lets go of them.
// Bodies arrive as streams into the sink's stores: chunks in memory for what is parsed as soon as it is read,
// a file for the first stats sample (the only thing a proxy keeps while it waits for the second) and for
// everything a bundle keeps. So memory follows `concurrency`, not the number of proxies.

import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Dispatcher } from 'undici';
import { InputError } from '../parse/input-error.ts';
import { AdminClient, AdminError, BOOTSTRAP_STATS_MASK, CONFIG_DUMP_RESOURCES } from './admin-client.ts';

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

/** Where a proxy's streamed bodies are kept until the sink has taken them: a directory, or chunks in memory. */
export interface BodyStore {
  /** Stores a body under `name` as its chunks arrive. */
  write(name: string, chunks: AsyncIterable<Buffer>): Promise<void>;
  /** Reads a stored body back as chunks. */
  read(name: string): AsyncIterable<Buffer>;
}

/** A store of files in `dir`, made when the first body is written. */
export function fileStore(dir: string): BodyStore {
  let made: Promise<unknown> | undefined;
  return {
    async write(name, chunks) {
      made ??= mkdir(dir, { recursive: true });
      await made;
      await pipeline(chunks, createWriteStream(join(dir, name)));
    },
    read: (name) => createReadStream(join(dir, name)),
  };
}

/** A store that keeps each body's chunks as they came (never joined into one buffer). */
export function memoryStore(): BodyStore {
  const bodies = new Map<string, Buffer[]>();
  return {
    async write(name, chunks) {
      const parts: Buffer[] = [];
      for await (const c of chunks) parts.push(c);
      bodies.set(name, parts);
    },
    async *read(name) {
      const parts = bodies.get(name);
      if (!parts) throw new Error(`no body ${name}`);
      yield* parts;
    },
  };
}

/** Bytes that stores may keep in memory across proxies; what does not fit goes to disk. */
export class MemoryBudget {
  private left: number;
  constructor(bytes: number) {
    this.left = bytes;
  }
  /** Takes `n` bytes if they fit. */
  take(n: number): boolean {
    if (n > this.left) return false;
    this.left -= n;
    return true;
  }
  /** Gives `n` bytes back. */
  give(n: number): void {
    this.left += n;
  }
}

/** A store released when its proxy is done: what it held in memory goes back to its budget. */
export interface SpillStore extends BodyStore {
  release(): void;
}

/** The chunks already read, the one in hand, then the rest of the iterator. */
async function* resumed(read: Buffer[], current: Buffer, iterator: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield* read;
  yield current;
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
}

/**
 * A store that keeps bodies in memory while `budget` allows, and otherwise writes them to files in `dir` (made when
 * the first file is written): memory stays within the budget whatever the number of proxies.
 */
export function spillStore(dir: string, budget: MemoryBudget): SpillStore {
  const held = new Map<string, Buffer[]>();
  let taken = 0;
  const files = fileStore(dir);
  return {
    async write(name, chunks) {
      const parts: Buffer[] = [];
      let size = 0;
      const iterator = chunks[Symbol.asyncIterator]();
      try {
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
          if (!budget.take(next.value.length)) {
            // Over the budget: this body goes to disk, what was read of it first.
            budget.give(size);
            size = 0;
            await files.write(name, resumed(parts, next.value, iterator));
            return;
          }
          size += next.value.length;
          parts.push(next.value);
        }
      } catch (err) {
        // A body that fails half-way gives back what it had taken.
        budget.give(size);
        throw err;
      }
      taken += size;
      held.set(name, parts);
    },
    read(name) {
      const parts = held.get(name);
      if (!parts) return files.read(name);
      return (async function* () {
        yield* parts;
      })();
    },
    release() {
      budget.give(taken);
      taken = 0;
      held.clear();
    },
  };
}

/** A proxy's two stores: `waiting` for the first stats sample (kept across the interval), `now` for the rest. */
export interface ProxyStores {
  waiting: BodyStore;
  now: BodyStore;
}

/** A /stats sample stored under `file`, and when it was taken. */
export interface StatsFile {
  file: string;
  takenAt: Date;
}

/** What was read from one proxy: small bodies in memory, config dump answers and stats samples in stores. */
export interface CollectedProxy {
  /** Reads a stored body (a config dump answer, a stats sample) back as chunks. */
  body(name: string): AsyncIterable<Buffer>;
  serverInfo?: Buffer;
  /** `/config_dump?mask=` of the bootstrap's stats settings (BOOTSTRAP_STATS_MASK). */
  bootstrapStats?: Buffer;
  /** Names of the per-resource /config_dump answers, in the order of CONFIG_DUMP_RESOURCES (never secrets); `configDumpChunks` joins them. */
  configParts: string[];
  stats: StatsFile;
  statsLater?: StatsFile;
  clusters?: Buffer;
  listeners?: Buffer;
  accessLog?: string;
  /** Optional reads that failed. */
  warnings: string[];
}

/** How one target ended. */
export type TargetOutcome = { target: LiveTarget; order: number; ok: true } | { target: LiveTarget; order: number; ok: false; reason: string };

/** Where each proxy's reads go. Calls for one proxy come in order; calls for different proxies interleave. */
export interface LiveSink {
  /** The stores one proxy's bodies are streamed into. */
  stores(target: LiveTarget, order: number): ProxyStores;
  /**
   * Takes everything read from one proxy, inside its concurrency slot: what it keeps after returning should be
   * small (a summary), since the slot is then given to the next proxy. Returning a reason marks the proxy as not
   * collected (a body that cannot be parsed).
   */
  collected(target: LiveTarget, proxy: CollectedProxy, order: number): Promise<string | undefined>;
  /** A proxy that could not be collected (what its stores hold is let go of). */
  failed(target: LiveTarget, reason: string, order: number): Promise<void>;
}

/** A progress event, for a person watching a terminal. */
export interface ProgressEvent {
  done: number;
  total: number;
  target: string;
  step: string;
}

/** What each read asks for: `diagnose` filters /stats and skips the reads only bundles keep; `collect` reads all. */
export interface ReadPlan {
  /** Query parameters of both /stats reads (`filter`), empty for the whole of /stats. */
  statsQuery: Record<string, string>;
  /** Also read /clusters and /listeners (saved in bundles, not diagnosed). */
  bundleReads: boolean;
}

/** How to collect. */
export interface LiveOptions {
  intervalMs: number;
  concurrency: number;
  timeoutMs: number;
  retries: number;
  reads: ReadPlan;
  progress?: (event: ProgressEvent) => void;
}

/** A failure of the sink itself, not of the proxy. */
class SinkFailure extends Error {
  override readonly cause: unknown;
  constructor(cause: unknown) {
    super('sink failed');
    this.cause = cause;
  }
}

/**
 * Contacts at most `n` proxies at once. A proxy's second contact (its second stats sample) waits behind first
 * contacts until it has waited `slackMs`: every first sample is taken as early as it can be, so the last proxy's
 * interval starts early, and no proxy's window between its samples stretches far beyond the interval (collectAll
 * gives one interval of slack: a window of about twice the interval at most, unless the slots are full of overdue
 * second contacts).
 */
export class Slots {
  private free: number;
  private readonly firsts: Array<() => void> = [];
  private readonly seconds: Array<{ start: () => void; urgentAt: number }> = [];
  private readonly slackMs: number;
  private readonly now: () => number;

  constructor(n: number, slackMs = 0, now: () => number = Date.now) {
    this.free = Math.max(1, n);
    this.slackMs = slackMs;
    this.now = now;
  }

  /** Runs `task` once a slot is free, holding it until the task settles; `secondContact` is its lane. */
  async run<T>(task: () => Promise<T>, secondContact = false): Promise<T> {
    const release = await this.acquire(secondContact);
    try {
      return await task();
    } finally {
      release();
    }
  }

  /** Waits for a slot and returns the function that gives it back (call it once). */
  async acquire(secondContact = false): Promise<() => void> {
    if (this.free > 0) this.free--;
    else {
      await new Promise<void>((start) => {
        if (secondContact) this.seconds.push({ start, urgentAt: this.now() + this.slackMs });
        else this.firsts.push(start);
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release();
    };
  }

  private release(): void {
    const second = this.seconds[0];
    if (second && (this.firsts.length === 0 || second.urgentAt <= this.now())) {
      this.seconds.shift();
      second.start();
    } else {
      const first = this.firsts.shift();
      if (first) first();
      else this.free++;
    }
  }
}

const OPENING = /^\s*\{\s*"configs"\s*:\s*\[/;
const EMPTY = /^\s*\{\s*\}\s*$/;
const CLOSING = /\]\s*\}\s*$/;
const HEAD_BYTES = 256;
const TAIL_BYTES = 64;

/**
 * The entries of one `/config_dump?resource=` answer, `{"configs": [ ... ]}`, as the bytes between its brackets,
 * streamed. An answer laid out otherwise is parsed whole (it is one resource) and its entries written back.
 */
async function* configEntries(body: () => AsyncIterable<Buffer>, source: string): AsyncGenerator<Buffer> {
  const stream = body();
  let head: Buffer = Buffer.alloc(0);
  let tail: Buffer = Buffer.alloc(0);
  let opened = false;
  for await (const chunk of stream) {
    if (!opened) {
      head = Buffer.concat([head, chunk]);
      const m = OPENING.exec(head.subarray(0, HEAD_BYTES).toString('latin1'));
      if (!m) {
        if (head.length < HEAD_BYTES) continue;
        break;
      }
      opened = true;
      tail = head.subarray(m[0].length);
      head = Buffer.alloc(0);
    } else if (chunk.length >= TAIL_BYTES) {
      // The last bytes are held back until the end, where the closing `]}` is cut off; nothing else is copied.
      if (tail.length > 0) yield tail;
      yield chunk.subarray(0, chunk.length - TAIL_BYTES);
      tail = chunk.subarray(chunk.length - TAIL_BYTES);
      continue;
    } else tail = Buffer.concat([tail, chunk]);
    if (tail.length > TAIL_BYTES) {
      yield tail.subarray(0, tail.length - TAIL_BYTES);
      tail = tail.subarray(tail.length - TAIL_BYTES);
    }
  }
  if (opened) {
    const end = CLOSING.exec(tail.toString('latin1'));
    if (!end) throw new InputError(source, "truncated: no closing ']}'; expected Envoy's /config_dump");
    yield tail.subarray(0, end.index);
    return;
  }
  // Not Envoy's layout: read the answer whole and write its entries back.
  const whole: Buffer[] = [];
  for await (const chunk of body()) whole.push(chunk);
  const text = Buffer.concat(whole).toString('utf8').replace(/^\uFEFF/, '');
  if (EMPTY.test(text)) return;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InputError(source, `not JSON (${(err as Error).message}); expected Envoy's /config_dump`);
  }
  const configs = (doc as { configs?: unknown } | null)?.configs;
  if (!Array.isArray(configs)) throw new InputError(source, "no configs[]; expected Envoy's /config_dump");
  yield Buffer.from(configs.map((c) => JSON.stringify(c)).join(','));
}

/** The bootstrap's stats settings from a masked /config_dump answer; nothing when it holds none or is not JSON. */
export function bootstrapStatsFields(body: Buffer | undefined): Record<string, unknown> {
  if (!body) return {};
  try {
    const configs = (JSON.parse(body.toString('utf8')) as { configs?: unknown }).configs;
    const entry = Array.isArray(configs) ? (configs.find((c) => typeof c?.['@type'] === 'string' && c['@type'].endsWith('.BootstrapConfigDump')) as { bootstrap?: unknown } | undefined) : undefined;
    const bootstrap = entry?.bootstrap;
    if (bootstrap === null || typeof bootstrap !== 'object') return {};
    // Only the masked fields, whatever else an answer carries.
    const out: Record<string, unknown> = {};
    for (const key of ['stats_config', 'deferred_stat_options', 'statsConfig', 'deferredStatOptions']) {
      const v = (bootstrap as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = v;
    }
    return out;
  } catch {
    return {};
  }
}

/**
 * One /config_dump document, streamed, from a proxy's per-resource answers (in the order of CONFIG_DUMP_RESOURCES),
 * the node from /server_info and the bootstrap's stats settings from a masked read, which the resource answers lack.
 */
export async function* configDumpChunks(proxy: Pick<CollectedProxy, 'body' | 'configParts' | 'serverInfo' | 'bootstrapStats'>, base: string): AsyncGenerator<Buffer> {
  yield Buffer.from('{"configs":[');
  let entries = 0;
  let node: unknown;
  if (proxy.serverInfo) {
    try {
      node = (JSON.parse(proxy.serverInfo.toString('utf8')) as { node?: unknown }).node;
    } catch {
      // /server_info that is not JSON adds nothing; the resources still make a dump.
    }
  }
  const bootstrap = { ...(node ? { node } : {}), ...bootstrapStatsFields(proxy.bootstrapStats) };
  if (Object.keys(bootstrap).length > 0) {
    yield Buffer.from(JSON.stringify({ '@type': 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump', bootstrap }));
    entries++;
  }
  for (const [i, file] of proxy.configParts.entries()) {
    let started = false;
    for await (const chunk of configEntries(() => proxy.body(file), `${base}/config_dump?resource=${CONFIG_DUMP_RESOURCES[i] ?? file}`)) {
      if (!started) {
        // Leading whitespace says nothing yet: an answer with no entries adds no comma.
        const text = chunk.toString('latin1');
        const at = text.search(/\S/);
        if (at < 0) continue;
        started = true;
        if (entries > 0) yield Buffer.from(',');
        entries++;
        yield chunk.subarray(at);
        continue;
      }
      yield chunk;
    }
  }
  yield Buffer.from(']}');
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

async function optional<T>(warnings: string[], read: () => Promise<T>): Promise<T | undefined> {
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

/** A promise's outcome, so parallel reads can all settle before any failure is raised. */
type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

function settled<T>(s: Settled<T>): T {
  if (!s.ok) throw s.error;
  return s.value;
}

/** Streams one answer into `store` under `name`, within the client's size limit and deadline; returns the name. */
async function bodyToStore(client: AdminClient, path: string, query: Record<string, string>, store: BodyStore, name: string): Promise<string> {
  await client.stream(path, query, (chunks) => store.write(name, chunks));
  return name;
}

/**
 * Streams one config dump resource into `store`. Envoy answers 404 for a resource no config tracker provides
 * (source/server/admin/config_dump_handler.cc addResourceToDump: a proxy of TCP proxies alone has no route
 * configurations at all), which is an empty answer, not a failed read.
 */
async function resourceToStore(client: AdminClient, resource: string, store: BodyStore): Promise<string> {
  const name = `config_dump.${resource}.json`;
  try {
    return await bodyToStore(client, '/config_dump', { resource }, store, name);
  } catch (err) {
    if (!(err instanceof AdminError) || err.reason !== 'HTTP 404') throw err;
    await store.write(name, (async function* () {
      yield Buffer.from('{}');
    })());
    return name;
  }
}

/** Streams one /stats sample into `store`; the time recorded is when it was asked for. */
async function statsToStore(client: AdminClient, plan: ReadPlan, store: BodyStore, name: string): Promise<StatsFile> {
  const takenAt = new Date();
  await bodyToStore(client, '/stats', plan.statsQuery, store, name);
  return { file: name, takenAt };
}

/**
 * Collects every target into `sink`; failures become outcomes, never exceptions. With an interval, the first
 * /stats sample is read first (one request), and everything else with the second, in parallel: /server_info, the
 * config dump resources, /stats again (and, for bundles, /clusters and /listeners); then the logs.
 */
export async function collectAll(targets: LiveTarget[], options: LiveOptions, sink: LiveSink): Promise<TargetOutcome[]> {
  const slots = new Slots(options.concurrency, options.intervalMs);
  const diagnosing = new Slots(options.concurrency);
  const plan = options.reads;
  let done = 0;
  const step = (target: LiveTarget, s: string) => options.progress?.({ done, total: targets.length, target: target.id, step: s });
  return Promise.all(
    targets.map(async (target, order): Promise<TargetOutcome> => {
      const fail = async (reason: string): Promise<TargetOutcome> => {
        await sink.failed(target, reason, order);
        return { target, order, ok: false, reason };
      };
      if (target.skip) {
        done++;
        step(target, 'skipped');
        return fail(target.skip);
      }
      try {
        const warnings: string[] = [];
        const stores = sink.stores(target, order);
        let first: StatsFile | undefined;
        if (options.intervalMs > 0) {
          first = await slots.run(async () =>
            withEndpoint(target, options, async (client) => {
              step(target, 'stats');
              return statsToStore(client, plan, stores.waiting, 'stats.txt');
            }),
          );
          step(target, `waiting ${options.intervalMs / 1000}s for the second sample`);
          const wait = first.takenAt.getTime() + options.intervalMs - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        // The contact's slot is handed over to a diagnosis slot once everything is read: the next proxy's reads
        // need not wait for this one's parsing, and at most 2 x concurrency proxies' bodies are held at once.
        const releaseContact = await slots.acquire(first !== undefined);
        let releaseDiagnosis: () => void;
        let read: CollectedProxy;
        try {
          read = await withEndpoint(target, options, async (client) => {
            step(target, first ? 'config dump and second stats sample' : 'config dump and stats');
            // Every read of this contact at once; each settles before any is looked at, so none runs unobserved.
            const info = settle(optional(warnings, () => client.get('/server_info')));
            const statsSettings = settle(optional(warnings, () => client.get('/config_dump', { mask: BOOTSTRAP_STATS_MASK })));
            const parts = settle(Promise.all(CONFIG_DUMP_RESOURCES.map((resource) => resourceToStore(client, resource, stores.now))));
            const stats = settle(statsToStore(client, plan, stores.now, first ? 'stats.later.txt' : 'stats.txt'));
            const clusters = plan.bundleReads ? settle(optional(warnings, () => client.get('/clusters', { format: 'json' }))) : undefined;
            const listeners = plan.bundleReads ? settle(optional(warnings, () => client.get('/listeners', { format: 'json' }))) : undefined;
            const [serverInfo, configParts, sample, clustersBody, listenersBody, bootstrapStats] = await Promise.all([info, parts, stats, clusters, listeners, statsSettings]);
            let statsLater: StatsFile | undefined;
            let statsFirst: StatsFile;
            if (first) {
              statsFirst = first;
              // A failed second sample leaves the first to diagnose; only what changed during the window is lost.
              if (sample.ok) statsLater = sample.value;
              else warnings.push(`second stats sample: ${(sample.error as Error).message}`);
            } else statsFirst = settled(sample);
            const fromWait = first?.file;
            const body = (name: string) => (name === fromWait ? stores.waiting.read(name) : stores.now.read(name));
            const proxy: CollectedProxy = { body, configParts: settled(configParts), stats: statsFirst, warnings };
            const serverInfoBody = settled(serverInfo);
            if (serverInfoBody) proxy.serverInfo = serverInfoBody;
            const bootstrapStatsBody = settled(bootstrapStats);
            if (bootstrapStatsBody) proxy.bootstrapStats = bootstrapStatsBody;
            if (statsLater) proxy.statsLater = statsLater;
            const clustersJson = clustersBody ? settled(clustersBody) : undefined;
            const listenersJson = listenersBody ? settled(listenersBody) : undefined;
            if (clustersJson) proxy.clusters = clustersJson;
            if (listenersJson) proxy.listeners = listenersJson;
            return proxy;
          });
          step(target, 'logs');
          const accessLog = await readLogs(target, warnings);
          if (accessLog !== undefined) read.accessLog = accessLog;
          releaseDiagnosis = await diagnosing.acquire();
        } finally {
          releaseContact();
        }
        let reason: string | undefined;
        try {
          step(target, 'diagnosing');
          reason = await sink.collected(target, read, order);
        } catch (err) {
          throw new SinkFailure(err);
        } finally {
          releaseDiagnosis();
        }
        if (reason !== undefined) return await fail(reason);
        return { target, order, ok: true };
      } catch (err) {
        // A sink that fails for another reason than the proxy's input is a fault of its own: the run stops.
        if (err instanceof SinkFailure) throw err.cause;
        return fail((err as Error).message);
      } finally {
        done++;
        step(target, 'done');
      }
    }),
  );
}
