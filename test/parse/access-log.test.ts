import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { AccessLogEntry } from '../../src/model/access-log.ts';
import { parseAccessLog, parseResponseFlags, stripKubectlPrefixes } from '../../src/parse/access-log-formats.ts';
import { InputError } from '../../src/parse/input-error.ts';

const HA = 'httproute/home/home-assistant-app/rule/0/match/0/ha_example_com';
const HA_CLUSTER = 'httproute/home/home-assistant-app/rule/0';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0';
const HA_IOS = 'Home Assistant/2024.1 (io.robbie.HomeAssistant; build:2024.123; iOS 17.2.0) Mobile/HomeAssistant';

/** Envoy Gateway's default JSON, one object per line, as `kubectl logs` prints it. */
const EG_LINE = JSON.stringify({
  ':authority': 'ha.example.com',
  bytes_received: 1234,
  bytes_sent: 56789,
  connection_termination_details: null,
  duration: 110342,
  method: 'GET',
  protocol: 'HTTP/1.1',
  response_code: 101,
  response_code_details: 'via_upstream',
  response_flags: 'UC',
  route_name: HA,
  start_time: '2025-03-08T02:25:32.588Z',
  upstream_cluster: HA_CLUSTER,
  upstream_host: '10.1.21.70:8123',
  'user-agent': FIREFOX,
  'x-envoy-origin-path': '/api/websocket',
  'x-request-id': '54c4c2f9-d209-4aa0-8870-342bc6622d1a',
});

/** The same entry with every number as a string and unset values as "-" (Envoy's untyped json_format). */
const EG_STRINGS = JSON.stringify({
  start_time: '2025-03-08T02:26:00.000Z',
  method: 'GET',
  'x-envoy-origin-path': '/api/websocket',
  protocol: 'HTTP/1.1',
  response_code: '101',
  response_flags: 'DC',
  response_code_details: '-',
  connection_termination_details: '-',
  bytes_received: '12',
  bytes_sent: '3400',
  duration: '8950',
  'user-agent': HA_IOS,
  upstream_host: '-',
  upstream_cluster: HA_CLUSTER,
  route_name: HA,
});

const PRETTY = [
  '{',
  '  ":authority": "www.example.com",',
  '  "bytes_received": 0,',
  '  "duration": 12,',
  '  "method": "GET",',
  '  "response_code": 200,',
  '  "response_flags": "-",',
  '  "route_name": "r1",',
  '  "user-agent": "curl/8.7.1 {not a brace}"',
  '}',
];

// Envoy's default text format (docs/root/configuration/observability/access_log/usage.rst, its own example).
const ENVOY_DEFAULT =
  '[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "tcp://10.0.2.1:80"';
// Istio's text format (pilot/pkg/model/telemetry_logging.go), a WebSocket closed by the upstream.
const ISTIO = `[2024-06-02T13:24:57.930Z] "GET /api/websocket HTTP/1.1" 101 UC via_upstream - "-" 1234 56789 110342 - "192.168.0.24" "${FIREFOX}" "9f69865b-eed1-409b-8c12-12436234a191" "ha.example.com" "10.0.0.159:8123" outbound|8123||ha.home.svc.cluster.local 10.0.1.244:35794 10.0.1.244:8443 192.168.0.24:8459 ha.example.com ${HA}`;
// Response code details and termination details without Istio's trailing fields.
const WITH_DETAILS = `[2024-06-02T13:25:00.000Z] "GET /api/websocket HTTP/1.1" 101 DC,UC via_upstream filter_chain_is_being_removed "-" 10 20 30000 - "-" "${HA_IOS}" "-" "ha.example.com" "-"`;
// Envoy's own log lines, which share the container's output.
const ENVOY_OWN = '[2024-06-02 13:24:57.930][1][info][main] [source/server/server.cc:932] all clusters initialized. initializing init manager';
const ENVOY_OWN_JSON = '{"time":"2024-06-02T13:24:57.930Z","level":"info","msg":"cds: added/updated 3 cluster(s)"}';

