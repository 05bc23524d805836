// The offline pipeline after parsing: run every analyzer on every snapshot and combine findings into ranked
// root causes; the fixes are attached by the renderer the caller passes in (src/cli/diagnosis.ts composes both).

import { loadAnalyzers } from '../analyzers/index.ts';
import { type Diagnosed, type Finding, type RootCause, severityRank } from '../model/finding.ts';
import type { AccessLogEntry } from '../model/access-log.ts';
import { type DetectedVersion, envoyGatewayVersion } from '../model/envoy-gateway-version.ts';
import type { Cluster, Flavor, NotCollected, Snapshot, SnapshotInputs, StatsSample } from '../model/snapshot.ts';
import type { RegisteredAnalyzer } from '../analyzers/analyzer.ts';
import { ROOT_CAUSES } from './root-causes/index.ts';
import { union } from './union.ts';

/**
 * What reports read about one diagnosed proxy. A full `Snapshot` is one; a live run across many proxies keeps
 * only this much of each (see `summarizeSnapshot`), so memory follows the proxies read at once, not the fleet.
 */
export interface SnapshotSummary {
  id: string;
  namespace?: string;
  owner?: string;
  flavor: Flavor;
  envoyVersion?: string;
  inputs: SnapshotInputs;
  intervalSeconds?: number;
  warnings?: string[];
  /** How many clusters the proxy has, and the ones its root causes name (for their stat names). */
  clusters: Pick<ReadonlyMap<string, Pick<Cluster, 'statName'>>, 'size' | 'get'>;
  listeners: { readonly length: number };
  routes: { readonly length: number };
  /** Stats samples; in a summary, only the entities its root causes name, with their counters and gauges. */
  stats?: StatsSample;
  statsLater?: StatsSample;
  /** Access log entries; in a summary, only upgraded sessions (101), which the session charts read. */
  accessLog?: { readonly entries: readonly AccessLogEntry[] };
  /** In a summary of an Envoy Gateway proxy: the release its controller runs, as detected, and where that was read. */
  envoyGateway?: DetectedVersion;
}

/** The Envoy Gateway release of a proxy's controller as detected (a summary's, or read from a whole snapshot); none for other flavors. */
export function envoyGatewayOf(s: SnapshotSummary): DetectedVersion | undefined {
  if (s.flavor !== 'envoy-gateway') return undefined;
  return s.envoyGateway ?? (s.clusters instanceof Map ? envoyGatewayVersion(s as Snapshot) : undefined);
}

/** Everything a run found. */
export interface Diagnosis {
  snapshots: SnapshotSummary[];
  findings: Finding[];
  rootCauses: RootCause[];
  /** Proxies that were meant to be diagnosed but could not be collected. */
  notCollected: NotCollected[];
}

const CONFIDENCE_RANK = { high: 2, medium: 1, low: 0 } as const;

/**
 * Evidence keys that measure how much of its mechanism a finding saw, in the order they are looked for; the first
 * one present is the finding's size (connections paused now, bytes buffered, closes, timeouts, refusals, ...).
 */
const SIZE_KEYS = [
  'pausedNowUpperBound',
  'outstanding',
  'fullBuffers',
  'bufferedBytes',
  'count',
  'idleTimeouts',
  'refused',
  'h2Failures',
  'missing',
  'changedCount',
  'listenerModified',
];

function sizeOf(f: Finding): number {
  for (const key of SIZE_KEYS) {
    const v = f.evidence[key];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return 0;
}

/** Larger evidence first: finding by finding while both rest on findings of the same codes, then more findings first. */
function compareEvidence(a: readonly Finding[], b: readonly Finding[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const fa = a[i] as Finding;
    const fb = b[i] as Finding;
    if (fa.code !== fb.code) break;
    const d = sizeOf(fb) - sizeOf(fa);
    if (d !== 0) return d;
  }
  return b.length - a.length;
}

const entityKey = (entities: readonly { kind: string; name: string }[]): string => entities.map((e) => `${e.kind}:${e.name}`).join(',');

type Ranked = Pick<RootCause, 'severity' | 'confidence' | 'score' | 'id'> & Partial<Pick<RootCause, 'evidence' | 'entities'>>;

/** Most severe, then most confident, then highest score, then by id. */
function rankByScore(a: Ranked, b: Ranked): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    CONFIDENCE_RANK[b.confidence] - CONFIDENCE_RANK[a.confidence] ||
    b.score - a.score ||
    a.id.localeCompare(b.id)
  );
}

/**
 * Orders root causes: most severe, then most confident, then highest score; among equals the larger evidence, then
 * by entity name, so the order never follows the order the stats listed their entities in (it differs by format).
 */
