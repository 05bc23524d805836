// One proxy's captured outputs, in any supported format, parsed into a snapshot. Used alike by saved files,
// bundles and live collection, so the same capture always gives the same diagnosis.

import { assembleSnapshot, knownEntities } from './assemble.ts';
import type { AccessLog } from '../model/access-log.ts';
import type { KubernetesObjects } from '../model/kubernetes.ts';
import type { Snapshot, SnapshotInputs, StatsSample } from '../model/snapshot.ts';
import type { ParsedConfig } from './config-dump.ts';
import type { NeededStats } from '../model/needed-stats.ts';
import { keptStats } from './kept-stats.ts';
import { parseStats } from './stats.ts';

/** A stats capture: its bytes as a stream, where they came from, and when they were taken. */
interface StatsCapture {
  chunks: AsyncIterable<Buffer>;
  source: string;
  takenAt?: Date;
}

/** Everything known about one proxy before parsing its stats. */
export interface ProxyCapture {
  id: string;
  namespace?: string;
  owner?: string;
  config?: ParsedConfig;
  configSource?: string;
  stats?: StatsCapture;
  statsLater?: StatsCapture;
  /** Seconds between the samples; from the capture times when not given. */
  intervalSeconds?: number;
  accessLog?: AccessLog;
  kubernetes?: KubernetesObjects;
  kubernetesSource?: string;
  /** Optional reads that failed while collecting. */
  warnings?: string[];
  /** The stats the diagnosis reads, the only ones kept of each sample (absent: every stat; live stats come filtered). */
  keep?: NeededStats;
}

/** Parses a capture's stats (split by the config's entity names) and assembles the snapshot. */
export async function snapshotFromCapture(c: ProxyCapture): Promise<Snapshot> {
  const known = knownEntities(c.config);
  let stats: StatsSample | undefined;
  let statsLater: StatsSample | undefined;
  // Lines of a stats file that are not stats are skipped, and said in the report with the reads that failed.
  const warnings = [...(c.warnings ?? [])];
  const note = (text: string) => warnings.push(text);
  // Only the stats the diagnosis reads are held (with two samples, also the counters compared between them).
  const kept = c.keep ? keptStats(c.statsLater !== undefined, c.keep) : undefined;
  if (c.stats) {
    stats = await parseStats(c.stats.chunks, c.stats.source, known, note, kept);
    if (c.stats.takenAt) stats.takenAt = c.stats.takenAt;
  }
  if (c.statsLater) {
    statsLater = await parseStats(c.statsLater.chunks, c.statsLater.source, known, note, kept);
    if (c.statsLater.takenAt) statsLater.takenAt = c.statsLater.takenAt;
  }
  let interval = c.intervalSeconds;
  if (interval === undefined && stats?.takenAt && statsLater?.takenAt) interval = (statsLater.takenAt.getTime() - stats.takenAt.getTime()) / 1000;
  const inputs: SnapshotInputs = {};
  if (c.configSource !== undefined) inputs.configDump = c.configSource;
  if (c.stats) inputs.stats = c.stats.source;
  if (c.statsLater) inputs.statsLater = c.statsLater.source;
  if (c.accessLog) inputs.accessLog = c.accessLog.source;
  if (c.kubernetesSource !== undefined) inputs.kubernetes = c.kubernetesSource;
  const snapshot = assembleSnapshot({
    id: c.id,
    ...(c.config ? { config: c.config } : {}),
    ...(stats ? { stats } : {}),
    ...(statsLater ? { statsLater } : {}),
    ...(statsLater && interval !== undefined ? { intervalSeconds: interval } : {}),
    inputs,
  });
  if (c.namespace !== undefined) snapshot.namespace = c.namespace;
  if (c.owner !== undefined) snapshot.owner = c.owner;
  if (c.accessLog) snapshot.accessLog = c.accessLog;
  if (c.kubernetes) snapshot.kubernetes = c.kubernetes;
  if (warnings.length > 0) snapshot.warnings = warnings;
  return snapshot;
}
