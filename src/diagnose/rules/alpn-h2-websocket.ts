// alpn-h2-websocket: a listener offers h2 first to TLS clients while serving WebSocket routes without RFC 8441
// extended CONNECT (`http2_protocol_options.allow_connect`, api/envoy/config/core/v3/protocol.proto). What fails:
// clients that open the WebSocket on their HTTP/2 connection (Firefox; kgateway-dev/kgateway#14305): the backend
// answers 426 to a handshake that arrived without `Upgrade`, or the extended CONNECT is refused. What does not:
// clients that fall back to HTTP/1.1 (Chrome, most WebSocket libraries). So the root cause is named only on
// failed handshakes over HTTP/2 in the access log; the configuration alone stays an informational finding.

import type { Finding, FixChange } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { type DiagnosisRule, type Diagnosed, evidenceOf, scoring } from './rule.ts';
import { MANY_FAILED_HANDSHAKES } from '../../analyzers/websocket-alpn.ts';

function num(f: Finding, key: string): number {
  const v = f.evidence[key];
  return typeof v === 'number' ? v : 0;
}

export const rule: DiagnosisRule = {
  id: 'alpn-h2-websocket',
  uses: ['websocket-listener-prefers-h2'],
  diagnose(s: Snapshot, findings: Finding[]): Diagnosed[] {
    const failing = findings.filter((f) => f.code === 'websocket-listener-prefers-h2' && num(f, 'h2Failures') > 0);
    return failing.map((f) => {
      const failures = num(f, 'h2Failures');
      const score = 0.55 + (failures >= MANY_FAILED_HANDSHAKES ? 0.25 : 0.1) + (num(f, 'http2Connections') > 0 ? 0.05 : 0);
      return {
        id: 'alpn-h2-websocket',
        ...scoring(s, score),
        entities: [f.entity],
        evidence: [f],
        explains: [{ code: 'h2-handshakes-fail', values: { listener: f.entity.name, ...evidenceOf(f, ['alpn', 'h2Failures', 'h2Rejected426', 'h2Rejected400', 'h2ConnectRefused', 'http2Connections']) } }],
        checks: [],
        changes: [{ kind: 'listener-allow-connect', listener: f.entity.name } satisfies FixChange],
      };
    });
  },
};
