// alpn-h2-websocket: a listener offers h2 first to TLS clients while serving WebSocket routes without RFC 8441
// extended CONNECT (`http2_protocol_options.allow_connect`, api/envoy/config/core/v3/protocol.proto). What fails:
// clients that open the WebSocket on their HTTP/2 connection (Firefox; kgateway-dev/kgateway#14305): the backend
// answers 426 to a handshake that arrived without `Upgrade`, or the extended CONNECT is refused. What does not:
// clients that fall back to HTTP/1.1 (Chrome, most WebSocket libraries). So the root cause is named only on
// failed handshakes over HTTP/2 in the access log, or on HTTP/2 protocol errors of the listener's connection managers
// (`downstream_cx_protocol_error`: an extended CONNECT sent without SETTINGS_ENABLE_CONNECT_PROTOCOL is reset as a
// messaging error), rising during the window or, with one sample, as totals at low confidence; the configuration
// alone stays an informational finding.

import { explanationType } from '../../model/catalogue-entry.ts';
import type { EvidenceValue, Explanation, Finding, FixChange } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { type Diagnosed, defineRootCause, explain, evidenceOf, scoring } from '../root-cause.ts';
import { MANY_FAILED_HANDSHAKES } from '../../model/thresholds.ts';

/** Explanation `h2-handshakes-fail`. */
const H2_HANDSHAKES_FAIL = explanationType<{
  h2Failures: EvidenceValue;
  listener: EvidenceValue;
  alpn: EvidenceValue;
  h2Rejected426: EvidenceValue;
  h2Rejected400: EvidenceValue;
  h2ConnectRefused: EvidenceValue;
  http2Connections: EvidenceValue;
}>()(
  'h2-handshakes-fail',
  '{h2Failures} {h2Failures|WebSocket handshake|WebSocket handshakes} came over HTTP/2 on {listener} (ALPN {alpn}) and failed: {h2Rejected426} answered 426 Upgrade Required, {h2Rejected400} answered 400 on paths that upgrade over HTTP/1.1, {h2ConnectRefused} {h2ConnectRefused|extended CONNECT|extended CONNECTs} refused ({http2Connections} {http2Connections|HTTP/2 connection|HTTP/2 connections})',
);

/** Explanation `h2-connect-protocol-errors`. */
const H2_CONNECT_PROTOCOL_ERRORS = explanationType<{
  protocolErrors: EvidenceValue;
  connectionManagers: EvidenceValue;
  windowProtocolErrors?: EvidenceValue;
  windowSeconds?: EvidenceValue;
  listener: EvidenceValue;
  alpn: EvidenceValue;
  http2Connections: EvidenceValue;
}>()(
  'h2-connect-protocol-errors',
  '{protocolErrors} HTTP/2 protocol {protocolErrors|error|errors} on {connectionManagers}[? ({windowProtocolErrors} in {windowSeconds})] of {listener} (ALPN {alpn}, {http2Connections} {http2Connections|HTTP/2 connection|HTTP/2 connections}): without allow_connect an extended CONNECT is a messaging error, its stream reset and its connection closed (access log: code 0, flag DPE, details http2.violation.of.messaging.rule on Envoy 1.36, http2.invalid.header.field on 1.40)',
);

/** Explanation `allow-connect-forwards-no-websocket-key`. */
const ALLOW_CONNECT_FORWARDS_NO_WEBSOCKET_KEY = explanationType<{ listener: EvidenceValue }>()(
  'allow-connect-forwards-no-websocket-key',
  'with allow_connect on {listener}, Envoy forwards an extended CONNECT to an HTTP/1.1 backend as a GET with Upgrade: websocket but adds no Sec-WebSocket-Key (envoyproxy/envoy#8547): a backend that checks the key (aiohttp: 400) still refuses clients that send none, as RFC 8441 allows; for those, offer the WebSocket host http/1.1 only',
);

function num(f: Finding, key: string): number {
  const v = f.evidence[key];
  return typeof v === 'number' ? v : 0;
}

/** Score of protocol errors on the listener's HTTP/2 connections: rising during the window, or totals with no window. */
const PROTOCOL_ERROR_SCORE = { window: 0.55, total: 0.4 } as const;

