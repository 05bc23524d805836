// Offline inputs: saved admin output given as files, standard input, or a bundle directory
// (layout in docs/bundle.md). Files are recognised by content; names only say which role a file plays.

import { readdir, readFile, stat as statPath } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { assembleSnapshot, knownEntities } from '../model/assemble.ts';
import type { Snapshot, SnapshotInputs, StatsSample } from '../model/snapshot.ts';
import type { ParsedConfig } from '../parse/config-dump.ts';
import { parseConfigDocument } from '../parse/config-document.ts';
import { InputError, UsageError } from '../parse/input-error.ts';
import { parseStats } from '../parse/stats.ts';
import { inputChunks, inputName, readDocument } from './read-input.ts';

/** What the user pointed `analyze` at. */
export interface OfflineInputs {
  bundle?: string;
  configDump?: string;
  stats?: string;
  statsLater?: string;
  /** Milliseconds between the stats samples (`--interval`). */
  intervalMs?: number;
  /** Which proxy of a multi-pod config dump the stats belong to. */
  pod?: string;
}

const BUNDLE_ROLES = {
  configDump: ['config_dump.json', 'config_dump.yaml', 'config_dump.yml'],
  stats: ['stats.txt', 'stats.json', 'stats.prom'],
  statsLater: ['stats.later.txt', 'stats.later.json', 'stats.later.prom'],
} as const;

interface Manifest {
  stats?: { takenAt?: string };
  statsLater?: { takenAt?: string };
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await statPath(path)).isDirectory();
  } catch {
    return false;
  }
}

async function readManifest(dir: string): Promise<Manifest | undefined> {
  const path = join(dir, 'manifest.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as Manifest;
  } catch (err) {
    throw new InputError(path, `invalid JSON (${(err as Error).message}); expected the bundle manifest described in docs/bundle.md`);
  }
}

/** Fills the inputs a bundle directory provides, keeping anything given explicitly. */
async function fromBundle(inputs: OfflineInputs): Promise<{ inputs: OfflineInputs; manifest?: Manifest }> {
  const dir = inputs.bundle as string;
  if (!(await isDirectory(dir))) throw new InputError(dir, 'no such directory; expected a bundle directory (docs/bundle.md)');
  const present = new Set(await readdir(dir));
  const out: OfflineInputs = { ...inputs };
  for (const role of ['configDump', 'stats', 'statsLater'] as const) {
    if (out[role] !== undefined) continue;
    const found = BUNDLE_ROLES[role].filter((n) => present.has(n));
    if (found.length > 1) throw new InputError(dir, `holds ${found.join(' and ')}; expected one file per role`);
    if (found[0]) out[role] = join(dir, found[0]);
  }
  if (out.configDump === undefined && out.stats === undefined) {
    throw new InputError(dir, `holds neither ${BUNDLE_ROLES.configDump.join('|')} nor ${BUNDLE_ROLES.stats.join('|')}; expected a bundle directory (docs/bundle.md)`);
  }
  const manifest = await readManifest(dir);
  return manifest ? { inputs: out, manifest } : { inputs: out };
}

function sampleTime(text: string | undefined): Date | undefined {
  if (!text) return undefined;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function pickConfig(configs: ParsedConfig[], pod: string | undefined, source: string, needsOne: boolean): ParsedConfig[] {
  if (pod !== undefined) {
    const match = configs.filter((c) => c.id === pod);
    if (match.length === 0) throw new UsageError(`--pod ${pod}: not in ${source}, which holds ${configs.map((c) => c.id).join(', ')}`);
    return match;
  }
  if (needsOne && configs.length > 1) {
    throw new UsageError(`${source} holds ${configs.length} proxies (${configs.map((c) => c.id).join(', ')}) but stats belong to one; pick it with --pod NAME`);
  }
  return configs;
}

/** Reads every offline input and returns one snapshot per proxy. */
export async function loadOfflineSnapshots(given: OfflineInputs): Promise<Snapshot[]> {
  const stdinUsers = (['configDump', 'stats', 'statsLater'] as const).filter((r) => given[r] === '-');
  if (stdinUsers.length > 1) throw new UsageError('only one input can be read from standard input (-)');
  const { inputs, manifest } = given.bundle !== undefined ? await fromBundle(given) : { inputs: given, manifest: undefined };
  if (inputs.configDump === undefined && inputs.stats === undefined) {
    throw new UsageError('nothing to analyze: give a bundle directory, --config-dump FILE or --stats FILE');
  }
  if (inputs.statsLater !== undefined && inputs.stats === undefined) throw new UsageError('--stats-later needs --stats (the earlier sample)');
  const fallbackId = inputs.bundle !== undefined ? basename(inputs.bundle) : basename(inputs.configDump ?? inputs.stats ?? 'proxy');

  let configs: ParsedConfig[] = [];
  if (inputs.configDump !== undefined) {
    const source = inputName(inputs.configDump);
    configs = parseConfigDocument(await readDocument(inputs.configDump), source, fallbackId);
    configs = pickConfig(configs, inputs.pod, source, inputs.stats !== undefined);
  }
  const known = knownEntities(configs[0]);
  let stats: StatsSample | undefined;
  let statsLater: StatsSample | undefined;
  if (inputs.stats !== undefined) stats = await parseStats(inputChunks(inputs.stats), inputName(inputs.stats), known);
  if (inputs.statsLater !== undefined) statsLater = await parseStats(inputChunks(inputs.statsLater), inputName(inputs.statsLater), known);

  const earlier = sampleTime(manifest?.stats?.takenAt);
  const later = sampleTime(manifest?.statsLater?.takenAt);
  if (stats && earlier) stats.takenAt = earlier;
  if (statsLater && later) statsLater.takenAt = later;
  let intervalSeconds: number | undefined;
  if (inputs.intervalMs !== undefined) intervalSeconds = inputs.intervalMs / 1000;
  else if (earlier && later) intervalSeconds = (later.getTime() - earlier.getTime()) / 1000;
  if (statsLater && (intervalSeconds === undefined || intervalSeconds <= 0)) {
    throw new UsageError('--stats-later needs --interval DURATION (the time between the samples), or a bundle manifest with both sample times');
  }

  const inputsOf = (): SnapshotInputs => {
    const i: SnapshotInputs = {};
    if (inputs.configDump !== undefined) i.configDump = inputName(inputs.configDump);
    if (inputs.stats !== undefined) i.stats = inputName(inputs.stats);
    if (inputs.statsLater !== undefined) i.statsLater = inputName(inputs.statsLater);
    return i;
  };
  const withStats = { ...(stats ? { stats } : {}), ...(statsLater ? { statsLater } : {}), ...(intervalSeconds !== undefined && statsLater ? { intervalSeconds } : {}) };
  if (configs.length === 0) return [assembleSnapshot({ id: fallbackId, inputs: inputsOf(), ...withStats })];
  return configs.map((config) => assembleSnapshot({ id: config.id, config, inputs: inputsOf(), ...withStats }));
}
