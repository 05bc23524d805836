// `npm run lab`: every scenario of lab/scenarios/ on every Envoy version of lab/setup.ts, in a real Envoy.
// For each: drive the failure and check it happened; run `envoy-doctor diagnose --admin` and `collect` + `analyze`
// against the real admin API and check the root cause is named first on the right entities; drive the healthy twin
// and check nothing is named; merge envoy-doctor's own plain-Envoy fix into the failing config, check it with
// `envoy --mode validate`, replay the load and check the failure is gone and the diagnosis clean.
// Prints a table and writes .lab/results.json; exits 1 when any check failed.
//
//   npm run lab [-- --scenario ID[,ID]] [--envoy VERSION] [--record] [--serial]
//
// The Envoy versions run at once, each in worker processes of its own (--serial: one after the other): scenarios that
// mostly wait on a timer (`waitsApart`) in one, the others in another.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { applyFixes } from './apply-fix.ts';
import { startBackend } from './backend.ts';
import { collectAndAnalyze, diagnoseLive, type Report } from './doctor.ts';
import { type Bootstrap, type RunningEnvoy, startEnvoy, validate } from './envoy.ts';
import { stopAll } from './processes.ts';
import { ensureEgctl } from './envoy-gateway.ts';
import { isolated, isolationUnavailable, rerunIsolated } from './netns.ts';
import { envoyAccessLog, recordRun } from './record.ts';
import type { Scenario, ScenarioContext, Variant } from './scenario.ts';
import { SCENARIOS } from './scenarios/index.ts';
import { ENVOY_VERSIONS, ensureEnvironment, LAB_DIR, type LabEnvironment } from './setup.ts';

/** One row of .lab/results.json. */
export interface LabResult {
  scenario: string;
  rootCause: string;
  envoyVersion: string;
  reproduced: boolean;
  namedFirst: boolean;
  healthyClean: boolean;
  fixApplied: boolean;
  failureEndedAfterFix: boolean;
  why: string | null;
  measured: Record<string, unknown>;
  /** Numbers measured for the scenario's open questions (docs/lab.md). */
  answers: Record<string, unknown>;
}

const { values } = parseArgs({
  options: {
    scenario: { type: 'string' },
    envoy: { type: 'string' },
    record: { type: 'boolean', default: false },
    /** One Envoy version after the other instead of both at once. */
    serial: { type: 'boolean', default: false },
    /** Internal: run one version and write .lab/results-<version>-<part>.json for the parent run. */
    worker: { type: 'boolean', default: false },
    part: { type: 'string', default: '0' },
  },
});
const wanted = values.scenario?.split(',');
/** A scenario's name: its root cause, unless it names itself. */
const nameOf = (s: Scenario) => s.name ?? s.rootCause;
const scenarios = SCENARIOS.filter((s) => !wanted || wanted.includes(nameOf(s)));
if (wanted && scenarios.length !== wanted.length) {
  console.error(`lab: unknown scenario in ${values.scenario}; known: ${SCENARIOS.map(nameOf).join(', ')}`);
  process.exit(2);
}
const versions = values.envoy ? [values.envoy] : [...ENVOY_VERSIONS];
const log = (line: string) => console.log(`lab: ${line}`);

/** The first root cause of a report, and whether it names the scenario's entities. */
function namedFirst(s: Scenario, r: Report): { ok: boolean; first: string } {
  const first = r.rootCauses[0];
  if (!first) return { ok: false, first: 'none' };
  const named = new Set(first.entities.map((e) => `${e.kind} ${e.name}`));
  return { ok: first.id === s.rootCause && s.entities.every((e) => named.has(e)), first: `${first.id} on ${[...named].join(', ')}` };
}

