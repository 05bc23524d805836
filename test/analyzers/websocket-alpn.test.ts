import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/websocket-alpn.ts';
import type { AccessLogEntry } from '../../src/model/access-log.ts';
import { type ExpectedFinding, expectFindings } from '../helpers/expect.ts';
import { type FixtureSpec, fixture, gatewayCluster, gatewayListener, httpStats, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const ROUTE = `${C}/match/0`;

/** The Envoy Gateway HTTPS listener, with TLS offering `alpn` and the connection manager's extra fields. */
const tlsListener = (alpn: string[], hcm: object = {}, opts: { upgrade?: boolean } = {}): object => gatewayListener({ ...opts, alpn, hcm });
const spec = (listener: object): FixtureSpec => ({
  clusters: [gatewayCluster(C)],
  listeners: [listener],
  routeConfigs: [routeConfig('home/eg/https', [C])],
  stats: httpStats('https-10443', { downstream_cx_http2_total: 310, downstream_cx_upgrades_total: 44 }),
});
const h2 = (responseCode: number, method = 'GET'): AccessLogEntry => ({
  protocol: 'HTTP/2',
  method,
  responseCode,
  responseFlags: [],
  routeName: ROUTE,
  userAgent: 'Mozilla/5.0 Firefox/131.0',
});
const h1 = (responseCode: number): AccessLogEntry => ({ protocol: 'HTTP/1.1', method: 'GET', responseCode, responseFlags: [], routeName: ROUTE });
const times = <T>(n: number, x: T): T[] => Array.from({ length: n }, () => x);

describe('websocket-alpn analyzer', () => {
  const cases: Array<{ name: string; spec: FixtureSpec; log?: AccessLogEntry[]; want: ExpectedFinding[] }> = [
    {
      name: 'h2 first, no allow_connect, twelve HTTP/2 handshakes answered 426 and two CONNECTs refused: error',
      spec: spec(tlsListener(['h2', 'http/1.1'])),
      log: [...times(12, h2(426)), h2(400, 'CONNECT'), h2(0, 'CONNECT'), ...times(30, h1(101)), h2(200)],
      want: [
        {
          code: 'websocket-listener-prefers-h2',
          entity: 'home/eg/https',
          severity: 'error',
          evidence: {
            alpn: 'h2,http/1.1',
            websocketRoutes: 1,
            allowConnect: false,
            http2Connections: 310,
            upgradesTotal: 44,
            h2LogEntries: 15,
            h2Failures: 14,
            h2Rejected426: 12,
            h2ConnectRefused: 2,
          },
        },
      ],
    },
    {
      name: 'aiohttp answers 400 over HTTP/2 on the path that upgrades over HTTP/1.1; a 400 elsewhere is no handshake',
      spec: spec(tlsListener(['h2', 'http/1.1'])),
      log: [...times(4, { ...h2(400), path: '/api/websocket' }), { ...h2(400), path: '/api/config' }, ...times(6, { ...h1(101), path: '/api/websocket' })],
      want: [
        {
          code: 'websocket-listener-prefers-h2',
          entity: 'home/eg/https',
          severity: 'warning',
          evidence: { h2Failures: 4, h2Rejected400: 4, h2Rejected426: 0 },
        },
      ],
    },
    {
      name: 'a few failed HTTP/2 handshakes: warning',
      spec: spec(tlsListener(['h2', 'http/1.1'])),
      log: [...times(3, h2(426)), ...times(10, h1(101))],
      want: [
        {
          code: 'websocket-listener-prefers-h2',
          entity: 'home/eg/https',
          severity: 'warning',
          evidence: { h2Failures: 3, h2Rejected426: 3, h2ConnectRefused: 0 },
        },
      ],
    },
    {
      name: 'only HTTP/1.1 WebSockets in the log (clients fall back): info',
      spec: spec(tlsListener(['h2', 'http/1.1'])),
      log: [...times(10, h1(101)), h2(200), h1(426)],
      want: [{ code: 'websocket-listener-prefers-h2', entity: 'home/eg/https', severity: 'info', evidence: { h2Failures: 0, h2LogEntries: 1 } }],
    },
    {
      name: 'no access log: info, failures unknown',
      spec: spec(tlsListener(['h2', 'http/1.1'])),
      want: [{ code: 'websocket-listener-prefers-h2', entity: 'home/eg/https', severity: 'info', evidence: { http2Connections: 310 } }],
    },
    {
      name: 'allow_connect on: nothing',
      spec: spec(tlsListener(['h2', 'http/1.1'], { http2_protocol_options: { allow_connect: true } })),
      log: times(12, h2(426)),
      want: [],
    },
    { name: 'http/1.1 offered first: nothing', spec: spec(tlsListener(['http/1.1', 'h2'])), log: times(12, h2(426)), want: [] },
    {
      name: 'connection manager forced to HTTP/1: nothing',
      spec: spec(tlsListener(['h2', 'http/1.1'], { codec_type: 'HTTP1' })),
      log: times(12, h2(426)),
      want: [],
    },
    { name: 'no TLS (plain HTTP listener): nothing', spec: spec(gatewayListener()), log: times(12, h2(426)), want: [] },
    { name: 'no WebSocket routes: nothing', spec: spec(tlsListener(['h2', 'http/1.1'], {}, { upgrade: false })), log: times(12, h2(426)), want: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = fixture(c.spec);
      if (c.log) s.accessLog = { source: 'access.log', entries: c.log, skipped: 0 };
      expectFindings(analyze(s), c.want);
    });
  }
});
