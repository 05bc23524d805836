// The lab's own network namespace: `npm run lab` re-runs itself under `unshare -n` (a fresh loopback, nothing else)
// when it can, so scenarios may drop packets with nftables without touching the machine's own network. A middlebox
// that silently forgets a connection is simulated by dropping every packet to and from one port.

import { spawnSync } from 'node:child_process';
import { run } from './processes.ts';

const MARK = 'ENVOY_DOCTOR_LAB_NETNS';
const TABLE = 'envoy_doctor_lab';

/** True inside the lab's own network namespace. */
export function isolated(): boolean {
  return process.env[MARK] === '1';
}

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Why the lab cannot have its own network namespace here, or undefined when it can. */
export function isolationUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: unshare -n and nft need CAP_NET_ADMIN';
  for (const c of ['unshare', 'ip', 'nft']) if (!has(c)) return `${c} is not installed (Debian: util-linux, iproute2, nftables)`;
  const probe = spawnSync('unshare', ['-n', '--', 'sh', '-c', `ip link set lo up && nft add table inet ${TABLE}`], { stdio: 'pipe' });
  if (probe.status !== 0) return `unshare -n with nftables failed: ${probe.stderr.toString().trim().split('\n').pop()}`;
  return undefined;
}

/** Runs this lab again inside a new network namespace with its loopback up; returns its exit code. */
export function rerunIsolated(): number {
  const r = spawnSync(
    'unshare',
    ['-n', '--', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    {
      stdio: 'inherit',
      env: { ...process.env, [MARK]: '1' },
    },
  );
  return r.status ?? 1;
}

/** Drops every packet to and from a local TCP port (both directions, silently); resolves with the undo. */
export async function blackHole(port: number): Promise<() => Promise<void>> {
  if (!isolated()) throw new Error('packets are dropped only inside the lab network namespace');
  const nft = async (...args: string[]) => {
    const r = await run('nft', args, 10_000);
    if (r.code !== 0) throw new Error(`nft ${args.join(' ')}: ${r.stderr.trim()}`);
  };
  // A table per port: the Envoy versions run at once in the same namespace.
  const table = `${TABLE}_${port}`;
  await nft('add', 'table', 'inet', table);
  await nft('add', 'chain', 'inet', table, 'out', '{ type filter hook output priority 0; }');
  await nft('add', 'rule', 'inet', table, 'out', 'tcp', 'dport', String(port), 'drop');
  await nft('add', 'rule', 'inet', table, 'out', 'tcp', 'sport', String(port), 'drop');
  return () => nft('delete', 'table', 'inet', table);
}
