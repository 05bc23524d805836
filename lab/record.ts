// `npm run lab -- --record`: what the lab keeps of its runs on the newest Envoy version.
//
// Captures, into test/fixtures/lab/<scenario>/: of each scenario's failing run, /stats in its three formats read back
// to back once the load has stopped, /config_dump and /server_info. The format conformance test
// (test/parse/lab-captures.test.ts) reads them. An access log in one of Envoy's own formats (its default text format,
// or JSON) on Envoy's stdout is kept as access.log; the lab's `ACCESS` lines (lab/config.ts) are not.
//
// Samples, into samples/: a sample is lab-made when its README opens a section `## Captured by the lab` with the
// command that regenerates it, `npm run lab -- --scenario NAME --record`. samples/<id>/ is captured from that
// scenario's failing run, samples/<id>-healthy/ from its healthy twin, as a user captures a proxy: while the load runs,
// `envoy-doctor collect --admin` takes the config dump (with the bootstrap fields diagnose reads) and two /stats
// samples the scenario's interval apart; Envoy's access log is the whole run's, read once the load has stopped and
// what it opened has ended. The sample keeps its file set: only the files it holds are written, and none unless the
// capture has them all (a new sample, a README alone, gets every file the capture has). The README is the sample's
// story and is never written. Every other sample is hand-made, and its README says which parts and why the lab
// cannot produce them (test/samples.test.ts).

import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { collectBundle } from './doctor.ts';
import type { RunningEnvoy } from './envoy.ts';
import type { Variant } from './scenario.ts';

const ROOT = join(import.meta.dirname, '..');
/** Where recorded captures go. */
const RECORD_DIR = join(ROOT, 'test', 'fixtures', 'lab');
/** Where the samples are. */
const SAMPLES_DIR = join(ROOT, 'samples');

/** The admin reads of one capture, and the file each is written to. */
const READS: Array<[string, string]> = [
  ['/stats', 'stats.txt'],
  ['/stats?format=json', 'stats.json'],
  ['/stats/prometheus', 'stats.prom'],
  ['/config_dump', 'config_dump.json'],
  ['/server_info', 'server_info.json'],
];

/** The files of a collected proxy a new lab-made sample gets, when the capture has them. */
const SAMPLE_FILES = ['config_dump.json', 'stats.txt', 'stats.later.txt', 'access.log', 'manifest.json'];

/** The section of a lab-made sample's README, opened by the command that regenerates it. */
const CAPTURED = /^## Captured by the lab\n\n`npm run lab -- --scenario ([a-z0-9-]+) --record`/m;

/** The lines of Envoy's stdout in one of Envoy's own access log formats (its default text format, or JSON). */
export function envoyAccessLog(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.startsWith('[') || l.startsWith('{'));
}

/** The scenario a sample's README says the lab captures it from; undefined for a hand-made sample. */
export function capturedFrom(readme: string): string | undefined {
  return CAPTURED.exec(readme)?.[1];
}

/** A lab-made sample: its directory, and the files it holds but its README (none for a new sample). */
interface LabSample {
  dir: string;
  files: string[];
}

/** The lab-made samples of one run of a scenario: samples/<id>/ of the failing run, samples/<id>-healthy/ of the healthy twin. */
function labSamples(scenario: string, variant: Variant): LabSample[] {
  if (variant === 'fixed') return [];
  return readdirSync(SAMPLES_DIR)
    .filter((id) => id.endsWith('-healthy') === (variant === 'healthy'))
    .map((id) => join(SAMPLES_DIR, id))
    .filter((dir) => existsSync(join(dir, 'README.md')) && capturedFrom(readFileSync(join(dir, 'README.md'), 'utf8')) === scenario)
    .map((dir) => ({ dir, files: readdirSync(dir).filter((f) => f !== 'README.md') }));
}

/** `envoy-doctor collect --admin` of the running Envoy into `temp`; returns the directory of its one proxy. */
async function collectProxy(envoy: RunningEnvoy, intervalSeconds: number, temp: string): Promise<string> {
  await collectBundle(envoy.admin, intervalSeconds, join(temp, 'bundle'));
  const proxies = join(temp, 'bundle', 'proxies', 'direct');
  return join(proxies, readdirSync(proxies)[0] as string);
}

/** Writes a lab-made sample from a collected proxy's files: those it holds, or every one for a new sample. */
function writeSample(sample: LabSample, proxy: string): void {
  const files = sample.files.length > 0 ? sample.files : SAMPLE_FILES.filter((f) => existsSync(join(proxy, f)));
  const missing = files.filter((f) => !existsSync(join(proxy, f)));
  if (missing.length > 0) throw new Error(`${relative(ROOT, sample.dir)}: the capture has no ${missing.join(', ')}; the sample is left as it was`);
  const taken = JSON.parse(readFileSync(join(proxy, 'manifest.json'), 'utf8')) as { stats: object; statsLater?: object };
  for (const f of files.filter((x) => x !== 'manifest.json')) cpSync(join(proxy, f), join(sample.dir, f));
  // The manifest names the stats samples the sample keeps and when they were taken; the collector's id, admin address
  // and warnings are the run's own.
  const manifest = { stats: taken.stats, ...(files.includes('stats.later.txt') ? { statsLater: taken.statsLater } : {}) };
  writeFileSync(join(sample.dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Reads the admin API of a running Envoy into `test/fixtures/lab/<name>/`, and its access log from its stdout. */
async function recordCaptures(admin: string, name: string, stdout: string): Promise<void> {
  const dir = join(RECORD_DIR, name);
  mkdirSync(dir, { recursive: true });
  for (const [path, file] of READS) {
    const res = await fetch(`${admin}${path}`);
    if (!res.ok) throw new Error(`GET ${admin}${path}: ${res.status}`);
    writeFileSync(join(dir, file), await res.text());
  }
  const log = envoyAccessLog(stdout);
  if (log.length > 0) writeFileSync(join(dir, 'access.log'), `${log.join('\n')}\n`);
}

/**
 * What `--record` keeps of one run of a scenario on the newest Envoy, called while its load still runs; releases the
 * load. The scenario's lab-made samples of this run are collected while the load runs; once the release has ended
 * what the load opened and closes have settled (1.5 s, the access log written out), the failing run's captures are
 * read, and the samples are written with the run's access log.
 */
export async function recordRun(
  name: string,
  variant: Variant,
  envoy: RunningEnvoy,
  intervalSeconds: number,
  release: () => void | Promise<void>,
): Promise<void> {
  const samples = labSamples(name, variant);
  const temp = mkdtempSync(join(tmpdir(), 'envoy-doctor-lab-sample-'));
  try {
    const proxy = samples.length > 0 ? await collectProxy(envoy, intervalSeconds, temp) : undefined;
    await release();
    await sleep(1500);
    const stdout = envoy.process.stdout();
    if (variant === 'failing') await recordCaptures(envoy.admin, name, stdout);
    if (proxy === undefined) return;
    const log = envoyAccessLog(stdout);
    if (log.length > 0) writeFileSync(join(proxy, 'access.log'), `${log.join('\n')}\n`);
    for (const sample of samples) writeSample(sample, proxy);
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}
