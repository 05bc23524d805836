// What could not be assessed. A missing input means "unknown", never "healthy". Missing stats of the entities
// that serve WebSockets, and why (Envoy Gateway >= 1.8 creates cluster stats lazily; EnvoyProxy telemetry matches
// or stats inclusion lists drop whole families: envoyproxy/gateway api/v1alpha1/envoyproxy_metric_types.go,
// envoy api/envoy/config/metrics/v3/stats.proto StatsMatcher), are stats-coverage's.

import { findingType } from '../model/catalogue-entry.ts';
import type { Finding } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { defineAnalyzer, finding } from './analyzer.ts';

/** An input the diagnosis was not given. */
const INPUT_MISSING = findingType<{ input: 'config-dump' | 'stats' | 'stats-later' }>()(
  'input-missing',
  'An input was not given',
  'no {input}: what it feeds cannot be assessed ({input} is unknown, not healthy)',
);

/** An optional read that failed, as the collection reported it. */
const OPTIONAL_READ_FAILED = findingType<{ read: string }>()('optional-read-failed', 'An optional read failed', '{read}: diagnosed without it');

/** A Kubernetes read the cluster refused. */
const KUBERNETES_READ_REFUSED = findingType<{ refused: string }>()(
  'kubernetes-read-refused',
  'A Kubernetes read was refused',
  '{refused}: what it feeds cannot be assessed',
);

export const meta = defineAnalyzer({
  id: 'input-coverage',
  title: 'Inputs and stats that were missing',
  reads: ['config', 'stats', 'stats-later'],
  stats: {},
  findings: [INPUT_MISSING, KUBERNETES_READ_REFUSED, OPTIONAL_READ_FAILED],
});

export function analyze(s: Snapshot): Finding[] {
  const proxy = { kind: 'proxy' as const, name: s.id };
  const findings: Finding[] = [];
  if (!s.inputs.configDump) {
    findings.push(finding(s, INPUT_MISSING, 'info', proxy, { input: 'config-dump' }));
  }
  if (!s.inputs.stats) {
    findings.push(finding(s, INPUT_MISSING, 'info', proxy, { input: 'stats' }));
  } else if (!s.inputs.statsLater) {
    findings.push(finding(s, INPUT_MISSING, 'info', proxy, { input: 'stats-later' }));
  }
  for (const read of s.warnings ?? []) findings.push(finding(s, OPTIONAL_READ_FAILED, 'info', proxy, { read }));
  for (const refused of s.kubernetes?.unavailable ?? []) {
    findings.push(finding(s, KUBERNETES_READ_REFUSED, 'info', proxy, { refused }));
  }
  return findings;
}