describe('access log parsing', () => {
  const cases: Array<{ name: string; lines: string[]; want: Array<Partial<AccessLogEntry>>; skipped: number }> = [
    {
      name: 'Envoy Gateway JSON, one object per line',
      lines: [EG_LINE],
      want: [
        {
          startTime: new Date('2025-03-08T02:25:32.588Z'),
          method: 'GET',
          path: '/api/websocket',
          protocol: 'HTTP/1.1',
          responseCode: 101,
          responseFlags: ['UC'],
          responseCodeDetails: 'via_upstream',
          bytesReceived: 1234,
          bytesSent: 56789,
          durationMs: 110342,
          userAgent: FIREFOX,
          upstreamHost: '10.1.21.70:8123',
          upstreamCluster: HA_CLUSTER,
          routeName: HA,
        },
      ],
      skipped: 0,
    },
    {
      name: 'numbers as strings, "-" and null are read as numbers and absent values',
      lines: [EG_STRINGS],
      want: [
        { responseCode: 101, responseFlags: ['DC'], durationMs: 8950, bytesReceived: 12, bytesSent: 3400, userAgent: HA_IOS, upstreamCluster: HA_CLUSTER },
      ],
      skipped: 0,
    },
    {
      name: 'kubectl --timestamps and --prefix are stripped',
      lines: [`2025-03-08T02:25:33.000000001Z ${EG_LINE}`, `[pod/envoy-home-eg-5d7c9-abcde/envoy] 2025-03-08T02:25:34+01:00 ${ENVOY_DEFAULT}`],
      want: [
        { responseCode: 101, durationMs: 110342 },
        { responseCode: 204, durationMs: 226 },
      ],
      skipped: 0,
    },
    {
      name: "Envoy's default text format",
      lines: [ENVOY_DEFAULT],
      want: [
        {
          startTime: new Date('2016-04-15T20:17:00.310Z'),
          method: 'POST',
          path: '/api/v1/locations',
          protocol: 'HTTP/2',
          responseCode: 204,
          responseFlags: [],
          bytesReceived: 154,
          bytesSent: 0,
          durationMs: 226,
          userAgent: 'nsq2http',
          upstreamHost: 'tcp://10.0.2.1:80',
        },
      ],
      skipped: 0,
    },
    {
      name: "Istio's text format, with details and the trailing cluster and route",
      lines: [ISTIO],
      want: [
        {
          responseCode: 101,
          responseFlags: ['UC'],
          responseCodeDetails: 'via_upstream',
          bytesReceived: 1234,
          bytesSent: 56789,
          durationMs: 110342,
          userAgent: FIREFOX,
          upstreamHost: '10.0.0.159:8123',
          upstreamCluster: 'outbound|8123||ha.home.svc.cluster.local',
          routeName: HA,
        },
      ],
      skipped: 0,
    },
    {
      name: 'text with details but no trailing fields; several flags',
      lines: [WITH_DETAILS],
      want: [
        {
          responseCode: 101,
          responseFlags: ['DC', 'UC'],
          responseCodeDetails: 'via_upstream',
          connectionTerminationDetails: 'filter_chain_is_being_removed',
          durationMs: 30000,
          userAgent: HA_IOS,
        },
      ],
      skipped: 0,
    },
    {
      name: "Envoy's own log lines, its JSON logs and blank lines are skipped",
      lines: [ENVOY_OWN, '', EG_LINE, ENVOY_OWN_JSON, '   ', 'random junk "with quotes'],
      want: [{ responseCode: 101 }],
      skipped: 5,
    },
    {
      name: 'pretty-printed objects over several lines, then a one-line object',
      lines: [...PRETTY, EG_STRINGS],
      want: [
        { responseCode: 200, durationMs: 12, routeName: 'r1', userAgent: 'curl/8.7.1 {not a brace}' },
        { responseCode: 101, durationMs: 8950 },
      ],
      skipped: 0,
    },
    {
      name: 'an unclosed brace is abandoned when a complete entry follows',
      lines: ['{', '  "not": "closed",', EG_LINE],
      want: [{ responseCode: 101 }],
      skipped: 2,
    },
    {
      name: 'a pretty-printed object that is not an access log entry is skipped whole',
      lines: ['{', '  "level": "info",', '  "msg": "hello"', '}', ENVOY_DEFAULT],
      want: [{ responseCode: 204 }],
      skipped: 4,
    },
    {
      name: 'CRLF line ends',
      lines: [`${ENVOY_DEFAULT}\r`],
      want: [{ responseCode: 204, upstreamHost: 'tcp://10.0.2.1:80' }],
      skipped: 0,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const log = parseAccessLog(`${c.lines.join('\n')}\n`, 'access.log');
      assert.equal(log.source, 'access.log');
      assert.equal(log.skipped, c.skipped);
      assert.equal(log.entries.length, c.want.length);
      c.want.forEach((w, i) => {
        const got = log.entries[i] as AccessLogEntry;
        for (const [k, v] of Object.entries(w)) assert.deepEqual(got[k as keyof AccessLogEntry], v, `entry ${i} ${k}`);
      });
    });
  }

  it('absent values are left out, never set to undefined', () => {
    const [e] = parseAccessLog(EG_STRINGS, 'x').entries;
    assert.ok(e);
    assert.equal('upstreamHost' in e, false);
    assert.equal('responseCodeDetails' in e, false);
    assert.equal('connectionTerminationDetails' in e, false);
  });

  it('no entry at all is an InputError naming the source and what was expected', () => {
    assert.throws(
      () => parseAccessLog(`${ENVOY_OWN}\n\n${ENVOY_OWN_JSON}\n`, 'pod home/envoy-0 container envoy'),
      (e: unknown) =>
        e instanceof InputError &&
        e.source === 'pod home/envoy-0 container envoy' &&
        /no access log entry in 3 lines; expected Envoy access log lines/.test(e.message),
    );
    assert.throws(() => parseAccessLog('', 'empty.log'), InputError);
  });

  it('response flags and kubectl prefixes', () => {
    const flags: Array<[unknown, string[]]> = [
      ['-', []],
      ['', []],
      [null, []],
      [undefined, []],
      ['UC', ['UC']],
      ['UC,URX', ['UC', 'URX']],
      [' DC , UC ', ['DC', 'UC']],
    ];
    for (const [input, want] of flags) assert.deepEqual(parseResponseFlags(input), want, String(input));
    assert.equal(stripKubectlPrefixes('2024-01-02T03:04:05.123456789Z {"a":1}'), '{"a":1}');
    assert.equal(stripKubectlPrefixes('2024-01-02T03:04:05+0100 [x]'), '[x]');
    assert.equal(stripKubectlPrefixes('[2016-04-15T20:17:00.310Z] "GET'), '[2016-04-15T20:17:00.310Z] "GET');
  });

  const sample = new URL('../../../shared/corpus/envoy-gateway/accesslog-sample.troubleshooting.json', import.meta.url);
  it('the Envoy Gateway troubleshooting sample from the shared corpus', {
    skip: existsSync(sample) ? false : 'shared/corpus is not beside this checkout',
  }, () => {
    const log = parseAccessLog(readFileSync(sample, 'utf8'), 'accesslog-sample.troubleshooting.json');
    assert.equal(log.skipped, 0);
    assert.equal(log.entries.length, 1);
    const [e] = log.entries;
    assert.deepEqual(e, {
      startTime: new Date('2025-03-08T02:25:32.588Z'),
      method: 'GET',
      path: '/get',
      protocol: 'HTTP/1.1',
      responseCode: 500,
      responseFlags: [],
      responseCodeDetails: 'direct_response',
      bytesReceived: 0,
      bytesSent: 0,
      durationMs: 0,
      userAgent: 'curl/8.7.1',
      routeName: 'httproute/default/backend/rule/0/match/0/www_example_com',
    });
  });
});
