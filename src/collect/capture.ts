// What live collection reads, one proxy at a time: parsed and diagnosed as soon as it is complete (`diagnose`),
// or written as a bundle that `analyze` reads back to the same diagnosis (`collect`).

import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { AccessLog } from '../model/access-log.ts';
import type { KubernetesObjects, Manifests } from '../model/kubernetes.ts';
import type { NotCollected, Snapshot } from '../model/snapshot.ts';
import { parseAccessLog } from '../parse/access-log-formats.ts';
import { parseConfigDumpChunks } from '../parse/config-stream.ts';
import { InputError } from '../parse/input-error.ts';
import { type ProxyCapture, snapshotFromCapture } from '../parse/capture-snapshot.ts';
import { BUNDLE_KIND, type BundleManifest, type BundledProxy, type ProxyManifest, safeSegment, writeBundleFile } from './bundle.ts';
import { makeTempDir, removeTempDir } from './temp-dirs.ts';
import { fileStore, MemoryBudget, memoryStore, type SpillStore, spillStore } from './body-stores.ts';
import { configDumpChunks } from './config-dump-parts.ts';
import type { LiveSink, TargetOutcome } from './live-collection.ts';
import type { CollectedProxy, LiveTarget } from './proxy-contact.ts';

/** Parses a proxy's log output; a log with no access log lines is no access log. */
function accessLogOf(text: string | undefined, source: string): AccessLog | undefined {
  if (text === undefined) return undefined;
  try {
    return parseAccessLog(text, source);
  } catch (err) {
    if (err instanceof InputError) return undefined;
    throw err;
  }
}

function displayName(t: LiveTarget): string {
  return t.namespace ? `${t.namespace}/${t.id}` : t.id;
}

/** What live runs add to every proxy's snapshot: the Envoy Gateway objects, and manifests to compare them with. */
interface LiveContext {
  kubernetes?: KubernetesObjects;
  manifests?: Manifests;
}

/** Parses one collected proxy into a snapshot; its stats stream from their files into the parser. */
async function snapshotOfCollected(target: LiveTarget, proxy: CollectedProxy, context: LiveContext = {}): Promise<Snapshot> {
  const name = displayName(target);
  // The config dump streams from the answers' files into the parser; no whole document is ever held.
  const [config] = await parseConfigDumpChunks(configDumpChunks(proxy, target.admin), `${target.admin} /config_dump`, target.id);
  const capture: ProxyCapture = {
    id: target.id,
    configSource: `${target.admin} /config_dump`,
    stats: { chunks: proxy.body(proxy.stats.file), source: `${target.admin} /stats`, takenAt: proxy.stats.takenAt },
  };
  if (config) capture.config = { ...config, id: target.id };
  if (target.namespace !== undefined) capture.namespace = target.namespace;
  if (target.owner !== undefined) capture.owner = target.owner;
  if (proxy.statsLater) {
    capture.statsLater = { chunks: proxy.body(proxy.statsLater.file), source: `${target.admin} /stats (second sample)`, takenAt: proxy.statsLater.takenAt };
  }
  const accessLog = accessLogOf(proxy.accessLog, `logs of ${name}`);
  if (accessLog) capture.accessLog = accessLog;
  if (context.kubernetes) {
    capture.kubernetes = context.kubernetes;
    capture.kubernetesSource = 'Kubernetes API';
  }
  if (proxy.warnings.length > 0) capture.warnings = proxy.warnings;
  const snapshot = await snapshotFromCapture(capture);
  if (context.manifests && snapshot.kubernetes) snapshot.manifests = context.manifests;
  return snapshot;
}

function notCollected(target: LiveTarget, reason: string) {
  return { id: target.id, ...(target.namespace !== undefined ? { namespace: target.namespace } : {}), reason };
}

/** What takes each proxy's snapshot as it is read, or the reason it was not (the diagnosis of a run, given by cli). */
interface SnapshotConsumer {
  /** Takes one proxy's snapshot; it may let go of it afterwards. */
  add(snapshot: Snapshot, order: number): void;
  /** Records a proxy that could not be read or parsed. */
  skip(proxy: NotCollected, order: number): void;
}

/** A sink that diagnoses live proxies, with a hook to watch each proxy's parse begin and end. */
interface DiagnosisSink extends LiveSink {
  /** Removes the temporary directory first stats samples wait in. */
  close(): Promise<void>;
}

/** Bytes of first stats samples kept in memory, across all proxies, while they wait for the second; the rest wait on disk. */
const WAITING_IN_MEMORY_BYTES = 32 * 1024 * 1024;

/**
 * Diagnoses each proxy as soon as it is read, adding it to `run`, and lets go of its bodies: the first stats
 * sample waits for the second in memory while `waitingBytes` (for all proxies together) allows, else in a file of a
 * private temporary directory; everything read in the slot that parses it is kept as chunks in memory, streamed
 * into the parsers, and dropped with the slot. `observe` sees each proxy's parse start (`hold`) and end (`release`).
 */
