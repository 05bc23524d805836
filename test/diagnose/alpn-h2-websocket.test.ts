import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/websocket-alpn.ts';
import { rootCause as rule } from '../../src/diagnose/root-causes/alpn-h2-websocket.ts';
import type { AccessLogEntry } from '../../src/model/access-log.ts';
import { diagnoseWith, type ExpectedRootCause, expectNamed, withAccessLog } from '../helpers/root-cause.ts';
import { gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const P = 'https-10443';
const listener = gatewayListener({ alpn: ['h2', 'http/1.1'] });
const h2Upgrade426: AccessLogEntry = { protocol: 'HTTP/2', method: 'GET', responseCode: 426, responseFlags: [], routeName: `${C}/match/0` };
const allowConnect = [{ kind: 'listener-allow-connect' as const, listener: 'home/eg/https' }];
const stalledConnects = ['h2-connect-protocol-errors', 'allow-connect-forwards-no-websocket-key'];

interface Case {
  name: string;
  /** The connection manager's stats, and a later sample 30 s on. */
  stats: Record<string, number>;
  later?: Record<string, number>;
  /** Failed HTTP/2 handshakes in the access log; no access log when undefined. */
  failures?: number;
  want: ExpectedRootCause | undefined;
}

describe('alpn-h2-websocket rule', () => {
  const handshakes = { downstream_cx_http2_total: 90 };
  const rising = {
    stats: { downstream_cx_http2_total: 8, downstream_cx_protocol_error: 5 },
    later: { downstream_cx_http2_total: 12, downstream_cx_protocol_error: 9 },
  };
  const cases: Case[] = [
    {
      name: 'ten or more failed HTTP/2 handshakes: error, high, allow_connect on the listener',
      stats: handshakes,
      failures: 12,
      want: {
        severity: 'error',
        confidence: 'high',
        score: 0.85,
        entities: [{ kind: 'listener', name: 'home/eg/https' }],
        explanations: [
          {
            code: 'h2-handshakes-fail',
            values: {
              listener: 'home/eg/https',
              alpn: 'h2,http/1.1',
              h2Failures: 12,
              h2Rejected426: 12,
              h2Rejected400: 0,
              h2ConnectRefused: 0,
              http2Connections: 90,
            },
          },
          { code: 'allow-connect-forwards-no-websocket-key', values: { listener: 'home/eg/https' } },
        ],
        changes: allowConnect,
      },
    },
    { name: 'a few failed handshakes: warning, medium', stats: handshakes, failures: 2, want: { severity: 'warning', confidence: 'medium', score: 0.7 } },
    { name: 'the configuration alone names nothing: with no failures', stats: handshakes, failures: 0, want: undefined },
    { name: 'the configuration alone names nothing: with no access log to tell', stats: handshakes, want: undefined },
    // HTTP/2 protocol errors in stats: extended CONNECTs Envoy never allowed.
    {
      name: 'protocol errors rising during the window on HTTP/2 connections: warning, medium',
      ...rising,
      want: {
        score: 0.55,
        confidence: 'medium',
        severity: 'warning',
        explains: stalledConnects,
        someValues: { 'h2-connect-protocol-errors': { windowProtocolErrors: 4 } },
        changes: allowConnect,
      },
    },
    {
      name: 'protocol error totals that did not move during the window: history, nothing named',
      stats: rising.later,
      later: rising.later,
      want: undefined,
    },
    {
      name: 'protocol error totals with one sample: low confidence',
      stats: rising.later,
      want: {
        score: 0.4,
        confidence: 'low',
        severity: 'warning',
        explains: stalledConnects,
        someValues: { 'h2-connect-protocol-errors': { windowProtocolErrors: null } },
        changes: allowConnect,
      },
    },
    {
      name: 'protocol error totals with one sample, a handful in thousands of HTTP/2 connections (broken clients): nothing named',
      stats: { downstream_cx_http2_total: 18440, downstream_cx_protocol_error: 14 },
      want: undefined,
    },
    {
      name: 'protocol errors without HTTP/2 connections (HTTP/1.1 clients): nothing named',
      stats: { downstream_cx_http2_total: 0, downstream_cx_protocol_error: 3 },
      later: { downstream_cx_http2_total: 0, downstream_cx_protocol_error: 7 },
      want: undefined,
    },
    {
      name: 'failed handshakes in the log and rising protocol errors: both explained, +0.05',
      ...rising,
      failures: 2,
      want: {
        score: 0.75,
        confidence: 'high',
        severity: 'error',
        explains: ['h2-handshakes-fail', ...stalledConnects],
        someValues: { 'h2-connect-protocol-errors': { windowProtocolErrors: 4 } },
        changes: allowConnect,
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const spec = {
        clusters: [gatewayCluster(C)],
        listeners: [listener],
        routeConfigs: [routeConfig('home/eg/https', [C])],
        stats: httpStats(P, c.stats),
        ...(c.later ? { statsLater: httpStats(P, c.later), intervalSeconds: 30 } : {}),
      };
      const log = c.failures === undefined ? undefined : Array.from({ length: c.failures }, () => h2Upgrade426);
      expectNamed(diagnoseWith(rule, analyze, withAccessLog(spec, log)), 'alpn-h2-websocket', c.want);
    });
  }
});