/**
 * Share of HTTP/2 connections that must have ended in a protocol error for totals alone (no window to date them) to
 * count: any busy listener collects a few from broken clients (14 in 18,440 on the healthy sample), while every
 * RFC 8441 client that sends its CONNECT anyway fails (the lab: 1 in 4 connections, the others gave up unseen).
 */
const MIN_TOTAL_PROTOCOL_ERROR_SHARE = 0.01;

/** Whether the finding holds protocol errors that count: rising during the window, or totals with no window to date them. */
function protocolErrorsCount(f: Finding): 'window' | 'total' | undefined {
  const connections = num(f, 'http2Connections');
  if (connections === 0) return undefined;
  if (f.evidence.windowProtocolErrors !== undefined) return num(f, 'windowProtocolErrors') > 0 ? 'window' : undefined;
  return num(f, 'protocolErrors') >= connections * MIN_TOTAL_PROTOCOL_ERROR_SHARE && num(f, 'protocolErrors') > 0 ? 'total' : undefined;
}

export const rootCause = defineRootCause({
  id: 'alpn-h2-websocket',
  title: 'HTTP/2 offered first to WebSocket clients without extended CONNECT',
  message:
    'the listener offers h2 first and does not accept WebSockets over HTTP/2 (allow_connect off): clients that open the WebSocket on their HTTP/2 connection (Firefox) fail with 426 or a refused CONNECT, clients that fall back to HTTP/1.1 (Chrome, most libraries) connect',
  uses: ['websocket-listener-prefers-h2'],
  explanations: [H2_HANDSHAKES_FAIL, H2_CONNECT_PROTOCOL_ERRORS, ALLOW_CONNECT_FORWARDS_NO_WEBSOCKET_KEY],
  verify: [
    {
      scope: 'listener',
      setting: 'http2_protocol_options.allow_connect: true on the connection manager (or http/1.1 offered first in ALPN)',
      expect: 'present',
    },
    { scope: 'listener', setting: 'WebSocket CONNECT requests over HTTP/2 refused or answered 426 in the access log', expect: 'absent' },
  ],
  diagnose(s: Snapshot, findings: Finding[]): Diagnosed[] {
    const failing = findings.filter((f) => f.code === 'websocket-listener-prefers-h2' && (num(f, 'h2Failures') > 0 || protocolErrorsCount(f) !== undefined));
    return failing.map((f) => {
      const failures = num(f, 'h2Failures');
      const errors = protocolErrorsCount(f);
      const explains: Explanation[] = [];
      let score = 0;
      if (failures > 0) {
        score = 0.55 + (failures >= MANY_FAILED_HANDSHAKES ? 0.25 : 0.1) + (num(f, 'http2Connections') > 0 ? 0.05 : 0);
        explains.push(
          explain(H2_HANDSHAKES_FAIL, {
            listener: f.entity.name,
            ...evidenceOf(f, ['alpn', 'h2Failures', 'h2Rejected426', 'h2Rejected400', 'h2ConnectRefused', 'http2Connections']),
          }),
        );
      }
      if (errors) {
        score = failures > 0 ? score + 0.05 : PROTOCOL_ERROR_SCORE[errors];
        explains.push(
          explain(H2_CONNECT_PROTOCOL_ERRORS, {
            listener: f.entity.name,
            ...evidenceOf(f, ['alpn', 'connectionManagers', 'protocolErrors', 'windowProtocolErrors', 'windowSeconds', 'http2Connections']),
          }),
        );
      }
      // What the fix does not do, measured: the upgrade leaves Envoy without a Sec-WebSocket-Key.
      explains.push(explain(ALLOW_CONNECT_FORWARDS_NO_WEBSOCKET_KEY, { listener: f.entity.name }));
      return {
        id: 'alpn-h2-websocket',
        ...scoring(s, score),
        entities: [f.entity],
        evidence: [f],
        explains,
        checks: [],
        changes: [{ kind: 'listener-allow-connect', listener: f.entity.name } satisfies FixChange],
      };
    });
  },
});
