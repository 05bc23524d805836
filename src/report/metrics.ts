// Findings and root causes as Prometheus text exposition (format 0.0.4), for node-exporter's textfile collector
// and the Pushgateway: many clusters roll up in the monitoring users already run. One series per root cause and
// entity, per finding, and per numeric evidence value; labels carry ids and names, never prose, so series stay
// stable from run to run. Proxies are labelled by what runs them (the deployment) when known, so pod restarts
// do not churn series.

import type { Diagnosis } from '../diagnose/diagnose.ts';
import type { EntityRef } from '../model/finding.ts';

/** Escapes a label value: backslash, double quote and line feed, as the exposition format requires. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Escapes HELP text: backslash and line feed. */
function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A value as the exposition format writes it (`+Inf`, `NaN`, plain decimals otherwise). */
function formatSample(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

type Labels = Record<string, string>;

/** One metric family: name, help, type and its samples. */
interface MetricFamily {
  name: string;
  help: string;
  type: 'gauge';
  samples: Array<{ labels: Labels; value: number }>;
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

/** Renders families as exposition text: HELP and TYPE, then each sample once (repeated label sets are dropped). */
export function renderFamilies(families: MetricFamily[]): string {
  const out: string[] = [];
  for (const f of families) {
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    const seen = new Set<string>();
    for (const s of f.samples) {
      const line = `${f.name}${labelText(s.labels)}`;
      if (seen.has(line)) continue;
      seen.add(line);
      out.push(`${line} ${formatSample(s.value)}`);
    }
  }
  return `${out.join('\n')}\n`;
}

function entityLabels(e: EntityRef): Labels {
  return { entity_kind: e.kind, entity: e.name };
}

/** Builds the metric families of a diagnosis; `now` is the run's time. */
function metricFamilies(d: Diagnosis, now: Date): MetricFamily[] {
  const proxyOf = new Map(d.snapshots.map((s) => [s.id, { proxy: s.owner ?? s.id, namespace: s.namespace ?? '' }]));
  const proxy = (id: string): Labels => proxyOf.get(id) ?? { proxy: id, namespace: '' };
  const rootCause: MetricFamily = {
    name: 'envoy_doctor_root_cause',
    help: 'A root cause envoy-doctor names, one series per root cause and entity (value 1).',
    type: 'gauge',
    samples: d.rootCauses.flatMap((r) =>
      r.entities.map((e) => ({ labels: { id: r.id, severity: r.severity, confidence: r.confidence, ...proxy(r.snapshot), ...entityLabels(e) }, value: 1 })),
    ),
  };
  const score: MetricFamily = {
    name: 'envoy_doctor_root_cause_score',
    help: 'How well the evidence supports a root cause, 0 to 1, labelled with its first entity.',
    type: 'gauge',
    samples: d.rootCauses.map((r) => ({ labels: { id: r.id, ...proxy(r.snapshot), ...(r.entities[0] ? entityLabels(r.entities[0]) : {}) }, value: r.score })),
  };
  // Several findings can share a code and an entity (two bands of sessions on one route): the findings family
  // counts them, and evidence series tell them apart by their index among those findings.
  const findingCounts = new Map<string, { labels: Labels; value: number }>();
  const evidenceSamples: Array<{ labels: Labels; value: number }> = [];
  const seen = new Map<string, number>();
  for (const f of d.findings) {
    const labels = { code: f.code, severity: f.severity, ...proxy(f.snapshot), ...entityLabels(f.entity) };
    const key = JSON.stringify(labels);
    const counted = findingCounts.get(key);
    if (counted) counted.value += 1;
    else findingCounts.set(key, { labels, value: 1 });
    const same = JSON.stringify([f.code, f.snapshot, f.entity.kind, f.entity.name]);
    const index = seen.get(same) ?? 0;
    seen.set(same, index + 1);
    for (const [k, v] of Object.entries(f.evidence)) {
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      evidenceSamples.push({ labels: { code: f.code, ...proxy(f.snapshot), ...entityLabels(f.entity), index: String(index), key: k }, value: v });
    }
  }
  const findings: MetricFamily = {
    name: 'envoy_doctor_findings',
    help: 'Findings of the analyzers by code, severity and entity: how many (usually 1).',
    type: 'gauge',
    samples: [...findingCounts.values()],
  };
  const evidence: MetricFamily = {
    name: 'envoy_doctor_finding_evidence',
    help: 'The numbers behind a finding (bytes, milliseconds, counts, 0..1 shares), by evidence key; index tells apart findings of one code on one entity.',
    type: 'gauge',
    samples: evidenceSamples,
  };
  const severities = ['error', 'warning', 'info'] as const;
  const counts: MetricFamily = {
    name: 'envoy_doctor_root_causes',
    help: 'How many root causes were named, by severity.',
    type: 'gauge',
    samples: severities.map((severity) => ({ labels: { severity }, value: d.rootCauses.filter((r) => r.severity === severity).length })),
  };
  const proxies: MetricFamily = {
    name: 'envoy_doctor_proxies',
    help: 'Proxies diagnosed (collected) and proxies that could not be read (not_collected).',
    type: 'gauge',
    samples: [
      { labels: { state: 'collected' }, value: d.snapshots.length },
      { labels: { state: 'not_collected' }, value: d.notCollected.length },
    ],
  };
  const run: MetricFamily = {
    name: 'envoy_doctor_run_timestamp_seconds',
    help: 'When envoy-doctor wrote these metrics, in seconds since the Unix epoch.',
    type: 'gauge',
    samples: [{ labels: {}, value: Math.floor(now.getTime() / 1000) }],
  };
  return [rootCause, score, counts, findings, evidence, proxies, run];
}

/** Renders a diagnosis as Prometheus text exposition. */
export function renderMetrics(d: Diagnosis, now: Date): string {
  return renderFamilies(metricFamilies(d, now));
}
