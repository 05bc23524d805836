// Exit codes, documented in the README: 0 nothing at or above --fail-on, 79 something is, 69 some proxies
// could not be collected (and nothing reached --fail-on) or none could, 64 usage error, 65 unreadable or
// unrecognised input, 74 the metrics could not be written or pushed (--metrics-file, --push), 1 internal error.

import type { Diagnosis } from '../diagnose/diagnose.ts';
import { type Severity, severityRank } from '../model/finding.ts';

/** Process exit codes. */
export const EXIT = { ok: 0, internal: 1, usage: 64, input: 65, unavailable: 69, publish: 74, findings: 79 } as const;

/** What makes a run fail. */
export interface ExitPolicy {
  failOn: Severity | 'none';
  /** `--force-exit-zero`: 0 for what was found and for proxies some of which could not be read. */
  forceExitZero?: boolean;
}

/** The highest severity among root causes and findings, or undefined when there are none. */
function highestSeverity(d: Pick<Diagnosis, 'rootCauses' | 'findings'>): Severity | undefined {
  let best: Severity | undefined;
  for (const s of [...d.rootCauses.map((r) => r.severity), ...d.findings.map((f) => f.severity)]) {
    if (best === undefined || severityRank(s) > severityRank(best)) best = s;
  }
  return best;
}

/** What a report says when no proxy was read: nothing was diagnosed, which is not the same as healthy. */
export const NOTHING_DIAGNOSED = 'no proxy was read, so nothing was diagnosed: this says nothing about whether the proxies are healthy';

/** Whether the run read no proxy at all: then nothing was diagnosed, whatever else it says. */
export function nothingDiagnosed(d: Pick<Diagnosis, 'snapshots'>): boolean {
  return d.snapshots.length === 0;
}

/** The code before `--force-exit-zero`: 69 when no proxy was read; 79 when something is at or above --fail-on; else 69
 * when some proxies were not collected; else 0. */
function diagnosisCode(d: Diagnosis, failOn: ExitPolicy['failOn']): number {
  if (nothingDiagnosed(d)) return EXIT.unavailable;
  const worst = highestSeverity(d);
  if (failOn !== 'none' && worst !== undefined && severityRank(worst) >= severityRank(failOn)) return EXIT.findings;
  return d.notCollected.length > 0 ? EXIT.unavailable : EXIT.ok;
}

/** `--force-exit-zero`: 0 for what was found (79) and for proxies some of which could not be read (69); a run that
 * read no proxy at all keeps 69. */
export function forcedExitCode(code: number, d: Pick<Diagnosis, 'snapshots'>): number {
  if (code === EXIT.findings) return EXIT.ok;
  if (code === EXIT.unavailable && !nothingDiagnosed(d)) return EXIT.ok;
  return code;
}

/** The exit code of a diagnosis under the policy (a failed post or publish can still change it afterwards). */
export function exitCodeFor(d: Diagnosis, policy: ExitPolicy): number {
  const code = diagnosisCode(d, policy.failOn);
  return policy.forceExitZero ? forcedExitCode(code, d) : code;
}

/** The exit code and what it means, in one line for people: `exit 79: an error is at or above --fail-on error`. */
export function exitSummary(d: Diagnosis, policy: ExitPolicy): { code: number; meaning: string } {
  const before = diagnosisCode(d, policy.failOn);
  const code = exitCodeFor(d, policy);
  const total = d.snapshots.length + d.notCollected.length;
  let why: string;
  if (nothingDiagnosed(d))
    why = total === 0 ? 'no proxy was found to diagnose' : total === 1 ? 'the proxy could not be collected' : `none of the ${total} proxies could be collected`;
  else if (before === EXIT.findings) {
    const worst = highestSeverity(d) as Severity;
    why = `${worst === 'info' ? 'an info finding' : `${worst === 'error' ? 'an' : 'a'} ${worst}`} is at or above --fail-on ${policy.failOn}`;
  } else if (before === EXIT.unavailable) why = `${d.notCollected.length} of ${total} proxies could not be collected`;
  else why = policy.failOn === 'none' ? 'nothing fails the run (--fail-on none)' : `nothing is at or above --fail-on ${policy.failOn}`;
  const meaning = code === before ? why : `${why}; --force-exit-zero makes it ${code} (${before} without it)`;
  return { code, meaning };
}
