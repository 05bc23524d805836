// Every process the lab starts, stopped on any exit, error or signal: each runs in its own process group, and the
// group is killed when the lab ends however it ends.

import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';

const children = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Kills every process the lab started (their whole process groups). */
export function stopAll(): void {
  for (const c of children) killGroup(c, 'SIGKILL');
  children.clear();
}

process.on('exit', stopAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    stopAll();
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
  });
}
process.on('uncaughtException', (err) => {
  stopAll();
  console.error(`lab: ${err.stack ?? err.message}`);
  process.exit(1);
});

/** A process started by the lab, in its own process group. */
export interface LabProcess {
  child: ChildProcess;
  /** Everything it wrote to stdout so far. */
  stdout: () => string;
  /** Everything it wrote to stderr so far. */
  stderr: () => string;
  /** Resolves with the first stdout line for which `match` returns a value; rejects on exit or after `ms`. */
  waitFor<T>(match: (line: string) => T | undefined, ms: number, what: string): Promise<T>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** Resolves when it exits. */
  exited: Promise<number | null>;
}

/** Starts a command in its own process group and keeps its output. */
export function start(command: string, args: string[], options: SpawnOptions = {}): LabProcess {
  const child = spawn(command, args, { ...options, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  const lineListeners = new Set<(line: string) => void>();
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => {
    out += s;
    partial += s;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) for (const l of lineListeners) l(line);
  });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    err = (err + s).slice(-200_000);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on('close', (code) => {
      children.delete(child);
      resolve(code);
    });
    child.on('error', () => resolve(-1));
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor<T>(match: (line: string) => T | undefined, ms: number, what: string): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const done = (fn: () => void) => {
          clearTimeout(timer);
          lineListeners.delete(listener);
          fn();
        };
        const listener = (line: string) => {
          const v = match(line);
          if (v !== undefined) done(() => resolve(v));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`${what}: nothing after ${ms} ms; stderr: ${err.slice(-2000)}`))), ms);
        for (const line of out.split('\n')) {
          const v = match(line);
          if (v !== undefined) return done(() => resolve(v));
        }
        lineListeners.add(listener);
        void exited.then((code) => done(() => reject(new Error(`${what}: exited with ${code}; stderr: ${err.slice(-2000)}`))));
      });
    },
    async stop(graceMs = 3000): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs a command to its end and returns its exit code and output; kills it after `ms`. */
export async function run(
  command: string,
  args: string[],
  ms: number,
  options: SpawnOptions = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = start(command, args, options);
  p.child.stdin?.end();
  const timer = setTimeout(() => void p.stop(500), ms);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}
