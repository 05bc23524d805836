// Offline inputs: saved admin output given as files, standard input, a proxy directory, or a bundle written by
// `envoy-doctor collect` (directory or .tar.gz). Layout in docs/bundle.md. Files are recognised by content;
// names only say which role a file plays.

import { readdir, readFile, stat as statPath } from 'node:fs/promises';
import { basename, join, sep } from 'node:path';
import { type KubernetesObjects, noKubernetesObjects } from '../model/kubernetes.ts';
import type { NeededStats } from '../model/needed-stats.ts';
import type { NotCollected, Snapshot } from '../model/snapshot.ts';
import { parseAccessLog } from '../parse/access-log-formats.ts';
import type { ParsedConfig } from '../parse/config-dump.ts';
import { proxyNameOfNode } from '../parse/proxy-node.ts';
import { parseConfigDumpChunks } from '../parse/config-stream.ts';
import { RequestError } from '../model/request-error.ts';
import { InputError } from '../parse/input-error.ts';
import { type ProxyCapture, snapshotFromCapture } from '../parse/capture-snapshot.ts';
import { BUNDLE_KIND, type BundleManifest, extractBundleArchive, insideBundle, type ProxyManifest } from './bundle.ts';
import { egctlRoot, loadEgctlBundle } from './egctl-bundle.ts';
import { inputChunks, inputName, readDocument, rereadChunks } from './read-input.ts';

/** What the user pointed `analyze` at. */
export interface OfflineInputs {
  bundle?: string;
  configDump?: string;
  stats?: string;
  statsLater?: string;
  accessLog?: string;
  /** Kubernetes objects saved with the proxy (`kubernetes.json`). */
  kubernetes?: string;
  /** Milliseconds between the stats samples (`--interval`). */
  intervalMs?: number;
  /** Which proxy of a multi-pod config dump the stats belong to. */
  pod?: string;
  /** The stats the diagnosis reads: the only ones kept of each sample (absent: every stat). */
  keep?: NeededStats;
}

/** Snapshots read from offline inputs, and the proxies a bundle could not collect. */
interface OfflineResult {
  snapshots: Snapshot[];
  notCollected: NotCollected[];
}

const ROLE_FILES = {
  configDump: ['config_dump.json', 'config_dump.yaml', 'config_dump.yml'],
  stats: ['stats.txt', 'stats.json', 'stats.prom'],
  statsLater: ['stats.later.txt', 'stats.later.json', 'stats.later.prom'],
  accessLog: ['access.log'],
  kubernetes: ['kubernetes.json'],
} as const;

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await statPath(path)).isDirectory();
  } catch {
    return false;
  }
}