export function rankRootCauses(a: Ranked, b: Ranked): number {
  return (
    rankByScore(a, b) ||
    (a.evidence && b.evidence ? compareEvidence(a.evidence, b.evidence) : 0) ||
    (a.entities && b.entities ? entityKey(a.entities).localeCompare(entityKey(b.entities)) : 0)
  );
}

/**
 * Merges root causes that share a key (`keysOf` gives each its keys; two with one key in common, directly or through
 * others, merge), in the order the first of each group came. The strongest leads (its score, severity and
 * confidence); the others add their entities, evidence, explanations, checks and changes, strongest first.
 */
function mergeSharing(diagnosed: readonly Diagnosed[], keysOf: (r: Diagnosed) => string[]): Diagnosed[] {
  const groups: Array<{ members: Diagnosed[]; at: number } | undefined> = [];
  const byKey = new Map<string, number>();
  diagnosed.forEach((r, at) => {
    const keys = keysOf(r);
    const joined = [...new Set(keys.map((k) => byKey.get(k)).filter((g): g is number => g !== undefined))];
    const into = joined[0] ?? groups.length;
    if (joined.length === 0) groups.push({ members: [r], at });
    else (groups[into] as { members: Diagnosed[] }).members.push(r);
    for (const other of joined.slice(1)) {
      const g = groups[other] as { members: Diagnosed[]; at: number };
      const target = groups[into] as { members: Diagnosed[]; at: number };
      target.members.push(...g.members);
      target.at = Math.min(target.at, g.at);
      groups[other] = undefined;
      for (const [k, v] of byKey) if (v === other) byKey.set(k, into);
    }
    for (const k of keys) byKey.set(k, into);
  });
  return groups
    .filter((g): g is { members: Diagnosed[]; at: number } => g !== undefined)
    .sort((a, b) => a.at - b.at)
    .map(({ members }) => {
      if (members.length === 1) return members[0] as Diagnosed;
      const ranked = [...members].sort(rankRootCauses);
      const lead = ranked[0] as Diagnosed;
      return {
        ...lead,
        entities: union(ranked.map((r) => r.entities)),
        evidence: [...new Set(ranked.flatMap((r) => r.evidence))],
        explains: union(ranked.map((r) => r.explains)),
        checks: union(ranked.map((r) => r.checks)),
        changes: union(ranked.map((r) => r.changes)),
      };
    });
}

/**
 * One mechanism on one listener is one root cause: root causes of one id that name a listener in common (the stall
 * of two clusters behind one listener, two TCP proxies of one listener) merge into one.
 */
export function mergeOnListeners(diagnosed: readonly Diagnosed[]): Diagnosed[] {
  return mergeSharing(diagnosed, (r) => r.entities.filter((e) => e.kind === 'listener').map((e) => `${r.id}|${e.name}`));
}

/** Root causes of one mechanism and severity a proxy may have apart; one more groups them all into one. */
export const MAX_APART = 3;

/**
 * One mechanism across a mesh is one root cause: when a proxy has more than MAX_APART root causes of one id and
 * severity (twenty stalled clusters, a route timeout on every WebSocket route), they merge into one that names every
 * entity, strongest first, with all their evidence and changes. A few stay apart, each with its own evidence and
 * rank. Severities stay apart so a group never raises a warning's entities to an error.
 */
export function groupMechanisms(diagnosed: readonly Diagnosed[]): Diagnosed[] {
  const count = new Map<string, number>();
  const keyOf = (r: Diagnosed) => `${r.snapshot}|${r.id}|${r.severity}`;
  for (const r of diagnosed) count.set(keyOf(r), (count.get(keyOf(r)) ?? 0) + 1);
  return mergeSharing(diagnosed, (r) => ((count.get(keyOf(r)) ?? 0) > MAX_APART ? [keyOf(r)] : []));
}

/** Orders findings: most severe first, then by code and entity. */
function rankFindings(a: Finding, b: Finding): number {
  return severityRank(b.severity) - severityRank(a.severity) || a.code.localeCompare(b.code) || a.entity.name.localeCompare(b.entity.name);
}

/** Root causes of many proxies, merged per owner as they arrive: one per owner, id and entities. */
export class RootCauseMerger {
  private readonly merged = new Map<string, { kept: RootCause; keptOrder: number; seen: Map<string, number> }>();
  private readonly alone: Array<{ rootCause: RootCause; order: number }> = [];

  private keyOf(r: Pick<RootCause, 'id' | 'entities'>, owner: string): string {
    // A proxy entity names the pod itself: on pods of one owner it is the same entity.
    return `${owner}|${r.id}|${r.entities
      .map((e) => (e.kind === 'proxy' ? 'proxy' : `${e.kind}:${e.name}`))
      .sort()
      .join(',')}`;
  }

