// Listeners that offer HTTP/2 first to TLS clients while serving WebSocket routes, without RFC 8441 extended
// CONNECT. The server picks the first protocol of its own ALPN list that the client offers
// (api/envoy/extensions/transport_sockets/tls/v3/common.proto `alpn_protocols`), so browsers get h2. Envoy accepts
// WebSockets over HTTP/2 only with `http2_protocol_options.allow_connect` on the connection manager
// (api/envoy/config/core/v3/protocol.proto; docs/root/intro/arch_overview/http/upgrades.rst), which Envoy Gateway
// never sets. Clients that fall back to a separate HTTP/1.1 connection (Chrome, most libraries) are unaffected; a
// client that opens the WebSocket on its HTTP/2 connection reaches the backend without `Upgrade`, which answers
// 426 (aiohttp, which Home Assistant runs on, answers 400 "No WebSocket UPGRADE hdr"), or has its extended CONNECT
// refused (kgateway-dev/kgateway#14305: Firefox). So the configuration alone is information; failed handshakes over
// HTTP/2 in the access log are the evidence: a 426, a refused CONNECT, or a 400 on a path that upgrades over HTTP/1.1.
// In stats: without allow_connect Envoy's SETTINGS carry no SETTINGS_ENABLE_CONNECT_PROTOCOL, and an extended CONNECT
// sent all the same is a messaging error: the stream is reset, the connection closed, and the connection manager
// counts `downstream_cx_protocol_error` and `http2.rx_messaging_error`; the access log has code 0, flag DPE and details
// `http2.violation.of.messaging.rule` (Envoy 1.36.2) or `http2.invalid.header.field` (1.40.0), without a method
// (measured in the lab, scenario alpn-h2-websocket). Protocol errors that rise during the window on such a
// listener's HTTP/2 connections are that evidence. A client that reads the SETTINGS and gives up leaves nothing but
// an HTTP/2 connection (`downstream_cx_http2_total`) without a request.

import type { AccessLogEntry } from '../model/access-log.ts';
import { findingType } from '../model/catalogue-entry.ts';
import { HTTP_STATS } from '../model/envoy-stats.ts';
import type { Finding, Severity } from '../model/finding.ts';
import type { Snapshot } from '../model/snapshot.ts';
import { delta, stat, windowSeconds } from '../model/stats-view.ts';
import { MANY_FAILED_HANDSHAKES } from '../model/thresholds.ts';
import { upgradesOn, webSocketListeners } from '../model/topology.ts';
import { defineAnalyzer, finding } from './analyzer.ts';

/** Evidence of a listener serving WebSocket routes that offers h2 first without extended CONNECT. */
interface WebSocketListenerPrefersH2 {
  alpn: string;
  websocketRoutes: number;
  allowConnect: boolean;
  connectionManagers: string;
  http2Connections?: number;
  upgradesTotal?: number;
  h2LogEntries?: number;
  h2Failures?: number;
  h2Rejected426?: number;
  h2Rejected400?: number;
  h2ConnectRefused?: number;
  protocolErrors?: number;
  windowProtocolErrors?: number;
  windowSeconds?: number;
}

/** HTTP/2 offered first on a WebSocket listener without extended CONNECT. */
const WEBSOCKET_LISTENER_PREFERS_H2 = findingType<WebSocketListenerPrefersH2>()(
  'websocket-listener-prefers-h2',
  'HTTP/2 offered first on a WebSocket listener without extended CONNECT',
  'ALPN {alpn} offered on a listener serving WebSocket routes ({websocketRoutes}) without allow_connect[?: {h2Failures} {h2Failures|WebSocket handshake|WebSocket handshakes} over HTTP/2 failed ({h2Rejected426} answered 426, {h2Rejected400} answered 400 on paths that upgrade over HTTP/1.1, {h2ConnectRefused} {h2ConnectRefused|extended CONNECT|extended CONNECTs} refused)]; {http2Connections} {http2Connections|HTTP/2 connection|HTTP/2 connections}',
);

export const meta = defineAnalyzer({
  id: 'websocket-alpn',
  title: 'HTTP/2 offered first where WebSockets are served, without extended CONNECT',
  reads: ['config', 'stats', 'access-log'],
  stats: { http: [HTTP_STATS.cxHttp2Total, HTTP_STATS.cxProtocolError, HTTP_STATS.cxUpgradesTotal] },
  findings: [WEBSOCKET_LISTENER_PREFERS_H2],
});