/** Runs a configuration: Envoy up, load driven, envoy-doctor's two reads; Envoy stopped. */
async function runOnce(s: Scenario, ctx: ScenarioContext, env: LabEnvironment, bootstrap: Bootstrap, variant: Variant, record = false) {
  const envoy: RunningEnvoy = await startEnvoy(env.envoy, bootstrap);
  try {
    const observation = await s.drive(ctx, envoy, variant);
    const interval = s.intervalSeconds ?? 1;
    const accessLog = s.readsAccessLog ? join(envoy.dir, 'access.log') : undefined;
    if (accessLog) writeFileSync(accessLog, envoyAccessLog(envoy.process.stdout()).join('\n'));
    const live = await diagnoseLive(envoy.admin, interval, accessLog);
    mkdirSync(join(LAB_DIR, 'reports'), { recursive: true });
    writeFileSync(join(LAB_DIR, 'reports', `${nameOf(s)}-${ctx.envoyVersion}-${variant}.json`), JSON.stringify(live, null, 1));
    const bundle = variant === 'failing' ? await collectAndAnalyze(envoy.admin, interval, accessLog) : undefined;
    const release = () => observation.release?.();
    if (record) await recordRun(nameOf(s), variant, envoy, interval, release);
    else release();
    return { observation, live, bundle };
  } finally {
    await envoy.stop();
  }
}

/** A result with nothing established yet. */
function emptyResult(s: Scenario, envoyVersion: string): LabResult {
  return {
    scenario: nameOf(s),
    rootCause: s.rootCause,
    envoyVersion,
    reproduced: false,
    namedFirst: false,
    healthyClean: false,
    fixApplied: false,
    failureEndedAfterFix: false,
    why: null,
    measured: {},
    answers: {},
  };
}

async function runScenario(s: Scenario, env: LabEnvironment): Promise<LabResult> {
  const backend = await startBackend(env.python);
  const result = emptyResult(s, env.envoyVersion);
  const { measured, answers } = result;
  const ctx: ScenarioContext = { backend, envoyVersion: env.envoyVersion, egctl: egctl.egctl };
  try {
    // --record keeps the failing and healthy runs on the newest Envoy (lab/record.ts).
    const record = values.record && env.envoyVersion === ENVOY_VERSIONS[ENVOY_VERSIONS.length - 1];
    const failing = await s.failing(ctx);
    const f = await runOnce(s, ctx, env, failing, 'failing', record);
    measured.failing = f.observation.measured;
    result.reproduced = f.observation.failed;
    const live = namedFirst(s, f.live);
    const bundle = namedFirst(s, f.bundle as Report);
    measured.namedLive = live.first;
    measured.namedBundle = bundle.first;
    result.namedFirst = live.ok && bundle.ok;

    const h = await runOnce(s, ctx, env, await s.healthy(ctx), 'healthy', record);
    measured.healthy = h.observation.measured;
    measured.healthyNamed = h.live.rootCauses.map((r) => r.id).join(', ') || 'none';
    result.healthyClean = !h.observation.failed && h.live.rootCauses.length === 0;

    const flavor = s.fixFlavor ?? 'envoy';
    const printed = f.live.rootCauses.find((r) => r.id === s.rootCause);
    const fixes = printed?.fixes.filter((x) => x.flavor === flavor) ?? [];
    /** Drives the load again on the fixed setup and checks the failure is gone. */
    const replay = async (fixedCtx: ScenarioContext, fixed: Bootstrap) => {
      result.fixApplied = true;
      const x = await runOnce(s, fixedCtx, env, fixed, 'fixed');
      measured.fixed = x.observation.measured;
      measured.fixedNamed = x.live.rootCauses.map((r) => r.id).join(', ') || 'none';
      result.failureEndedAfterFix = !x.observation.failed && !x.live.rootCauses.some((r) => r.id === s.rootCause);
      if (s.fixDoesNotEnd) result.why = s.fixDoesNotEnd;
    };
    const outside = printed && s.fixOutsideEnvoy?.(printed);
    if (s.noFixReplay) result.why = s.noFixReplay;
    else if (s.fixOutsideEnvoy) {
      if (outside) await replay({ ...ctx, fix: outside }, failing);
      else result.why = 'envoy-doctor printed nothing to apply outside Envoy for this root cause';
    } else if (fixes.length === 0) result.why = `envoy-doctor printed no ${flavor === 'envoy' ? 'plain-Envoy' : 'Envoy Gateway'} fix for this root cause`;
    else {
      const fixed = s.applyFix ? await s.applyFix(ctx, fixes) : applyFixes(failing, fixes);
      const invalid = await validate(env.envoy, fixed);
      if (invalid) result.why = `the fix merged into the config does not validate: ${invalid}`;
      else await replay(ctx, fixed);
    }
    for (const [question, measure] of Object.entries(s.questions ?? {})) {
      const running: RunningEnvoy[] = [];
      try {
        answers[question] = await measure(ctx, async (b) => {
          const e = await startEnvoy(env.envoy, b);
          running.push(e);
          return e;
        });
      } finally {
        await Promise.all(running.map((e) => e.stop()));
      }
    }
  } catch (err) {
    result.why = `${result.why ?? ''}${result.why ? '; ' : ''}lab error: ${(err as Error).message}`;
  } finally {
    await backend.stop();
  }
  return result;
}

