// The offline pipeline after parsing: run every analyzer on every snapshot, combine findings into ranked
// root causes, and attach the fixes.

import { loadAnalyzers } from '../analyzers/index.ts';
import { attachFixes } from '../fixes/plan.ts';
import { type Finding, type RootCause, severityRank } from '../model/finding.ts';
import type { NotCollected, Snapshot } from '../model/snapshot.ts';
import { RULES } from './rules/index.ts';

/** Everything a run found. */
export interface Diagnosis {
  snapshots: Snapshot[];
  findings: Finding[];
  rootCauses: RootCause[];
  /** Proxies that were meant to be diagnosed but could not be collected. */
  notCollected: NotCollected[];
}

const CONFIDENCE_RANK = { high: 2, medium: 1, low: 0 } as const;

/** Orders root causes: most severe, then most confident, then highest score. */
export function rankRootCauses(a: RootCause, b: RootCause): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    CONFIDENCE_RANK[b.confidence] - CONFIDENCE_RANK[a.confidence] ||
    b.score - a.score ||
    a.id.localeCompare(b.id)
  );
}

/** Orders findings: most severe first, then by code and entity. */
export function rankFindings(a: Finding, b: Finding): number {
  return severityRank(b.severity) - severityRank(a.severity) || a.code.localeCompare(b.code) || a.entity.name.localeCompare(b.entity.name);
}

/**
 * Merges root causes that name the same thing on proxies of one owner (the pods of a deployment): one root
 * cause, seen on every pod, keeping the strongest pod's evidence.
 */
export function mergeAcrossProxies(rootCauses: RootCause[], snapshots: Snapshot[]): RootCause[] {
  const owners = new Map(snapshots.map((s) => [s.id, s.owner]));
  const merged = new Map<string, RootCause>();
  const out: RootCause[] = [];
  for (const r of [...rootCauses].sort(rankRootCauses)) {
    const owner = owners.get(r.snapshot);
    if (owner === undefined) {
      out.push(r);
      continue;
    }
    const key = `${owner}|${r.id}|${r.entities.map((e) => `${e.kind}:${e.name}`).sort().join(',')}`;
    const existing = merged.get(key);
    if (existing) {
      for (const id of r.seenOn) if (!existing.seenOn.includes(id)) existing.seenOn.push(id);
    } else {
      const copy = { ...r, seenOn: [...r.seenOn] };
      merged.set(key, copy);
      out.push(copy);
    }
  }
  return out;
}

/** Diagnoses snapshots. Pure apart from loading the analyzer modules. */
export async function diagnose(snapshots: Snapshot[], notCollected: NotCollected[] = []): Promise<Diagnosis> {
  const analyzers = await loadAnalyzers();
  const findings: Finding[] = [];
  const rootCauses: RootCause[] = [];
  for (const snapshot of snapshots) {
    const own = analyzers.flatMap((a) => a.analyze(snapshot));
    findings.push(...own);
    const diagnosed = RULES.flatMap((rule) => rule.diagnose(snapshot, own));
    rootCauses.push(...attachFixes(snapshot, diagnosed));
  }
  return { snapshots, findings: findings.sort(rankFindings), rootCauses: mergeAcrossProxies(rootCauses, snapshots).sort(rankRootCauses), notCollected };
}
