// What a lab scenario is: a root cause driven in a real Envoy, with its healthy twin. The runner (lab/run.ts) starts
// the backend and Envoy, drives the load, asks envoy-doctor, applies its printed fix and drives the load again.

import type { Backend } from './backend.ts';
import type { Report } from './doctor.ts';
import type { Bootstrap, RunningEnvoy } from './envoy.ts';

/** Starts Envoy on a bootstrap for a question's own measurement; the caller stops it. */
export type StartEnvoy = (bootstrap: Bootstrap) => Promise<RunningEnvoy>;

/** Where a scenario runs. */
export interface ScenarioContext {
  backend: Backend;
  envoyVersion: string;
  /** Envoy Gateway's egctl, when the lab could build it (lab/envoy-gateway.ts). */
  egctl?: string;
  /** For the `fixed` drive of a scenario whose fix is outside Envoy: what envoy-doctor printed to apply (`fixOutsideEnvoy`). */
  fix?: Record<string, number>;
}

/** Which configuration a drive runs against. */
export type Variant = 'failing' | 'healthy' | 'fixed';

/** What driving the load showed: whether the failure happened, and the numbers that say so. */
export interface Observation {
  failed: boolean;
  measured: Record<string, number | string | boolean | null>;
  /**
   * Ends what the drive left open (called after envoy-doctor has read the Envoy); what it returns resolves once what
   * the load opened has ended, where that takes a while (`--record` waits for it before it reads the access log).
   */
  release?: () => void | Promise<void>;
}

/** One scenario. */
export interface Scenario {
  /** The root cause it reproduces. */
  rootCause: string;
  /** The scenario's name, when it is not the root cause's id (another flavor of the same root cause). */
  name?: string;
  /** The entities the root cause must name, as `kind name`. */
  entities: string[];
  /** The configuration that fails. */
  failing(ctx: ScenarioContext): Bootstrap | Promise<Bootstrap>;
  /** The same configuration done right. */
  healthy(ctx: ScenarioContext): Bootstrap | Promise<Bootstrap>;
  /** The flavor of envoy-doctor's fix the scenario proves: plain Envoy unless it says otherwise. */
  fixFlavor?: 'envoy' | 'envoy-gateway';
  /** Applies the printed fixes of `fixFlavor` to the failing setup; plain-Envoy fixes are merged by lab/apply-fix.ts. */
  applyFix?(ctx: ScenarioContext, fixes: Array<{ flavor: string; target: string; apply: string; text: string }>): Promise<Bootstrap>;
  /**
   * For a root cause whose fix is outside Envoy (no flavor renders an Envoy object, on purpose): what to apply, read from
   * the root cause envoy-doctor printed (its explanations' values), or undefined when it printed nothing to apply. The
   * runner drives the failing configuration again with it in `ctx.fix` (variant `fixed`).
   */
  fixOutsideEnvoy?(printed: Report['rootCauses'][number]): Record<string, number> | undefined;
  /** True when envoy-doctor is given Envoy's access log (its stdout lines in Envoy's own formats) with --access-log. */
  readsAccessLog?: boolean;
  /** True when it needs egctl: it is reported as not run where egctl cannot be built. */
  needsEgctl?: boolean;
  /** Drives the load and observes; the Envoy is left running for envoy-doctor to read. */
  drive(ctx: ScenarioContext, envoy: RunningEnvoy, variant: Variant): Promise<Observation>;
  /** True when the scenario drops packets (lab/netns.ts): it runs only in the lab's own network namespace. */
  dropsPackets?: boolean;
  /**
   * Why the scenario spends most of its time waiting on a timer rather than the CPU: it runs in a worker of its own,
   * beside the others of its Envoy version, so the lab's wall time is not the sum of its waits.
   */
  waitsApart?: string;
  /** Seconds between envoy-doctor's two stats samples. */
  intervalSeconds?: number;
  /** Why the plain-Envoy fix cannot be proven by a replay, when it cannot. */
  noFixReplay?: string;
  /**
   * What the lab measured when envoy-doctor's fix does not end this failure in a real Envoy. The replay still runs;
   * the scenario passes only while the failure still happens with the fix applied, so a change in Envoy shows.
   */
  fixDoesNotEnd?: string;
  /**
   * Open questions about what Envoy does that this scenario's setting answers (docs/lab.md): each runs its own
   * configurations and returns the numbers measured, kept in .lab/results.json under `answers`.
   */
  questions?: Record<string, (ctx: ScenarioContext, start: StartEnvoy) => Promise<Record<string, unknown>>>;
}
