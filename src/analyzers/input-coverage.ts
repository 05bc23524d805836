// What could not be assessed. A missing input means "unknown", never "healthy". Missing stats of the entities
// that serve WebSockets, and why (Envoy Gateway >= 1.8 creates cluster stats lazily; EnvoyProxy telemetry matches
// or stats inclusion lists drop whole families: envoyproxy/gateway api/v1alpha1/envoyproxy_metric_types.go,
// envoy api/envoy/config/metrics/v3/stats.proto StatsMatcher), are stats-coverage's.

import type { Finding } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { type AnalyzerMeta, finding } from './analyzer.ts';

export const meta: AnalyzerMeta = {
  id: 'input-coverage',
  title: 'Inputs and stats that were missing',
  reads: ['config', 'stats', 'stats-later'],
  emits: ['input-missing', 'kubernetes-read-refused', 'optional-read-failed'],
  docs: 'docs/analyzers/input-coverage.md',
};

export function analyze(s: Snapshot): Finding[] {
  const proxy = { kind: 'proxy' as const, name: s.id };
  const findings: Finding[] = [];
  if (!s.inputs.configDump) {
    findings.push(finding(s, 'input-missing', 'info', proxy, { input: 'config-dump' }));
  }
  if (!s.inputs.stats) {
    findings.push(finding(s, 'input-missing', 'info', proxy, { input: 'stats' }));
  } else if (!s.inputs.statsLater) {
    findings.push(finding(s, 'input-missing', 'info', proxy, { input: 'stats-later' }));
  }
  for (const read of s.warnings ?? []) findings.push(finding(s, 'optional-read-failed', 'info', proxy, { read }));
  for (const refused of s.kubernetes?.unavailable ?? []) {
    findings.push(finding(s, 'kubernetes-read-refused', 'info', proxy, { refused }));
  }
  return findings;
}