/** True for an access-log entry carried over HTTP/2. */
function overHttp2(e: AccessLogEntry): boolean {
  return e.protocol !== undefined && /^HTTP\/2/i.test(e.protocol);
}

/**
 * A WebSocket handshake over HTTP/2 that failed: the backend demanded an upgrade (426), an extended CONNECT was
 * refused, or a path that upgrades over HTTP/1.1 (`upgradingPaths`) was answered 400. (An extended CONNECT reset by
 * the codec is logged without a method or a route, so it cannot be told to a listener here: stats count it.)
 */
function failedH2Handshake(e: AccessLogEntry, upgradingPaths: ReadonlySet<string>): '426' | '400' | 'connect' | undefined {
  if (!overHttp2(e)) return undefined;
  if (e.responseCode === 426) return '426';
  if (e.method === 'CONNECT' && (e.responseCode === undefined || e.responseCode < 200 || e.responseCode >= 300)) return 'connect';
  if (e.responseCode === 400 && e.path !== undefined && upgradingPaths.has(e.path)) return '400';
  return undefined;
}

export function analyze(s: Snapshot): Finding[] {
  const findings: Finding[] = [];
  for (const { listener, routes, managers } of webSocketListeners(s)) {
    const h2First = listener.filterChains.filter((fc) => fc.tls && fc.alpn[0] === 'h2' && fc.connectionManager !== undefined);
    if (h2First.length === 0) continue;
    // With allow_connect on every such chain, extended CONNECT is accepted and converted for HTTP/1.1 backends.
    const withoutConnect = h2First.filter((fc) => fc.connectionManager?.http2AllowConnect === false && fc.connectionManager.codecType !== 'HTTP1');
    if (withoutConnect.length === 0) continue;
    const prefixes = [...new Set(withoutConnect.map((fc) => fc.connectionManager?.statPrefix as string))];
    const sum = (read: (p: string) => number | undefined) =>
      prefixes.reduce<number | undefined>((n, p) => (read(p) === undefined ? n : (n ?? 0) + (read(p) as number)), undefined);
    const http2Connections = sum((p) => stat(s, 'http', p, HTTP_STATS.cxHttp2Total));
    const protocolErrors = sum((p) => stat(s, 'http', p, HTTP_STATS.cxProtocolError));
    const windowProtocolErrors = sum((p) => delta(s, 'http', p, HTTP_STATS.cxProtocolError));
    let rejected426: number | undefined;
    let rejected400: number | undefined;
    let connectRefused: number | undefined;
    let h2Entries: number | undefined;
    if (s.accessLog) {
      const routeNames = new Set(routes.map((r) => r.name));
      const mine = s.accessLog.entries.filter((e) => e.routeName !== undefined && routeNames.has(e.routeName));
      const upgrading = new Set(mine.filter((e) => e.responseCode === 101 && e.path !== undefined).map((e) => e.path as string));
      h2Entries = mine.filter(overHttp2).length;
      const failed = mine.map((e) => failedH2Handshake(e, upgrading));
      rejected426 = failed.filter((x) => x === '426').length;
      rejected400 = failed.filter((x) => x === '400').length;
      connectRefused = failed.filter((x) => x === 'connect').length;
    }
    const failures = (rejected426 ?? 0) + (rejected400 ?? 0) + (connectRefused ?? 0);
    // Protocol errors on HTTP/2 connections of the listener: rising during the window, or with no window to date them.
    const h2Errors = (http2Connections ?? 0) > 0 && (windowProtocolErrors !== undefined ? windowProtocolErrors > 0 : (protocolErrors ?? 0) > 0);
    const severity: Severity = failures >= MANY_FAILED_HANDSHAKES ? 'error' : failures > 0 || h2Errors ? 'warning' : 'info';
    findings.push(
      finding(
        s,
        WEBSOCKET_LISTENER_PREFERS_H2,
        severity,
        { kind: 'listener', name: listener.name },
        {
          alpn: withoutConnect[0]?.alpn.join(',') ?? 'h2',
          websocketRoutes: routes.length,
          allowConnect: false,
          connectionManagers: prefixes.join(','),
          http2Connections,
          upgradesTotal: upgradesOn(s, managers),
          h2LogEntries: h2Entries,
          h2Failures: s.accessLog ? failures : undefined,
          h2Rejected426: rejected426,
          h2Rejected400: rejected400,
          h2ConnectRefused: connectRefused,
          protocolErrors,
          windowProtocolErrors,
          windowSeconds: windowSeconds(s, windowProtocolErrors),
        },
      ),
    );
  }
  return findings;
}