/** Runs every scenario on one Envoy version. */
async function runVersion(env: LabEnvironment, noNamespace: string | undefined): Promise<LabResult[]> {
  const out: LabResult[] = [];
  for (const s of scenarios) {
    if (s.dropsPackets && !isolated()) {
      out.push({ ...emptyResult(s, env.envoyVersion), why: `not run: it drops packets, which needs the lab's own network namespace (${noNamespace})` });
      continue;
    }
    if (s.needsEgctl && !egctl.egctl) {
      out.push({ ...emptyResult(s, env.envoyVersion), why: `not run: it translates with Envoy Gateway's egctl (${egctl.why})` });
      continue;
    }
    const t = Date.now();
    const r = await runScenario(s, env);
    out.push(r);
    log(`${nameOf(s)} on Envoy ${env.envoyVersion}: ${((Date.now() - t) / 1000).toFixed(1)} s ${JSON.stringify(r.measured)}${r.why ? ` (${r.why})` : ''}`);
    if (Object.keys(r.answers).length > 0) log(`${nameOf(s)} on Envoy ${env.envoyVersion}: answers ${JSON.stringify(r.answers)}`);
  }
  return out;
}

/** The scenarios of a run in parts that run at once: those that mostly wait (`waitsApart`), and the others. */
function parts(): Scenario[][] {
  return [scenarios.filter((s) => s.waitsApart), scenarios.filter((s) => !s.waitsApart)].filter((p) => p.length > 0);
}

/** Runs each version in worker processes of its own, one per part of the scenarios, all at once; returns their results. */
async function runWorkers(environments: LabEnvironment[]): Promise<LabResult[]> {
  const jobs = environments.flatMap((env) => parts().map((part, i) => ({ env, part: String(i), names: part.map(nameOf).join(',') })));
  // A worker that dies leaves no results: an earlier run's must not stand in for them.
  for (const job of jobs) rmSync(join(LAB_DIR, `results-${job.env.envoyVersion}-${job.part}.json`), { force: true });
  const codes = await Promise.all(
    jobs.map(
      (job) =>
        new Promise<number | null>((resolve) => {
          const args = ['--worker', '--envoy', job.env.envoyVersion, '--part', job.part, '--scenario', job.names, ...(values.record ? ['--record'] : [])];
          const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args], { stdio: 'inherit' });
          child.on('close', resolve);
        }),
    ),
  );
  return jobs.flatMap((job, i) => {
    const file = join(LAB_DIR, `results-${job.env.envoyVersion}-${job.part}.json`);
    if (!existsSync(file)) throw new Error(`the run of Envoy ${job.env.envoyVersion} (${job.names}) ended (${codes[i]}) without its results`);
    return JSON.parse(readFileSync(file, 'utf8')) as LabResult[];
  });
}

