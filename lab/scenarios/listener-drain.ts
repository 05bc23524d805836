// listener-drain: listener updates through file-based dynamic configuration (LDS from a watched file replaced by
// rename: api/envoy/config/core/v3/config_source.proto PathConfigSource.watched_directory) while WebSockets are open.
// A changed route in the connection manager is a filter-chain-only update that drains the old chain; a changed
// listener field replaces the listener and drains the old one (source/common/listener_manager/listener_manager_impl.cc;
// counted in listener_manager.listener_modified and listener_in_place_updated). An upgraded WebSocket has no next
// response to close after, so it stays until the drain time (--drain-time-s, 1 s in the lab) ends and is then closed
// (docs/root/intro/arch_overview/operations/draining.rst; envoyproxy/gateway#8889). The twin republishes the same
// listener, which Envoy recognises as unchanged and does not drain. Sessions are reopened as they close, and updates
// keep coming while envoy-doctor samples.

import { readFileSync, renameSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { churn, median, webSocketOutcome } from '../clients.ts';
import { accessLog, bootstrap, cluster, CLUSTER_KEEPALIVE, connectionManager, httpListener, LISTENER_KEEPALIVE, route, STDOUT_ACCESS_LOG } from '../config.ts';
import { DRAIN_TIME_S, listenerPorts, type RunningEnvoy, startEnvoy, statValue } from '../envoy.ts';
import type { Scenario, ScenarioContext } from '../scenario.ts';
import { ensureEnvironment } from '../setup.ts';

const LISTENER = 'type.googleapis.com/envoy.config.listener.v3.Listener';
/** The lab's --drain-time-s (lab/envoy.ts), and a longer one a question measures. */
const DRAIN_S = DRAIN_TIME_S;
const LONGER_DRAIN_S = 3;
/** Seconds between two publications of the listener. */
const EVERY_S = 1.5;
const SESSIONS = 3;

/** The listener `web`; `version` changes a response header of its route (a filter-chain-only change), `limit` the listener itself. */
function listener(version: string, limit = 1_048_576): Record<string, unknown> {
  const ws = { ...route('ws', '/', { timeout: '0s' }), response_headers_to_add: [{ header: { key: 'x-config-version', value: version } }] };
  return httpListener(connectionManager([ws], { upgrade_configs: [{ upgrade_type: 'websocket' }], ...STDOUT_ACCESS_LOG }), {
    ...LISTENER_KEEPALIVE,
    per_connection_buffer_limit_bytes: limit,
  });
}

let published = 0;
/** Replaces the watched LDS file by rename, as a control plane writing files does. */
function publish(path: string, l: Record<string, unknown>): void {
  const tmp = `${path}.${published++}.tmp`;
  writeFileSync(tmp, JSON.stringify({ resources: [{ '@type': LISTENER, ...l }] }));
  renameSync(tmp, path);
}

/** A bootstrap whose listeners come from a watched file, first holding listener('a'). */
function config(ctx: ScenarioContext) {
  const dir = mkdtempSync(join(tmpdir(), 'envoy-doctor-lab-lds-'));
  const lds = join(dir, 'lds.json');
  publish(lds, listener('a'));
  return bootstrap([], [cluster('backend', ctx.backend.httpPort, CLUSTER_KEEPALIVE)], {
    dynamic_resources: { lds_config: { resource_api_version: 'V3', path_config_source: { path: lds, watched_directory: { path: dir } } } },
  });
}

/** The LDS file of a running Envoy, from the bootstrap it was started with. */
function ldsPath(envoy: RunningEnvoy): string {
  const b = JSON.parse(readFileSync(join(envoy.dir, 'envoy.json'), 'utf8')) as { dynamic_resources: { lds_config: { path_config_source: { path: string } } } };
  return b.dynamic_resources.lds_config.path_config_source.path;
}

/**
 * Keeps SESSIONS quiet WebSockets open (reopening each as it closes) and publishes `next(i)` every EVERY_S; returns
 * the closes measured from the publication before each, and a stop.
 */
async function updatesWithSessions(envoy: RunningEnvoy, next: (i: number) => Record<string, unknown>, every = EVERY_S) {
  const lds = ldsPath(envoy);
  let port: number | undefined;
  for (let i = 0; i < 50 && !port; i++, await sleep(100)) port = (await listenerPorts(envoy.admin)).get('web');
  if (!port) throw new Error('the listener from the LDS file did not come up');
  const url = `ws://127.0.0.1:${port}/ws/quiet`;
  const pools = Array.from({ length: SESSIONS }, () => churn(60_000, (signal) => webSocketOutcome(url, signal)));
  let last = Date.now();
  const closedAfterUpdate: number[] = [];
  let stopped = false;
  // A session that closes is reopened at once, and the time since the last publication is kept.
  const watch = (i: number) => {
    const pool = pools[i];
    if (!pool) return;
    const seen = pool.ended().length;
    const timer = setInterval(() => {
      if (stopped) return clearInterval(timer);
      if (pool.ended().length > seen) {
        clearInterval(timer);
        closedAfterUpdate.push(Date.now() - last);
        void pool.stop();
        pools[i] = churn(60_000, (signal) => webSocketOutcome(url, signal));
        watch(i);
      }
    }, 20);
  };
  pools.forEach((_, i) => watch(i));
  await sleep(300);
  let n = 0;
  const publisher = setInterval(() => {
    last = Date.now();
    publish(lds, next(++n));
  }, every * 1000);
  return {
    closedAfterUpdate,
    stop: async () => {
      stopped = true;
      clearInterval(publisher);
      await Promise.all(pools.map((p) => p.stop()));
    },
  };
}

const STATS = ['listener_manager.listener_modified', 'listener_manager.listener_in_place_updated', 'http.web.downstream_cx_upgrades_active'];

async function measure(envoy: RunningEnvoy, run: Awaited<ReturnType<typeof updatesWithSessions>>, drainTimeS = DRAIN_S) {
  const counters = Object.fromEntries(await Promise.all(STATS.map(async (n) => [n.slice(n.lastIndexOf('.') + 1), await statValue(envoy.admin, n)])));
  return {
    sessionsClosed: run.closedAfterUpdate.length,
    closedAfterUpdateMsMedian: median(run.closedAfterUpdate),
    drainTimeS,
    ...counters,
    // Distinct `code flags details` of upgraded sessions in the access log (flushed every second).
    accessLog: [
      ...new Set(
        accessLog(envoy.process.stdout())
          .filter((l) => l.startsWith('101'))
          .map((l) => l.split(' ').slice(0, 3).join(' ')),
      ),
    ].join(' | '),
  };
}

export const listenerDrain: Scenario = {
  rootCause: 'listener-drain',
  entities: ['listener web'],
  failing: config,
  healthy: config,
  intervalSeconds: 2,
  noFixReplay:
    'envoy-doctor prints no plain-Envoy fix for it: the drain time is the command-line flag --drain-time-s, not configuration; the sessions close at the drain time after each update (answers.longerDrainTime)',
  async drive(_ctx, envoy, variant) {
    // Failing: a route header that changes on every publication; healthy: the same listener published again.
    const run = await updatesWithSessions(envoy, (i) => listener(variant === 'healthy' ? 'a' : `v${i}`));
    await sleep(EVERY_S * 2 * 1000 + DRAIN_S * 1000 + 200);
    const measured = await measure(envoy, run);
    return { release: () => void run.stop(), failed: measured.sessionsClosed > 0, measured };
  },
  questions: {
    // A change of the listener itself (its buffer limit) replaces the listener instead of its filter chain.
    fullListenerUpdate: async (_ctx, start) => {
      const envoy = await start(config(_ctx));
      const run = await updatesWithSessions(envoy, (i) => listener('a', 1_048_576 + i));
      await sleep(EVERY_S * 1000 + DRAIN_S * 1000 + 200);
      const measured = await measure(envoy, run);
      await run.stop();
      return measured;
    },
    // The same filter-chain updates with --drain-time-s 3: when do the sessions close now?
    longerDrainTime: async (ctx) => {
      const envoy = await startEnvoy((await ensureEnvironment(ctx.envoyVersion, () => {})).envoy, config(ctx), undefined, { drainTimeS: LONGER_DRAIN_S });
      try {
        const run = await updatesWithSessions(envoy, (i) => listener(`v${i}`), LONGER_DRAIN_S + 1);
        await sleep((LONGER_DRAIN_S + 1) * 1000 + LONGER_DRAIN_S * 1000 + 300);
        const measured = await measure(envoy, run, LONGER_DRAIN_S);
        await run.stop();
        return measured;
      } finally {
        await envoy.stop();
      }
    },
  },
};