  /** The strongest pod's evidence is kept (by score), the earliest pod's among equals; the others are only named in seenOn. */
  private beats(r: Pick<RootCause, 'severity' | 'confidence' | 'score' | 'id'>, order: number, existing: { kept: RootCause; keptOrder: number }): boolean {
    const rank = rankByScore(r, existing.kept);
    return rank < 0 || (rank === 0 && order < existing.keptOrder);
  }

  /** Whether `r` of a proxy at `order` would be kept if added now (no stronger or earlier equal one is held). */
  mayKeep(r: Pick<RootCause, 'id' | 'entities' | 'severity' | 'confidence' | 'score'>, owner: string | undefined, order: number): boolean {
    if (owner === undefined) return true;
    const existing = this.merged.get(this.keyOf(r, owner));
    return !existing || this.beats(r, order, existing);
  }

  /** Adds the root causes of one proxy; `order` is the proxy's place in the run, which breaks ties. */
  add(rootCauses: RootCause[], owner: string | undefined, order: number): void {
    for (const r of rootCauses) {
      if (owner === undefined) {
        this.alone.push({ rootCause: r, order });
        continue;
      }
      const key = this.keyOf(r, owner);
      const existing = this.merged.get(key);
      if (!existing) {
        this.merged.set(key, { kept: r, keptOrder: order, seen: new Map(r.seenOn.map((id) => [id, order])) });
        continue;
      }
      for (const id of r.seenOn) if (!existing.seen.has(id)) existing.seen.set(id, order);
      if (this.beats(r, order, existing)) {
        existing.kept = r;
        existing.keptOrder = order;
      }
    }
  }

  /** The merged root causes, ranked; seenOn lists the kept pod first, then the others in run order. */
  result(): RootCause[] {
    const out: Array<{ rootCause: RootCause; order: number }> = [...this.alone];
    for (const m of this.merged.values()) {
      const others = [...m.seen]
        .filter(([id]) => id !== m.kept.snapshot)
        .sort((a, b) => a[1] - b[1])
        .map(([id]) => id);
      out.push({ rootCause: { ...m.kept, seenOn: [m.kept.snapshot, ...others] }, order: m.keptOrder });
    }
    return out
      .sort((a, b) => a.order - b.order)
      .map((x) => x.rootCause)
      .sort(rankRootCauses);
  }
}

function slimSample(sample: StatsSample | undefined, clusters: Set<string>, managers: Set<string>): StatsSample | undefined {
  if (!sample) return undefined;
  const pick = (from: Map<string, Map<string, number>>, keep: Set<string>) =>
    new Map([...keep].flatMap((k) => (from.has(k) ? [[k, from.get(k) as Map<string, number>] as const] : [])));
  const slim: StatsSample = {
    format: sample.format,
    clusters: pick(sample.clusters, clusters),
    connectionManagers: pick(sample.connectionManagers, managers),
    userAgents: new Map(),
    listeners: new Map(),
    tcpProxies: new Map(),
    other: new Map(),
    histograms: new Map(),
    count: sample.count,
  };
  if (sample.takenAt) slim.takenAt = sample.takenAt;
  return slim;
}

/**
 * What reports need of a diagnosed proxy, and no more: its name, owner, flavor, version, inputs and counts; the
 * stat names and counters and gauges of the clusters and connection managers its root causes name (for verify
 * checks); its upgraded sessions (for the session chart). Config, other stats and histograms are let go.
 */
function summarizeSnapshot(s: Snapshot, rootCauses: readonly RootCause[]): SnapshotSummary {
  const clusterNames = new Set<string>();
  const managers = new Set<string>();
  for (const r of rootCauses) {
    for (const e of [...r.entities, ...r.evidence.map((f) => f.entity)]) {
      if (e.kind === 'cluster') clusterNames.add(e.name);
      if (e.kind === 'connection-manager') managers.add(e.name);
    }
  }
  const named = new Map<string, Pick<Cluster, 'statName'>>();
  for (const name of clusterNames) named.set(name, { statName: s.clusters.get(name)?.statName ?? name });
  const statNames = new Set([...named.values()].map((c) => c.statName));
  const summary: SnapshotSummary = {
    id: s.id,
    flavor: s.flavor,
    inputs: s.inputs,
    clusters: { size: s.clusters.size, get: (name: string) => named.get(name) },
    listeners: { length: s.listeners.length },
    routes: { length: s.routes.length },
  };
  if (s.namespace !== undefined) summary.namespace = s.namespace;
  if (s.owner !== undefined) summary.owner = s.owner;
  if (s.envoyVersion !== undefined) summary.envoyVersion = s.envoyVersion;
  if (s.intervalSeconds !== undefined) summary.intervalSeconds = s.intervalSeconds;
  if (s.warnings) summary.warnings = s.warnings;
  const stats = slimSample(s.stats, statNames, managers);
  if (stats) summary.stats = stats;
  const statsLater = slimSample(s.statsLater, statNames, managers);
  if (statsLater) summary.statsLater = statsLater;
  if (s.accessLog) summary.accessLog = { entries: s.accessLog.entries.filter((e) => e.responseCode === 101) };
  if (s.flavor === 'envoy-gateway') summary.envoyGateway = envoyGatewayVersion(s);
  return summary;
}

