import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/intermediary-timers.ts';
import { diagnose } from '../../src/cli/diagnosis.ts';
import { proposedHeartbeatMs, rootCause } from '../../src/diagnose/root-causes/intermediary-idle-timeout.ts';
import type { AccessLogEntry } from '../../src/model/access-log.ts';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { type ExpectedRootCause, expectNamed } from '../helpers/root-cause.ts';
import { fixture, gatewayCluster, gatewayListener, routeConfig } from '../helpers/snapshot.ts';

const C = 'backend';
const R = `${C}/match/0`;
const L = 'home/eg/https';
const P = 'https-10443';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0';
const HA_IOS = 'Home Assistant/2024.1 (io.robbie.HomeAssistant; build:2024.123; iOS 17.2.0) Mobile/HomeAssistant';
const KEEPALIVE = { upstream_connection_options: { tcp_keepalive: { keepalive_probes: 3, keepalive_time: 60, keepalive_interval: 20 } } };

/** `n` sessions closed with `flags` from `from` ms, one every `step` ms. */
function band(n: number, from: number, step: number, flags: string[], ua?: string): AccessLogEntry[] {
  return Array.from({ length: n }, (_, k) => ({
    responseCode: 101,
    responseFlags: flags,
    durationMs: from + k * step,
    routeName: R,
    upstreamCluster: C,
    ...(ua ? { userAgent: ua } : {}),
  }));
}

/** The route at Envoy's defaults with keepalive on both sides (nothing else is wrong), and an access log. */
function snapshot(entries: AccessLogEntry[]): Snapshot {
  const s = fixture({
    clusters: [gatewayCluster(C, KEEPALIVE)],
    listeners: [gatewayListener({ routeConfig: 'rc', keepalive: true })],
    routeConfigs: [routeConfig('rc', [C], { timeout: '0s' })],
  });
  if (entries.length > 0) s.accessLog = { source: 'access.log', entries, skipped: 0 };
  return s;
}

interface Case {
  name: string;
  log: AccessLogEntry[];
  want: (ExpectedRootCause & { entityNames: string[]; heartbeatMs?: number }) | undefined;
}

describe('intermediary-idle-timeout root cause', () => {
  const cases: Case[] = [
    {
      name: 'the lab in front: DC at 2.0 s, a timer of no table: medium, the route, listener and connection manager, a 1 s heartbeat',
      log: band(14, 2_001, 1, ['DC']),
      want: {
        score: 0.55,
        severity: 'warning',
        entityNames: [`route ${R}`, `listener ${L}`, `connection-manager ${P}`],
        explains: ['sessions-end-at-unknown-intermediary-timer', 'heartbeat-below-intermediary-timer'],
        heartbeatMs: 1_000,
      },
    },
    {
      name: 'the lab behind: UC at 2.0 s: the route and its cluster',
      log: band(12, 2_000, 1, ['UC']),
      want: {
        score: 0.55,
        severity: 'warning',
        entityNames: [`route ${R}`, `cluster ${C}`],
        explains: ['sessions-end-at-unknown-intermediary-timer', 'heartbeat-below-intermediary-timer'],
        heartbeatMs: 1_000,
      },
    },
    {
      name: 'browsers and the iOS app closed from 60.2 s: the ALB, every client class, a 30 s heartbeat, keepalive never reaches it',
      log: [...band(20, 60_200, 300, ['DC'], FIREFOX), ...band(10, 60_300, 400, ['DC'], HA_IOS)],
      want: {
        score: 0.9,
        severity: 'error',
        entityNames: [`route ${R}`, `listener ${L}`, `connection-manager ${P}`],
        explains: [
          'sessions-end-at-known-intermediary-timer',
          'every-client-class-ends-there',
          'heartbeat-below-intermediary-timer',
          'intermediary-ignores-tcp-keepalive',
        ],
        heartbeatMs: 30_000,
      },
    },
    {
      name: 'closed at 30 s on the upstream side: a Google Cloud lifetime, no heartbeat helps',
      log: band(15, 30_050, 100, ['UC']),
      want: {
        score: 0.8,
        severity: 'error',
        entityNames: [`route ${R}`, `cluster ${C}`],
        explains: ['sessions-end-at-known-intermediary-timer', 'intermediary-lifetime-ends-sessions', 'intermediary-ignores-tcp-keepalive'],
      },
    },
    {
      name: 'reset at 4 min on the upstream side: an Azure load balancer that tracks TCP flows, which keepalive keeps',
      log: band(12, 240_400, 2_000, ['UC']),
      want: {
        score: 0.8,
        severity: 'error',
        entityNames: [`route ${R}`, `cluster ${C}`],
        explains: ['sessions-end-at-known-intermediary-timer', 'heartbeat-below-intermediary-timer', 'tcp-keepalive-keeps-intermediary-flow'],
        heartbeatMs: 120_000,
      },
    },
    { name: 'sessions closed by Envoy (SI at 2 s): not this root cause', log: band(14, 2_001, 1, ['SI']), want: undefined },
    { name: 'no band: nothing', log: [], want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = snapshot(c.log);
      const { heartbeatMs, ...want } = c.want ?? {};
      expectNamed(
        rootCause.diagnose(s, analyze(s)),
        'intermediary-idle-timeout',
        c.want && {
          ...want,
          changes: [],
          more: (rc) => assert.equal(rc.explains.find((e) => e.code === 'heartbeat-below-intermediary-timer')?.values.heartbeatMs, heartbeatMs),
        },
      );
    });
  }

  it('proposes a heartbeat of half the timer in whole seconds, at least one', () => {
    assert.deepEqual([2_001, 30_000, 60_000, 100_000, 240_000, 350_000].map(proposedHeartbeatMs), [1_000, 15_000, 30_000, 50_000, 120_000, 175_000]);
  });

  it('in the whole diagnosis it is the only root cause named: the stream idle timeout, keepalive and the other timers stay out', async () => {
    const d = await diagnose([snapshot([...band(14, 2_001, 1, ['DC']), ...band(12, 2_000, 1, ['UC'])])]);
    assert.deepEqual(
      d.rootCauses.map((r) => r.id),
      ['intermediary-idle-timeout', 'intermediary-idle-timeout'],
    );
    assert.deepEqual(
      d.rootCauses.flatMap((r) => r.fixes),
      [],
    );
  });

  it('quiet sessions closed by the stream idle timeout are that root cause, not this one', async () => {
    const d = await diagnose([snapshot(band(14, 2_001, 1, ['SI']))]);
    assert.ok(!d.rootCauses.some((r) => r.id === 'intermediary-idle-timeout'));
  });
});
