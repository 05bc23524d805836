// The lab's aiohttp backend (lab/backend.py) as a process: its ports, and the WebSocket sessions it saw end.

import { join } from 'node:path';
import { type LabProcess, start } from './processes.ts';

/** How one WebSocket session ended, as the backend saw it. */
export interface BackendSessionEnd {
  path: string;
  seconds: number;
  /** `heartbeat-timeout` when aiohttp gave up on a pong, `client-closed` when the peer closed. */
  reason: string;
  code: number | null;
}

/** A running backend. */
export interface Backend {
  httpPort: number;
  tcpPort: number;
  /** Sessions that ended so far. */
  ended(): BackendSessionEnd[];
  stop(): Promise<void>;
}

/** Starts the aiohttp backend with the environment's Python. */
export async function startBackend(python: string): Promise<Backend> {
  const p: LabProcess = start(python, [join(import.meta.dirname, 'backend.py')]);
  const ports = await p.waitFor(
    (line) => {
      try {
        const v = JSON.parse(line) as { http?: number; tcp?: number };
        return v.http && v.tcp ? { http: v.http, tcp: v.tcp } : undefined;
      } catch {
        return undefined;
      }
    },
    20_000,
    'the aiohttp backend',
  );
  return {
    httpPort: ports.http,
    tcpPort: ports.tcp,
    ended: () =>
      p
        .stdout()
        .split('\n')
        .flatMap((l) => {
          try {
            const v = JSON.parse(l) as { event?: string } & BackendSessionEnd;
            return v.event === 'ws-closed' ? [v] : [];
          } catch {
            return [];
          }
        }),
    stop: () => p.stop(),
  };
}
