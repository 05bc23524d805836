// Live collection from many proxies: bounded concurrency, a deadline per read, bounded retries, and /stats
// sampled twice `interval` apart (the wait holds no concurrency slot and no connection). A proxy that fails
// is reported with its reason; the others are collected all the same.
//
// Each proxy's reads go to a sink as they complete: the read slot passes to one of as many diagnosis slots, where
// the sink parses and diagnoses them (`diagnose`) or writes them into a bundle (`collect`), and lets go of them.
// Bodies arrive as streams into the sink's stores: chunks in memory for what is parsed as soon as it is read,
// a file for the first stats sample (the only thing a proxy keeps while it waits for the second) and for
// everything a bundle keeps. So memory follows `concurrency`, not the number of proxies.
//
// What one contact with a proxy reads is in proxy-contact.ts, where its bodies are kept in body-stores.ts, and how many
// proxies are contacted at once in contact-slots.ts.

import type { ProxyStores } from './body-stores.ts';
import { Slots } from './contact-slots.ts';
import { type CollectedProxy, type LiveTarget, type ReadPlan, readLogs, readProxy, type StatsFile, statsToStore, withEndpoint } from './proxy-contact.ts';

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

/** How to collect. */
interface LiveOptions {
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

/** One run of collectAll: its slots, its sink, and how many targets are done, for progress. */
class CollectionRun {
  private readonly options: LiveOptions;
  private readonly sink: LiveSink;
  private readonly total: number;
  /** One interval of slack for second contacts (see Slots). */
  private readonly contacts: Slots;
  private readonly diagnosing: Slots;
  private done = 0;

  constructor(options: LiveOptions, sink: LiveSink, total: number) {
    this.options = options;
    this.sink = sink;
    this.total = total;
    this.contacts = new Slots(options.concurrency, options.intervalMs);
    this.diagnosing = new Slots(options.concurrency);
  }

  private step(target: LiveTarget, step: string): void {
    this.options.progress?.({ done: this.done, total: this.total, target: target.id, step });
  }

  /** Collects one target into the sink; its failure becomes its outcome, a failure of the sink stops the run. */
  async collect(target: LiveTarget, order: number): Promise<TargetOutcome> {
    const fail = async (reason: string): Promise<TargetOutcome> => {
      await this.sink.failed(target, reason, order);
      return { target, order, ok: false, reason };
    };
    if (target.skip) {
      this.done++;
      this.step(target, 'skipped');
      return fail(target.skip);
    }
    try {
      const warnings: string[] = [];
      const stores = this.sink.stores(target, order);
      const first = this.options.intervalMs > 0 ? await this.firstSample(target, stores) : undefined;
      const { read, releaseDiagnosis } = await this.secondContact(target, stores, first, warnings);
      const reason = await this.handOver(target, read, order, releaseDiagnosis);
      if (reason !== undefined) return await fail(reason);
      return { target, order, ok: true };
    } catch (err) {
      // A sink that fails for another reason than the proxy's input is a fault of its own: the run stops.
      if (err instanceof SinkFailure) throw err.cause;
      return fail((err as Error).message);
    } finally {
      this.done++;
      this.step(target, 'done');
    }
  }

  /** The first contact: the first /stats sample alone; then the interval is waited out holding no slot. */
  private async firstSample(target: LiveTarget, stores: ProxyStores): Promise<StatsFile> {
    const first = await this.contacts.run(async () =>
      withEndpoint(target, this.options, async (client) => {
        this.step(target, 'stats');
        return statsToStore(client, this.options.reads, stores.waiting, 'stats.txt');
      }),
    );
    this.step(target, `waiting ${this.options.intervalMs / 1000}s for the second sample`);
    const wait = first.takenAt.getTime() + this.options.intervalMs - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    return first;
  }

  /**
   * The second contact (the only one without an interval): every other read, then the logs. Its slot is handed over
   * to a diagnosis slot once everything is read: the next proxy's reads need not wait for this one's parsing, and at
   * most 2 x concurrency proxies' bodies are held at once.
   */
  private async secondContact(
    target: LiveTarget,
    stores: ProxyStores,
    first: StatsFile | undefined,
    warnings: string[],
  ): Promise<{ read: CollectedProxy; releaseDiagnosis: () => void }> {
    const releaseContact = await this.contacts.acquire(first !== undefined);
    try {
      const read = await withEndpoint(target, this.options, async (client) => {
        this.step(target, first ? 'config dump and second stats sample' : 'config dump and stats');
        return readProxy(client, this.options.reads, stores, first, warnings);
      });
      this.step(target, 'logs');
      const accessLog = await readLogs(target, warnings);
      if (accessLog !== undefined) read.accessLog = accessLog;
      const releaseDiagnosis = await this.diagnosing.acquire();
      return { read, releaseDiagnosis };
    } finally {
      releaseContact();
    }
  }

  /** Hands what was read to the sink, in the diagnosis slot it then gives back; a failure of the sink is a SinkFailure. */
  private async handOver(target: LiveTarget, read: CollectedProxy, order: number, releaseDiagnosis: () => void): Promise<string | undefined> {
    try {
      this.step(target, 'diagnosing');
      return await this.sink.collected(target, read, order);
    } catch (err) {
      throw new SinkFailure(err);
    } finally {
      releaseDiagnosis();
    }
  }
}

/**
 * Collects every target into `sink`; failures become outcomes, never exceptions. With an interval, the first
 * /stats sample is read first (one request), and everything else with the second, in parallel: /server_info, the
 * config dump resources, /stats again (and, for bundles, /clusters and /listeners); then the logs.
 */
export async function collectAll(targets: LiveTarget[], options: LiveOptions, sink: LiveSink): Promise<TargetOutcome[]> {
  const run = new CollectionRun(options, sink, targets.length);
  return Promise.all(targets.map((target, order) => run.collect(target, order)));
}
