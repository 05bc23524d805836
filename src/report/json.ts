// The machine-readable report. Its shape is versioned (schemaVersion) and described by docs/json-schema.json;
// fields are only ever added within a major schema version.

import { entry } from '../model/catalogue.ts';
import type { Diagnosis } from '../diagnose/diagnose.ts';
import type { Finding } from '../model/finding.ts';
import { exitCodeFor, type ExitPolicy } from './outcome.ts';

/** The JSON report's schema version. */
export const JSON_SCHEMA_VERSION = 1;

function findingJson(f: Finding) {
  return { code: f.code, title: entry(f.code).title, severity: f.severity, snapshot: f.snapshot, entity: f.entity, evidence: f.evidence, docs: entry(f.code).docs ?? null };
}

/** Builds the JSON report object. */
export function jsonReport(d: Diagnosis, tool: { name: string; version: string }, policy: ExitPolicy): unknown {
  return {
    schemaVersion: JSON_SCHEMA_VERSION,
    tool,
    snapshots: d.snapshots.map((s) => ({
      id: s.id,
      namespace: s.namespace ?? null,
      owner: s.owner ?? null,
      flavor: s.flavor,
      envoyVersion: s.envoyVersion ?? null,
      inputs: { configDump: s.inputs.configDump ?? null, stats: s.inputs.stats ?? null, statsLater: s.inputs.statsLater ?? null },
      intervalSeconds: s.intervalSeconds ?? null,
      counts: { clusters: s.clusters.size, listeners: s.listeners.length, routes: s.routes.length, stats: s.statsLater?.count ?? s.stats?.count ?? 0 },
    })),
    notCollected: d.notCollected.map((n) => ({ id: n.id, namespace: n.namespace ?? null, reason: n.reason })),
    findings: d.findings.map(findingJson),
    rootCauses: d.rootCauses.map((r) => ({
      id: r.id,
      title: entry(r.id).title,
      severity: r.severity,
      confidence: r.confidence,
      score: r.score,
      snapshot: r.snapshot,
      seenOn: r.seenOn,
      entities: r.entities,
      evidence: r.evidence.map(findingJson),
      explains: r.explains,
      ruledOut: r.checks.filter((c) => c.verdict === 'ruled-out').map((c) => ({ hypothesis: c.hypothesis, entity: c.entity, evidence: c.evidence })),
      alsoPossible: r.checks.filter((c) => c.verdict === 'possible').map((c) => ({ hypothesis: c.hypothesis, entity: c.entity, evidence: c.evidence })),
      unknown: r.checks.filter((c) => c.verdict === 'unknown').map((c) => ({ hypothesis: c.hypothesis, entity: c.entity, missing: c.missing ?? [] })),
      fixes: r.fixes,
      docs: entry(r.id).docs ?? null,
    })),
    summary: {
      rootCauses: d.rootCauses.length,
      findings: { error: count(d.findings, 'error'), warning: count(d.findings, 'warning'), info: count(d.findings, 'info') },
      failOn: policy.failOn,
      exitCode: exitCodeFor(d, policy),
    },
  };
}

function count(findings: Finding[], severity: Finding['severity']): number {
  return findings.filter((f) => f.severity === severity).length;
}

/** Renders the JSON report as text. */
export function renderJson(d: Diagnosis, tool: { name: string; version: string }, policy: ExitPolicy): string {
  return [...renderJsonChunks(d, tool, policy)].join('');
}

/**
 * The JSON report's text in pieces: the same bytes as `JSON.stringify(report, null, 2)` and a newline, with each
 * element of its arrays (every finding, every root cause) stringified on its own. A mesh's report is hundreds of MB
 * of text: as one string it doubles the command's memory, and it can outgrow the longest string V8 holds.
 */
export function* renderJsonChunks(d: Diagnosis, tool: { name: string; version: string }, policy: ExitPolicy): Generator<string> {
  const report = jsonReport(d, tool, policy) as Record<string, unknown>;
  // Nested text moved in by `depth` levels: JSON.stringify escapes newlines inside strings, so every newline is layout.
  const indent = (text: string, depth: number) => text.replace(/\n/g, `\n${'  '.repeat(depth)}`);
  const keys = Object.keys(report).filter((k) => report[k] !== undefined);
  yield '{\n';
  for (const [i, key] of keys.entries()) {
    const value = report[key];
    const comma = i < keys.length - 1 ? ',' : '';
    if (Array.isArray(value) && value.length > 0) {
      yield `  ${JSON.stringify(key)}: [\n`;
      for (const [j, item] of value.entries()) yield `    ${indent(JSON.stringify(item, null, 2) ?? 'null', 2)}${j < value.length - 1 ? ',' : ''}\n`;
      yield `  ]${comma}\n`;
    } else yield `  ${JSON.stringify(key)}: ${indent(JSON.stringify(value, null, 2), 1)}${comma}\n`;
  }
  yield '}\n';
}