export async function diagnosisSink(
  run: SnapshotConsumer,
  context: LiveContext = {},
  observe?: (event: 'hold' | 'release', target: LiveTarget) => void,
  waitingBytes = WAITING_IN_MEMORY_BYTES,
): Promise<DiagnosisSink> {
  const root = await makeTempDir('envoy-doctor-live-');
  const budget = new MemoryBudget(waitingBytes);
  const waiting = new Map<number, SpillStore>();
  const letGo = async (order: number) => {
    waiting.get(order)?.release();
    waiting.delete(order);
    await rm(join(root, String(order)), { recursive: true, force: true });
  };
  return {
    stores: (_target, order) => {
      const store = spillStore(join(root, String(order)), budget);
      waiting.set(order, store);
      return { waiting: store, now: memoryStore() };
    },
    async collected(target, proxy, order) {
      observe?.('hold', target);
      try {
        run.add(await snapshotOfCollected(target, proxy, context), order);
        return undefined;
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        run.skip(notCollected(target, err.message), order);
        return err.message;
      } finally {
        observe?.('release', target);
        await letGo(order);
      }
    },
    async failed(target, reason, order) {
      run.skip(notCollected(target, reason), order);
      await letGo(order);
    },
    async close() {
      await removeTempDir(root);
    },
  };
}

/** Writes a proxy's config dump to `path` as it is parsed, so only a readable dump is written. */
async function writeConfigDump(p: CollectedProxy, target: LiveTarget, path: string): Promise<void> {
  const out = createWriteStream(path);
  const written = finished(out);
  written.catch(() => undefined);
  async function* tee(): AsyncGenerator<Buffer> {
    for await (const chunk of configDumpChunks(p, target.admin)) {
      if (!out.write(chunk)) await once(out, 'drain');
      yield chunk;
    }
  }
  try {
    await parseConfigDumpChunks(tee(), `${target.admin} /config_dump`, target.id);
  } finally {
    out.end();
    await written;
  }
}

function bundleDir(t: LiveTarget): string {
  return join('proxies', safeSegment(t.namespace ?? 'direct'), safeSegment(t.id));
}

/**
 * Writes each proxy into the bundle at `root` as soon as it is read (docs/bundle.md): stats are streamed
 * straight into the proxy's directory, the rest written next to them; a proxy that fails leaves no directory.
 */
export function bundleSink(root: string): LiveSink {
  return {
    stores(target) {
      const files = fileStore(join(root, bundleDir(target)));
      return { waiting: files, now: files };
    },
    async collected(target, p) {
      const rel = bundleDir(target);
      try {
        // The per-resource answers are joined into the bundle's config_dump.json as a stream, parsed on the way
        // so a bundle never holds a dump `analyze` cannot read; then they are removed.
        await writeConfigDump(p, target, join(root, rel, 'config_dump.json'));
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        await rm(join(root, rel), { recursive: true, force: true });
        return err.message;
      }
      for (const part of p.configParts) await rm(join(root, rel, part), { force: true });
      const manifest: ProxyManifest = {
        id: target.id,
        admin: target.admin,
        stats: { file: p.stats.file, takenAt: p.stats.takenAt.toISOString() },
        warnings: p.warnings,
      };
      if (target.namespace !== undefined) manifest.namespace = target.namespace;
      if (target.owner !== undefined) manifest.owner = target.owner;
      if (p.statsLater) manifest.statsLater = { file: p.statsLater.file, takenAt: p.statsLater.takenAt.toISOString() };
      if (p.serverInfo) await writeBundleFile(root, join(rel, 'server_info.json'), p.serverInfo);
      if (p.clusters) await writeBundleFile(root, join(rel, 'clusters.json'), p.clusters);
      if (p.listeners) await writeBundleFile(root, join(rel, 'listeners.json'), p.listeners);
      if (p.accessLog !== undefined && accessLogOf(p.accessLog, target.id)) await writeBundleFile(root, join(rel, 'access.log'), p.accessLog);
      await writeBundleFile(root, join(rel, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      return undefined;
    },
    async failed(target) {
      await rm(join(root, bundleDir(target)), { recursive: true, force: true });
    },
  };
}

/** Writes a bundle's manifest (and the Kubernetes objects) once every proxy has been written by `bundleSink`. */
export async function writeBundleManifest(
  root: string,
  outcomes: TargetOutcome[],
  meta: { tool: { name: string; version: string }; source: BundleManifest['source']; intervalSeconds: number; kubernetes?: KubernetesObjects },
): Promise<BundleManifest> {
  const proxies: BundledProxy[] = outcomes.map((o) => {
    const t = o.target;
    const entry: BundledProxy = { id: t.id, collected: o.ok };
    if (t.namespace !== undefined) entry.namespace = t.namespace;
    if (t.owner !== undefined) entry.owner = t.owner;
    if (o.ok) entry.dir = bundleDir(t);
    else entry.reason = o.reason;
    return entry;
  });
  const manifest: BundleManifest = {
    kind: BUNDLE_KIND,
    schemaVersion: 1,
    tool: meta.tool,
    createdAt: new Date().toISOString(),
    source: meta.source,
    intervalSeconds: meta.intervalSeconds,
    proxies,
  };
  if (meta.kubernetes) {
    await writeBundleFile(root, join('kubernetes', 'objects.json'), `${JSON.stringify(meta.kubernetes, null, 2)}\n`);
    manifest.kubernetes = { file: 'kubernetes/objects.json', unavailable: meta.kubernetes.unavailable };
  }
  await writeBundleFile(root, 'manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
