// A real Envoy for the lab: started from a bootstrap the scenario builds, admin and listeners on 127.0.0.1 with
// ports chosen by the OS (read back from the admin's address file and /listeners), stopped with the lab.

import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type LabProcess, run, start } from './processes.ts';

/** A bootstrap as a plain object (written as JSON, which Envoy reads as YAML). */
export type Bootstrap = Record<string, unknown>;

/** A running Envoy. */
export interface RunningEnvoy {
  admin: string;
  /** Listener name -> port. */
  ports: Map<string, number>;
  dir: string;
  process: LabProcess;
  stop(): Promise<void>;
}

/** The lab's --drain-time-s, unless a start asks for another. */
export const DRAIN_TIME_S = 1;
// Access logs (files and stdout alike) are written out every 250 ms instead of every 10 s (--file-flush-interval-msec,
// source/common/access_log/access_log_manager_impl.cc), so a drive reads the sessions that ended while it ran.
const FLAGS = [
  '--use-dynamic-base-id',
  '-l',
  'warning',
  '--drain-time-s',
  String(DRAIN_TIME_S),
  '--parent-shutdown-time-s',
  '2',
  '--concurrency',
  '1',
  '--file-flush-interval-msec',
  '250',
];

/** The command-line flags of a start: the lab's, with another drain time when one is given. */
function flags(drainTimeS = DRAIN_TIME_S): string[] {
  return FLAGS.map((f, i) => (FLAGS[i - 1] === '--drain-time-s' ? String(drainTimeS) : f));
}

/** Checks a bootstrap with `envoy --mode validate`; returns Envoy's error text, or undefined when it is valid. */
export async function validate(envoy: string, bootstrap: Bootstrap): Promise<string | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'envoy-doctor-lab-validate-'));
  const file = join(dir, 'envoy.json');
  writeFileSync(file, JSON.stringify(bootstrap, null, 1));
  const r = await run(envoy, ['--mode', 'validate', '-c', file, ...FLAGS], 60_000);
  return r.code === 0 ? undefined : (r.stderr + r.stdout).trim().split('\n').slice(-3).join(' ');
}

/** Starts Envoy on a bootstrap; resolves when its admin answers and every listener has a port. */
export async function startEnvoy(
  envoy: string,
  bootstrap: Bootstrap,
  dir = mkdtempSync(join(tmpdir(), 'envoy-doctor-lab-')),
  options: { drainTimeS?: number } = {},
): Promise<RunningEnvoy> {
  const file = join(dir, 'envoy.json');
  const addressFile = join(dir, 'admin-address');
  writeFileSync(file, JSON.stringify(bootstrap, null, 1));
  const p = start(envoy, ['-c', file, '--admin-address-path', addressFile, ...flags(options.drainTimeS)], { cwd: dir });
  p.child.stdin?.end();
  const deadline = Date.now() + 60_000;
  let admin = '';
  const expected = listenerNames(bootstrap);
  while (Date.now() < deadline) {
    if (p.child.exitCode !== null) throw new Error(`envoy exited with ${p.child.exitCode}: ${p.stderr().trim().split('\n').slice(-3).join(' ')}`);
    if (!admin && existsSync(addressFile)) {
      // Envoy creates the file before it writes the address: only a whole `host:port` counts, else it is read again.
      const address = readFileSync(addressFile, 'utf8').trim();
      if (/:\d+$/.test(address)) admin = `http://${address}`;
    }
    if (admin) {
      const ports = await listenerPorts(admin).catch(() => undefined);
      if (ports && expected.every((n) => ports.has(n))) return { admin, ports, dir, process: p, stop: () => p.stop() };
    }
    await sleep(100);
  }
  await p.stop();
  throw new Error(`envoy did not come up in 60 s: ${p.stderr().trim().split('\n').slice(-3).join(' ')}`);
}

/** Names of the static listeners of a bootstrap. */
function listenerNames(bootstrap: Bootstrap): string[] {
  const listeners = ((bootstrap.static_resources as { listeners?: Array<{ name: string }> } | undefined)?.listeners ?? []).map((l) => l.name);
  return listeners;
}

/** The ports the running listeners were given, by listener name. */
export async function listenerPorts(admin: string): Promise<Map<string, number>> {
  const res = await fetch(`${admin}/listeners?format=json`);
  const body = (await res.json()) as { listener_statuses?: Array<{ name: string; local_address?: { socket_address?: { port_value?: number } } }> };
  const ports = new Map<string, number>();
  for (const l of body.listener_statuses ?? []) {
    const port = l.local_address?.socket_address?.port_value;
    if (port) ports.set(l.name, port);
  }
  return ports;
}

/** One stat's value from the admin's /stats (0 when absent). */
export async function statValue(admin: string, name: string): Promise<number> {
  const res = await fetch(`${admin}/stats?filter=${encodeURIComponent(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)}`);
  const line = (await res.text()).split('\n').find((l) => l.startsWith(`${name}: `));
  return line ? Number(line.slice(name.length + 2)) : 0;
}