/** Reads every fix of these root causes, which renders those not rendered yet (src/fixes/lazy-fix.ts). */
function renderFixes(rootCauses: readonly RootCause[]): void {
  for (const r of rootCauses) for (const f of r.fixes) void f.text;
}

/** How much of each snapshot a run keeps: the snapshot itself, or its summary. */
export type Keep = 'snapshot' | 'summary';

/** Renders the fixes of one snapshot's root causes together and attaches them (src/fixes/plan.ts). */
type AttachFixes = (snapshot: Snapshot, diagnosed: Diagnosed[]) => RootCause[];

/**
 * A diagnosis built one proxy at a time: each snapshot is analyzed, its root causes merged with those of the
 * proxies before it, and only its findings, merged root causes and what `keep` says stay. Results are the same
 * whatever order proxies arrive in: `order` (the proxy's place in the run) decides ties and the report order.
 */
export class FleetDiagnosis {
  private readonly analyzers: RegisteredAnalyzer[];
  private readonly attachFixes: AttachFixes;
  private readonly keep: Keep;
  private readonly merger = new RootCauseMerger();
  private readonly snapshots: Array<{ snapshot: SnapshotSummary; order: number }> = [];
  private readonly findings: Array<{ finding: Finding; order: number }> = [];
  private readonly notCollected: Array<{ proxy: NotCollected; order: number }> = [];
  private perProxy = 0;
  /** The root causes of the last proxy added, whose fixes may not be rendered yet. */
  private unread: RootCause[] = [];

  private constructor(analyzers: RegisteredAnalyzer[], attachFixes: AttachFixes, keep: Keep) {
    this.analyzers = analyzers;
    this.attachFixes = attachFixes;
    this.keep = keep;
  }

  /** Loads the analyzers and starts an empty diagnosis whose root causes get their fixes from `attachFixes`. */
  static async start(attachFixes: AttachFixes, keep: Keep = 'summary'): Promise<FleetDiagnosis> {
    return new FleetDiagnosis(await loadAnalyzers(), attachFixes, keep);
  }

  /** Diagnoses one proxy; the caller may let go of the snapshot afterwards. */
  add(snapshot: Snapshot, order: number): void {
    // Fixes are rendered when a report reads them, and until then hold their proxy's snapshot: where only summaries
    // are kept, the last proxy's fixes are rendered now, so at most one snapshot outlives its summary.
    if (this.keep === 'summary') renderFixes(this.unread);
    const own = this.analyzers.flatMap((a) => a.analyze(snapshot));
    for (const finding of own) this.findings.push({ finding, order });
    const diagnosed = groupMechanisms(mergeOnListeners(ROOT_CAUSES.flatMap((rule) => rule.diagnose(snapshot, own))));
    // Fixes are rendered together (one object may carry the changes of several root causes), and only when one
    // of them may be kept: a pod whose every root cause an earlier pod of its owner already matches or beats is
    // only named in seenOn, and its fixes would be thrown away.
    const rootCauses = diagnosed.some((r) => this.merger.mayKeep(r, snapshot.owner, order))
      ? this.attachFixes(snapshot, diagnosed)
      : diagnosed.map((d) => ({ ...d, seenOn: [d.snapshot], fixes: [] }));
    this.perProxy += rootCauses.length;
    this.merger.add(rootCauses, snapshot.owner, order);
    this.snapshots.push({ snapshot: this.keep === 'snapshot' ? snapshot : summarizeSnapshot(snapshot, rootCauses), order });

    this.unread = rootCauses;
  }

  /** How many root causes the proxies had before they merged (the sum over proxies). */
  get unmergedRootCauses(): number {
    return this.perProxy;
  }

  /** Records a proxy that could not be collected. */
  skip(proxy: NotCollected, order: number): void {
    this.notCollected.push({ proxy, order });
  }

  /** The diagnosis so far, in run order. */
  result(): Diagnosis {
    const inOrder = <T extends { order: number }>(xs: T[]) => [...xs].sort((a, b) => a.order - b.order);
    return {
      snapshots: inOrder(this.snapshots).map((x) => x.snapshot),
      findings: inOrder(this.findings)
        .map((x) => x.finding)
        .sort(rankFindings),
      rootCauses: this.merger.result(),
      notCollected: inOrder(this.notCollected).map((x) => x.proxy),
    };
  }
}
