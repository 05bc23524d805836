// What live collection read, turned into snapshots for diagnosis or written as a bundle that `analyze`
// reads back to the same diagnosis.

import { join } from 'node:path';
import type { AccessLog } from '../model/access-log.ts';
import type { KubernetesObjects } from '../model/kubernetes.ts';
import type { NotCollected, Snapshot } from '../model/snapshot.ts';
import { parseAccessLog } from '../parse/access-log.ts';
import { parseConfigDocument } from '../parse/config-document.ts';
import { InputError } from '../parse/input-error.ts';
import { bufferChunks, type ProxyCapture, snapshotFromCapture } from '../parse/snapshot.ts';
import { BUNDLE_KIND, type BundleManifest, type BundledProxy, type ProxyManifest, safeSegment, writeBundleFile } from './bundle.ts';
import type { CollectedProxy, LiveTarget, TargetOutcome } from './live.ts';

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

/** Parses one collected proxy into a snapshot. */
export async function snapshotOfCollected(target: LiveTarget, proxy: CollectedProxy, kubernetes?: KubernetesObjects): Promise<Snapshot> {
  const name = displayName(target);
  const [config] = parseConfigDocument(proxy.configDump, `${target.admin} /config_dump`, target.id);
  const capture: ProxyCapture = {
    id: target.id,
    configSource: `${target.admin} /config_dump`,
    stats: { chunks: bufferChunks(proxy.stats.body), source: `${target.admin} /stats`, takenAt: proxy.stats.takenAt },
  };
  if (config) capture.config = { ...config, id: target.id };
  if (target.namespace !== undefined) capture.namespace = target.namespace;
  if (target.owner !== undefined) capture.owner = target.owner;
  if (proxy.statsLater) capture.statsLater = { chunks: bufferChunks(proxy.statsLater.body), source: `${target.admin} /stats (second sample)`, takenAt: proxy.statsLater.takenAt };
  const accessLog = accessLogOf(proxy.accessLog, `logs of ${name}`);
  if (accessLog) capture.accessLog = accessLog;
  if (kubernetes) {
    capture.kubernetes = kubernetes;
    capture.kubernetesSource = 'Kubernetes API';
  }
  if (proxy.warnings.length > 0) capture.warnings = proxy.warnings;
  return snapshotFromCapture(capture);
}

/** Snapshots of the proxies collected, and the ones that could not be. */
export async function snapshotsOfOutcomes(outcomes: TargetOutcome[], kubernetes?: KubernetesObjects): Promise<{ snapshots: Snapshot[]; notCollected: NotCollected[] }> {
  const snapshots: Snapshot[] = [];
  const notCollected: NotCollected[] = [];
  for (const o of outcomes) {
    const base = { id: o.target.id, ...(o.target.namespace !== undefined ? { namespace: o.target.namespace } : {}) };
    if (!o.ok) {
      notCollected.push({ ...base, reason: o.reason });
      continue;
    }
    try {
      snapshots.push(await snapshotOfCollected(o.target, o.proxy, kubernetes));
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      notCollected.push({ ...base, reason: err.message });
    }
  }
  return { snapshots, notCollected };
}

/** Writes what was collected as a bundle directory (docs/bundle.md). */
export async function writeBundle(
  dir: string,
  outcomes: TargetOutcome[],
  meta: { tool: { name: string; version: string }; source: BundleManifest['source']; intervalSeconds: number; kubernetes?: KubernetesObjects },
): Promise<BundleManifest> {
  const proxies: BundledProxy[] = [];
  for (const o of outcomes) {
    const t = o.target;
    const entry: BundledProxy = { id: t.id, collected: o.ok };
    if (t.namespace !== undefined) entry.namespace = t.namespace;
    if (t.owner !== undefined) entry.owner = t.owner;
    if (!o.ok) {
      entry.reason = o.reason;
      proxies.push(entry);
      continue;
    }
    const rel = join('proxies', safeSegment(t.namespace ?? 'direct'), safeSegment(t.id));
    entry.dir = rel;
    const p = o.proxy;
    const manifest: ProxyManifest = {
      id: t.id,
      admin: t.admin,
      stats: { file: 'stats.txt', takenAt: p.stats.takenAt.toISOString() },
      warnings: p.warnings,
    };
    if (t.namespace !== undefined) manifest.namespace = t.namespace;
    if (t.owner !== undefined) manifest.owner = t.owner;
    await writeBundleFile(dir, join(rel, 'config_dump.json'), p.configDump);
    await writeBundleFile(dir, join(rel, 'stats.txt'), p.stats.body);
    if (p.statsLater) {
      manifest.statsLater = { file: 'stats.later.txt', takenAt: p.statsLater.takenAt.toISOString() };
      await writeBundleFile(dir, join(rel, 'stats.later.txt'), p.statsLater.body);
    }
    if (p.serverInfo) await writeBundleFile(dir, join(rel, 'server_info.json'), p.serverInfo);
    if (p.clusters) await writeBundleFile(dir, join(rel, 'clusters.json'), p.clusters);
    if (p.listeners) await writeBundleFile(dir, join(rel, 'listeners.json'), p.listeners);
    if (p.accessLog !== undefined && accessLogOf(p.accessLog, t.id)) await writeBundleFile(dir, join(rel, 'access.log'), p.accessLog);
    await writeBundleFile(dir, join(rel, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    proxies.push(entry);
  }
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
    await writeBundleFile(dir, join('kubernetes', 'objects.json'), `${JSON.stringify(meta.kubernetes, null, 2)}\n`);
    manifest.kubernetes = { file: 'kubernetes/objects.json', unavailable: meta.kubernetes.unavailable };
  }
  await writeBundleFile(dir, 'manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
