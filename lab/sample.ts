// `node lab/sample.ts --scenario NAME [--envoy VERSION] [--out DIR]`: a sample pair from a real Envoy. The scenario's
// failing and healthy configurations are driven as `npm run lab` drives them, and while each one's load runs,
// `envoy-doctor collect --admin` takes its bundle (two /stats samples the scenario's interval apart, the config dump
// with the bootstrap fields diagnose reads); the proxy's files are written to DIR/<NAME>/ and DIR/<NAME>-healthy/
// (DIR: samples/) with a manifest naming the two samples, as the samples under samples/ hold them. Only what the
// bundle captured is written over: a README beside them is the author's and stays.

import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startBackend } from './backend.ts';
import { startEnvoy } from './envoy.ts';
import { run, stopAll } from './processes.ts';
import type { Scenario, ScenarioContext, Variant } from './scenario.ts';
import { SCENARIOS } from './scenarios/index.ts';
import { ENVOY_VERSIONS, ensureEnvironment } from './setup.ts';

const ROOT = join(import.meta.dirname, '..');
/** The files of a bundle's proxy a sample keeps. */
const KEPT = ['config_dump.json', 'stats.txt', 'stats.later.txt'];

const { values } = parseArgs({ options: { scenario: { type: 'string' }, envoy: { type: 'string' }, out: { type: 'string' } } });
const scenario = SCENARIOS.find((s) => (s.name ?? s.rootCause) === values.scenario);
if (!scenario) {
  console.error(`lab/sample.ts: --scenario is one of ${SCENARIOS.map((s) => s.name ?? s.rootCause).join(', ')}`);
  process.exit(2);
}
const version = values.envoy ?? (ENVOY_VERSIONS[ENVOY_VERSIONS.length - 1] as string);
const out = values.out ?? join(ROOT, 'samples');

/** Drives one configuration and collects a bundle while its load runs; writes the proxy's files into `dir`. */
async function capture(s: Scenario, ctx: ScenarioContext, envoyBinary: string, variant: Variant, dir: string): Promise<Record<string, unknown>> {
  const envoy = await startEnvoy(envoyBinary, variant === 'failing' ? await s.failing(ctx) : await s.healthy(ctx));
  const temp = mkdtempSync(join(tmpdir(), 'envoy-doctor-lab-sample-'));
  try {
    const observation = await s.drive(ctx, envoy, variant);
    const bundle = join(temp, 'bundle');
    const r = await run(
      process.execPath,
      [join(ROOT, 'bin', 'envoy-doctor.js'), 'collect', '--admin', envoy.admin, '--interval', `${s.intervalSeconds ?? 1}s`, '--bundle', bundle],
      120_000,
      { cwd: ROOT },
    );
    observation.release?.();
    if (r.code !== 0) throw new Error(`envoy-doctor collect exited ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`);
    const proxies = join(bundle, 'proxies', 'direct');
    const proxy = join(proxies, readdirSync(proxies)[0] as string);
    const manifest = JSON.parse(readFileSync(join(proxy, 'manifest.json'), 'utf8')) as { stats?: object; statsLater?: object };
    mkdirSync(dir, { recursive: true });
    for (const file of KEPT) if (existsSync(join(proxy, file))) cpSync(join(proxy, file), join(dir, file));
    writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify({ stats: manifest.stats, statsLater: manifest.statsLater }, null, 2)}\n`);
    return observation.measured;
  } finally {
    await envoy.stop();
    rmSync(temp, { recursive: true, force: true });
  }
}

try {
  const env = await ensureEnvironment(version, (line) => console.log(`lab: ${line}`));
  const backend = await startBackend(env.python);
  const ctx: ScenarioContext = { backend, envoyVersion: version };
  const name = scenario.name ?? scenario.rootCause;
  try {
    for (const [variant, dir] of [
      ['failing', join(out, name)],
      ['healthy', join(out, `${name}-healthy`)],
    ] as const) {
      const measured = await capture(scenario, ctx, env.envoy, variant, dir);
      console.log(`lab: ${name} ${variant} on Envoy ${version} into ${dir}: ${JSON.stringify(measured)}`);
    }
  } finally {
    await backend.stop();
  }
} catch (err) {
  console.error(`lab/sample.ts: ${(err as Error).message}`);
  stopAll();
  process.exit(1);
}
stopAll();
process.exit(0);