const started = Date.now();
let results: LabResult[] = [];
/** egctl for the scenarios that translate with Envoy Gateway, or why there is none. */
let egctl: { egctl?: string; why?: string } = { why: 'no scenario asked for it' };
try {
  const environments: LabEnvironment[] = [];
  for (const version of versions) environments.push(await ensureEnvironment(version, log));
  if (scenarios.some((s) => s.needsEgctl)) egctl = await ensureEgctl(log);
  // Everything else runs in the lab's own network namespace when the machine allows one.
  const noNamespace = isolated() ? undefined : isolationUnavailable();
  if (!isolated() && !noNamespace) process.exit(rerunIsolated());
  if (noNamespace && !values.worker) log(`no network namespace of its own (${noNamespace}): scenarios that drop packets are not run`);
  if (environments.length > 1 && !values.serial) results = await runWorkers(environments);
  else for (const env of environments) results.push(...(await runVersion(env, noNamespace)));
} catch (err) {
  console.error(`lab: ${(err as Error).message}`);
  stopAll();
  process.exit(1);
}

if (values.worker) {
  writeFileSync(join(LAB_DIR, `results-${versions[0]}-${values.part}.json`), JSON.stringify(results));
  stopAll();
  process.exit(0);
}

mkdirSync(LAB_DIR, { recursive: true });
const skipped = results.filter((r) => r.why?.startsWith('not run:'));
results = results.filter((r) => !skipped.includes(r));
writeFileSync(join(LAB_DIR, 'results.json'), `${JSON.stringify([...results, ...skipped], null, 2)}\n`);
const mark = (b: boolean) => (b ? 'yes' : 'NO');
const rows = results.map((r) => [
  r.scenario,
  r.envoyVersion,
  mark(r.reproduced),
  mark(r.namedFirst),
  mark(r.healthyClean),
  r.why && !r.fixApplied ? 'n/a' : mark(r.fixApplied),
  r.why && !r.fixApplied ? 'n/a' : mark(r.failureEndedAfterFix),
]);
const head = ['scenario', 'envoy', 'reproduced', 'named first', 'healthy clean', 'fix applied', 'failure ended'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
for (const r of [head, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i] as number)).join('  '));
/** A scenario passes when it reproduced, was named first, its twin was clean, and its fix (where one applies) ended it. */
const known = new Map(scenarios.map((s) => [nameOf(s), s]));
const failed = results.filter((r) => {
  const fixOk = known.get(r.scenario)?.fixDoesNotEnd
    ? r.fixApplied && !r.failureEndedAfterFix
    : r.fixApplied
      ? r.failureEndedAfterFix
      : Boolean(known.get(r.scenario)?.noFixReplay);
  return !r.reproduced || !r.namedFirst || !r.healthyClean || !fixOk;
});
for (const r of [...results, ...skipped].filter((x) => x.why)) console.log(`${r.scenario} ${r.envoyVersion}: ${r.why}`);
// Every plain-Envoy fix kind, merged into live objects, validated by these Envoy binaries (a test npm test skips
// where the lab has not installed them).
let validated = 0;
if (!values.scenario) {
  const t = spawnSync(process.execPath, ['--test', '--test-reporter=dot', join(import.meta.dirname, '..', 'test', 'fixes', 'envoy-validate.test.ts')], {
    stdio: 'inherit',
  });
  validated = t.status ?? 1;
}
console.log(`${((Date.now() - started) / 1000).toFixed(0)} s; every result in .lab/results.json`);
if (validated !== 0) console.log('lab: the plain-Envoy fix kinds did not all validate (test/fixes/envoy-validate.test.ts above)');
console.log(`lab: ${results.length - failed.length} passed, ${failed.length} failed${skipped.length > 0 ? `, ${skipped.length} skipped` : ''}`);
stopAll();
process.exit(failed.length > 0 || validated !== 0 ? 1 : 0);