/** A plain (not gzip) file's size, when it is one. */
async function fileSize(path: string): Promise<number | undefined> {
  if (path === '-' || path.endsWith('.gz')) return undefined;
  try {
    const s = await statPath(path);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

async function readJson<T>(path: string, expected: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new InputError(path, `invalid JSON (${(err as Error).message}); expected ${expected}`);
  }
}

function sampleTime(text: string | undefined): Date | undefined {
  if (!text) return undefined;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** Fills the roles a proxy directory provides, keeping anything given explicitly. */
async function rolesInDirectory(dir: string, given: OfflineInputs): Promise<OfflineInputs> {
  const present = new Set(await readdir(dir));
  const out: OfflineInputs = { ...given };
  for (const role of ['configDump', 'stats', 'statsLater', 'accessLog', 'kubernetes'] as const) {
    if (out[role] !== undefined) continue;
    const found = ROLE_FILES[role].filter((n) => present.has(n));
    if (found.length > 1) throw new InputError(dir, `holds ${found.join(' and ')}; expected one file per role`);
    if (found[0]) out[role] = join(dir, found[0]);
  }
  if (out.configDump === undefined && out.stats === undefined) {
    throw new InputError(
      dir,
      `holds neither ${ROLE_FILES.configDump.join('|')} nor ${ROLE_FILES.stats.join('|')}; expected a bundle directory (docs/bundle.md)`,
    );
  }
  return out;
}

function pickConfig(configs: ParsedConfig[], pod: string | undefined, source: string, needsOne: boolean): ParsedConfig[] {
  if (pod !== undefined) {
    const match = configs.filter((c) => c.id === pod);
    if (match.length === 0) throw new RequestError(`--pod ${pod}: not in ${source}, which holds ${configs.map((c) => c.id).join(', ')}`);
    return match;
  }
  if (needsOne && configs.length > 1) {
    throw new RequestError(
      `${source} holds ${configs.length} proxies (${configs.map((c) => c.id).join(', ')}) but stats belong to one; pick it with --pod NAME`,
    );
  }
  return configs;
}

/** Reads one proxy's files (explicit or from a proxy directory) into snapshots. */
async function loadProxy(
  inputs: OfflineInputs,
  manifest: ProxyManifest | undefined,
  bundleObjects?: { objects: KubernetesObjects; source: string },
): Promise<Snapshot[]> {
  let kubernetes = bundleObjects;
  if (!kubernetes && inputs.kubernetes !== undefined) {
    const objects = await readJson<Partial<KubernetesObjects>>(inputs.kubernetes, 'Kubernetes objects as envoy-doctor collect saves them (docs/bundle.md)');
    if (objects)
      kubernetes = {
        objects: { ...noKubernetesObjects(), ...objects },
        source: inputs.kubernetes,
      };
  }
  if (inputs.configDump === undefined && inputs.stats === undefined) {
    throw new RequestError('nothing to analyze: give a bundle directory, --config-dump FILE or --stats FILE');
  }
  if (inputs.statsLater !== undefined && inputs.stats === undefined) throw new RequestError('--stats-later needs --stats (the earlier sample)');
  const fallbackId = manifest?.id ?? (inputs.bundle !== undefined ? basename(inputs.bundle) : basename(inputs.configDump ?? inputs.stats ?? 'proxy'));

  let configs: ParsedConfig[] = [];
  if (inputs.configDump !== undefined) {
    const source = inputName(inputs.configDump);
    // Streamed: memory follows the model, not the file, and gzip is decompressed on the way.
    const totalBytes = await fileSize(inputs.configDump);
    const reread = await rereadChunks(inputs.configDump);
    configs = await parseConfigDumpChunks(inputChunks(inputs.configDump), source, fallbackId, {
      ...(totalBytes !== undefined && { totalBytes }),
      ...(reread !== undefined && { reread }),
    });
    // A dump given as a file is named after its node rather than the file (`config_dump.json`).
    if (manifest?.id === undefined && inputs.bundle === undefined) {
      configs = configs.map((c) => (c.id === fallbackId && c.nodeId !== undefined ? { ...c, id: proxyNameOfNode(c.nodeId) } : c));
    }
    configs = pickConfig(configs, inputs.pod, source, inputs.stats !== undefined);
  }
  const earlier = sampleTime(manifest?.stats?.takenAt);
  const later = sampleTime(manifest?.statsLater?.takenAt);
  let intervalSeconds: number | undefined;
  if (inputs.intervalMs !== undefined) intervalSeconds = inputs.intervalMs / 1000;
  else if (earlier && later) intervalSeconds = (later.getTime() - earlier.getTime()) / 1000;
  if (inputs.statsLater !== undefined && (intervalSeconds === undefined || intervalSeconds <= 0)) {
    throw new RequestError('--stats-later needs --interval DURATION (the time between the samples), or a bundle manifest with both sample times');
  }
  const accessLog =
    inputs.accessLog !== undefined ? parseAccessLog((await readDocument(inputs.accessLog)).toString('utf8'), inputName(inputs.accessLog)) : undefined;

  const capture = (config: ParsedConfig | undefined): ProxyCapture => {
    const c: ProxyCapture = { id: config?.id ?? fallbackId, ...(inputs.keep ? { keep: inputs.keep } : {}) };
    const namespace = config?.namespace ?? manifest?.namespace;
    if (namespace !== undefined) c.namespace = namespace;
    if (manifest?.owner !== undefined) c.owner = manifest.owner;
    if (config) {
      c.config = config;
      c.configSource = inputName(inputs.configDump as string);
    }
    if (inputs.stats !== undefined) c.stats = { chunks: inputChunks(inputs.stats), source: inputName(inputs.stats), ...(earlier ? { takenAt: earlier } : {}) };
    if (inputs.statsLater !== undefined) {
      c.statsLater = { chunks: inputChunks(inputs.statsLater), source: inputName(inputs.statsLater), ...(later ? { takenAt: later } : {}) };
    }
    if (intervalSeconds !== undefined) c.intervalSeconds = intervalSeconds;
    if (accessLog) c.accessLog = accessLog;
    if (manifest?.warnings && manifest.warnings.length > 0) c.warnings = manifest.warnings;
    if (kubernetes) {
      c.kubernetes = kubernetes.objects;
      c.kubernetesSource = kubernetes.source;
    }
    return c;
  };
  if (configs.length === 0) return [await snapshotFromCapture(capture(undefined))];
  const out: Snapshot[] = [];
  for (const config of configs) out.push(await snapshotFromCapture(capture(config)));
  return out;
}

/** Reads a multi-proxy bundle written by `envoy-doctor collect`. */
async function loadBundle(dir: string, manifest: BundleManifest, each: SnapshotSink | undefined, keep: NeededStats | undefined): Promise<OfflineResult> {
  let kubernetes: { objects: KubernetesObjects; source: string } | undefined;
  const manifestPath = join(dir, 'manifest.json');
  if (manifest.kubernetes?.file) {
    const path = insideBundle(dir, manifest.kubernetes.file, manifestPath);
    const objects = await readJson<KubernetesObjects>(path, 'the Kubernetes objects of an envoy-doctor bundle');
    if (objects) kubernetes = { objects, source: path };
  }
  const snapshots: Snapshot[] = [];
  const notCollected: NotCollected[] = [];
  for (const proxy of manifest.proxies) {
    if (!proxy.collected || !proxy.dir) {
      notCollected.push({ id: proxy.id, ...(proxy.namespace !== undefined ? { namespace: proxy.namespace } : {}), reason: proxy.reason ?? 'not collected' });
      continue;
    }
    const proxyDir = insideBundle(dir, proxy.dir, manifestPath);
    if (!(await isDirectory(proxyDir)))
      throw new InputError(manifestPath, `lists ${proxy.dir}, which is not in the bundle; expected every collected proxy's directory`);
    const proxyManifest = await readJson<ProxyManifest>(join(proxyDir, 'manifest.json'), 'a proxy manifest (docs/bundle.md)');
    const inputs = await rolesInDirectory(proxyDir, { bundle: proxyDir, ...(keep ? { keep } : {}) });
    const loaded = await loadProxy(
      inputs,
      {
        ...proxyManifest,
        id: proxy.id,
        ...(proxy.namespace !== undefined ? { namespace: proxy.namespace } : {}),
        ...(proxy.owner !== undefined ? { owner: proxy.owner } : {}),
      },
      kubernetes,
    );
    // Handed over one proxy at a time, a bundle of many proxies is never held whole.
    if (each) loaded.forEach(each);
    else snapshots.push(...loaded);
  }
  return { snapshots, notCollected };
}

/** Receives each snapshot of a collected bundle as soon as it is read. */
type SnapshotSink = (snapshot: Snapshot) => void;

/**
 * Reads every offline input and returns one snapshot per proxy, and what a bundle could not collect. With `each`,
 * the proxies of a bundle (envoy-doctor's or egctl's) are handed to it one by one instead of being returned.
 */
export async function loadOffline(given: OfflineInputs, each?: SnapshotSink): Promise<OfflineResult> {
  const stdinUsers = (['configDump', 'stats', 'statsLater', 'accessLog'] as const).filter((r) => given[r] === '-');
  if (stdinUsers.length > 1) throw new RequestError('only one input can be read from standard input (-)');
  if (given.bundle === undefined) return { snapshots: await loadProxy(given, undefined), notCollected: [] };

  let dir = given.bundle;
  let cleanup: (() => Promise<void>) | undefined;
  let name = basename(dir);
  // Paths inside an extracted archive are named after the archive (`incident.tar.gz:stats.txt`), never after the
  // temporary copy, which is gone by the time anyone reads the message.
  let shown = (text: string) => text;
  if (!(await isDirectory(dir))) {
    try {
      await statPath(dir);
    } catch {
      throw new InputError(dir, 'no such directory or file; expected a bundle directory or .tar.gz (docs/bundle.md)');
    }
    const archive = dir;
    const extracted = await extractBundleArchive(archive);
    dir = extracted.root;
    name = extracted.name;
    cleanup = extracted.cleanup;
    shown = (text) => text.split(`${extracted.tempDir}${sep}`).join(`${archive}:`).split(extracted.tempDir).join(archive);
  }
  const named = (s: Snapshot) => {
    for (const role of Object.keys(s.inputs) as Array<keyof Snapshot['inputs']>) s.inputs[role] = shown(s.inputs[role] as string);
    if (s.warnings) s.warnings = s.warnings.map(shown);
    return s;
  };
  try {
    const result = await loadBundleDirectory(dir, name, given, each ? (s) => each(named(s)) : undefined);
    result.snapshots.forEach(named);
    return result;
  } catch (err) {
    if (err instanceof InputError) throw new InputError(shown(err.source), shown(err.message.slice(err.source.length + 2)));
    throw err;
  } finally {
    // Everything is parsed by now (stats streams are consumed while snapshots are built): the copy can go.
    await cleanup?.();
  }
}

/** Reads a bundle directory: envoy-doctor's own, egctl's support bundle, or one proxy's files. */
async function loadBundleDirectory(dir: string, name: string, given: OfflineInputs, each: SnapshotSink | undefined): Promise<OfflineResult> {
  const egctl = await egctlRoot(dir);
  if (egctl) {
    const explicit = (['configDump', 'stats', 'statsLater', 'accessLog'] as const).filter((r) => given[r] !== undefined);
    if (explicit.length > 0) throw new RequestError('an egctl x collect bundle cannot be combined with files given one by one');
    return loadEgctlBundle(egctl, each, given.keep);
  }
  const manifest = await readJson<BundleManifest & ProxyManifest>(join(dir, 'manifest.json'), 'the bundle manifest described in docs/bundle.md');
  if (manifest && (manifest as BundleManifest).kind === BUNDLE_KIND) {
    const explicit = (['configDump', 'stats', 'statsLater', 'accessLog'] as const).filter((r) => given[r] !== undefined);
    if (explicit.length > 0)
      throw new RequestError(`a collected bundle cannot be combined with --${explicit[0]?.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    return loadBundle(dir, manifest as BundleManifest, each, given.keep);
  }
  const inputs = await rolesInDirectory(dir, { ...given, bundle: dir });
  // Name the proxy after the bundle the user gave, never after a temporary copy.
  return { snapshots: await loadProxy(inputs, { ...manifest, id: manifest?.id ?? name }), notCollected: [] };
}
