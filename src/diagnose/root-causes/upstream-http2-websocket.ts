// upstream-http2-websocket: WebSockets leave Envoy as HTTP/2 towards a backend that cannot take them. Envoy
// turns an HTTP/1.1 upgrade into an extended CONNECT (RFC 8441) on an HTTP/2 upstream
// (docs/root/intro/arch_overview/http/upgrades.rst); a backend that negotiated h2 through ALPN but does not
// support extended CONNECT resets the stream and the client gets 502
// `upstream_reset_before_response_started{protocol_error}` (envoyproxy/gateway#9121: Envoy Gateway >= 1.6 offers
// TLS backends ALPN [h2, http/1.1]). Evidence, strongest first: protocol-error 502s in the access log or protocol
// errors during the window, HTTP/2 connections actually made, protocol errors or resets as totals. Without error
// evidence (HTTP/2 capable, WebSockets in use) the root cause is named at low confidence.

import { explanationType } from '../../model/catalogue-entry.ts';
import { CLUSTER_STATS } from '../../model/envoy-stats.ts';
import type { EvidenceValue, Explanation, Finding } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { managersForCluster } from '../../model/topology.ts';
import { longLivedStreamChecks } from '../hypotheses.ts';
import { type Diagnosed, defineRootCause, explain, scoring } from '../root-cause.ts';

/** Why upgrades leave as extended CONNECT: HTTP/2 configured, or chosen by ALPN. */
const UPSTREAM_HTTP2_EXPLICIT = explanationType<{ http2Connections: EvidenceValue }>()(
  'upstream-http2-explicit',
  'the cluster is configured for HTTP/2 upstream (explicit_http_config.http2_protocol_options): every upgrade leaves as an extended CONNECT ({http2Connections} {http2Connections|HTTP/2 connection|HTTP/2 connections})',
);
const UPSTREAM_H2_BY_ALPN = explanationType<{ upstreamAlpn: EvidenceValue; http2Connections: EvidenceValue }>()(
  'upstream-h2-by-alpn',
  'the cluster lets TLS ALPN choose the upstream protocol (auto_config, ALPN {upstreamAlpn}): a backend that accepts h2 gets upgrades as extended CONNECT ({http2Connections} {http2Connections|HTTP/2 connection|HTTP/2 connections})',
);

/** Explanation `protocol-error-502s`. */
const PROTOCOL_ERROR_502S = explanationType<{ logProtocolErrors: EvidenceValue; logUpgrades: EvidenceValue }>()(
  'protocol-error-502s',
  '{logProtocolErrors} {logProtocolErrors|request|requests} to the cluster failed with 502 after a protocol_error reset in the access log ({logUpgrades} {logUpgrades|upgrade|upgrades} succeeded)',
);

/** Explanation `upstream-protocol-errors`. */
const UPSTREAM_PROTOCOL_ERRORS = explanationType<{
  protocolErrors: EvidenceValue;
  rxResets: EvidenceValue;
  windowProtocolErrors?: EvidenceValue;
  windowRxResets?: EvidenceValue;
  windowSeconds?: EvidenceValue;
}>()(
  'upstream-protocol-errors',
  '{protocolErrors} {protocolErrors|upstream protocol error|upstream protocol errors} and {rxResets} {rxResets|stream|streams} reset by the backend[? ({windowProtocolErrors} and {windowRxResets} of them in {windowSeconds})]',
);

function num(f: Finding, key: string): number | undefined {
  const v = f.evidence[key];
  return typeof v === 'number' ? v : undefined;
}

export const rootCause = defineRootCause({
  id: 'upstream-http2-websocket',
  title: 'WebSocket sent to an HTTP/2 upstream',
  message:
    'the cluster speaks HTTP/2 to its backend (configured, or chosen by TLS ALPN), so upgrades leave as extended CONNECT, which a backend without RFC 8441 support resets: 502 with a protocol_error reset',
  uses: ['websocket-cluster-speaks-http2'],
  explanations: [UPSTREAM_HTTP2_EXPLICIT, UPSTREAM_H2_BY_ALPN, PROTOCOL_ERROR_502S, UPSTREAM_PROTOCOL_ERRORS],
  verify: [
    { scope: 'cluster', stat: CLUSTER_STATS.cxProtocolError, expect: 'stops-growing' },
    { scope: 'cluster', stat: CLUSTER_STATS.rqRxReset, expect: 'stops-growing' },
    { scope: 'cluster', stat: CLUSTER_STATS.cxHttp1Total, expect: 'keeps-growing' },
  ],
  diagnose(s: Snapshot, findings: Finding[]): Diagnosed[] {
    const out: Diagnosed[] = [];
    for (const f of findings) {
      if (f.code !== 'websocket-cluster-speaks-http2') continue;
      const http2Connections = num(f, 'http2Connections');
      const upgrades = num(f, 'upgradesTotal') ?? 0;
      const logUpgrades = num(f, 'logUpgrades') ?? 0;
      // Configuration alone (no sign that WebSockets are used there) names nothing; neither does ALPN that never chose h2.
      if (f.severity === 'info' && (upgrades + logUpgrades === 0 || (f.evidence.http2Source === 'alpn' && http2Connections === 0))) continue;
      const explains: Explanation[] = [
        f.evidence.http2Source === 'explicit'
          ? explain(UPSTREAM_HTTP2_EXPLICIT, { http2Connections: http2Connections ?? null })
          : explain(UPSTREAM_H2_BY_ALPN, { upstreamAlpn: f.evidence.upstreamAlpn ?? 'h2,http/1.1', http2Connections: http2Connections ?? null }),
      ];
      let score = f.severity === 'error' ? 0.6 : f.severity === 'warning' ? 0.45 : 0.3;
      const logErrors = num(f, 'logProtocolErrors') ?? 0;
      if (logErrors > 0) {
        score += 0.25;
        explains.push(explain(PROTOCOL_ERROR_502S, { logProtocolErrors: logErrors, logUpgrades }));
      }
      const windowErrors = num(f, 'windowProtocolErrors') ?? 0;
      const errors = num(f, 'protocolErrors') ?? 0;
      const resets = num(f, 'rxResets') ?? 0;
      const windowResets = num(f, 'windowRxResets') ?? 0;
      if (windowErrors > 0 || errors > 0 || resets > 0) {
        score += windowErrors > 0 || windowResets > 0 ? 0.1 : 0.05;
        explains.push(
          explain(UPSTREAM_PROTOCOL_ERRORS, {
            protocolErrors: errors,
            windowProtocolErrors: f.evidence.windowProtocolErrors ?? null,
            rxResets: resets,
            windowRxResets: f.evidence.windowRxResets ?? null,
            windowSeconds: f.evidence.windowSeconds ?? null,
          }),
        );
      }
      if (http2Connections !== undefined && http2Connections > 0) score += 0.1;
      const cluster = s.clusters.get(f.entity.name);
      out.push({
        id: 'upstream-http2-websocket',
        ...scoring(s, score, (confidence) => (f.severity === 'error' && confidence !== 'low' ? 'error' : f.severity === 'info' ? 'info' : 'warning')),
        entities: [{ kind: 'cluster', name: f.entity.name }],
        evidence: [f],
        explains,
        checks: cluster
          ? longLivedStreamChecks(s, cluster, managersForCluster(s, cluster.name)).filter(
              (c) => c.hypothesis === 'websocket-upgrade-disabled' || c.hypothesis === 'circuit-breaker-saturation',
            )
          : [],
        changes: [{ kind: 'cluster-client-protocol', cluster: f.entity.name }],
      });
    }
    return out;
  },
});
