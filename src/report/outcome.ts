// Exit codes, documented in the README: 0 nothing at or above --fail-on, 79 something is, 69 some proxies
// could not be collected (and nothing reached --fail-on), 64 usage error, 65 unreadable or unrecognised input,
// 74 the metrics could not be written or pushed (--metrics-file, --push), 1 internal error.

import type { Diagnosis } from '../diagnose/diagnose.ts';
import { type Severity, severityRank } from '../model/finding.ts';

/** Process exit codes. */
export const EXIT = { ok: 0, internal: 1, usage: 64, input: 65, unavailable: 69, publish: 74, findings: 79 } as const;

/** What makes a run fail. */
export interface ExitPolicy {
  failOn: Severity | 'none';
}

/** The highest severity among root causes and findings, or undefined when there are none. */
export function highestSeverity(d: Diagnosis): Severity | undefined {
  let best: Severity | undefined;
  for (const s of [...d.rootCauses.map((r) => r.severity), ...d.findings.map((f) => f.severity)]) {
    if (best === undefined || severityRank(s) > severityRank(best)) best = s;
  }
  return best;
}

/** 79 when something is at or above --fail-on; else 69 when some proxies were not collected; else 0. */
export function exitCodeFor(d: Diagnosis, policy: ExitPolicy): number {
  if (d.snapshots.length === 0 && d.notCollected.length > 0) return EXIT.unavailable;
  const worst = highestSeverity(d);
  if (policy.failOn !== 'none' && worst !== undefined && severityRank(worst) >= severityRank(policy.failOn)) return EXIT.findings;
  return d.notCollected.length > 0 ? EXIT.unavailable : EXIT.ok;
}
