// Envoy clusters (api/envoy/config/cluster/v3/cluster.proto, with the upstream HttpProtocolOptions of
// api/envoy/extensions/upstreams/http/v3/http_protocol_options.proto) into the model's clusters; and the clusters a
// bootstrap names as gRPC services.

import type { CircuitBreaker, Cluster, TcpKeepalive, UpstreamProtocol } from '../model/snapshot.ts';
import { readCommonHttpTimeouts } from './durations.ts';
import { sourcedBufferLimit } from './envoy-defaults.ts';
import { sourcesFor } from './gateway-sources.ts';
import { arr, field, isObj, num, obj, type Obj, str, typeName } from './proto-json.ts';

const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** One cluster into the model; undefined when it has no name. */
export function parseCluster(c: Obj, origin: 'static' | 'dynamic'): Cluster | undefined {
  const name = str(c, 'name');
  if (!name) return undefined;
  const protocolOptions = obj(c, 'typed_extension_protocol_options', HTTP_PROTOCOL_OPTIONS);
  const common = obj(protocolOptions, 'common_http_protocol_options') ?? obj(c, 'common_http_protocol_options');
  const tls = upstreamTls(c);
  const cluster: Cluster = {
    name,
    statName: str(c, 'alt_stat_name') ?? name,
    bufferLimitBytes: sourcedBufferLimit(num(c, 'per_connection_buffer_limit_bytes')),
    upstreamProtocol: upstreamProtocol(c, protocolOptions),
    upstreamAlpn: tls ? arr(tls, 'common_tls_context', 'alpn_protocols').filter((x): x is string => typeof x === 'string') : [],
    upstreamTls: tls !== undefined,
    circuitBreakers: circuitBreakers(c),
    sources: sourcesFor(c, name),
    origin,
  };
  const keepalive = obj(c, 'upstream_connection_options', 'tcp_keepalive');
  if (keepalive) cluster.tcpKeepalive = keepaliveFromProto(keepalive);
  const endpoints = inlineEndpoints(c);
  if (endpoints) cluster.endpoints = endpoints;
  readCommonHttpTimeouts(common, cluster);
  return cluster;
}

const LOOPBACK = /^(127\.|::1$|localhost$)/;

/** A cluster's inline endpoints (`load_assignment`, or the legacy `hosts` of Envoy <= 1.12): all loopback?, and their ports. */
function inlineEndpoints(c: Obj): Cluster['endpoints'] {
  const addresses: Obj[] = [];
  for (const e of arr(c, 'load_assignment', 'endpoints')) {
    for (const lb of arr(e, 'lb_endpoints')) {
      const sa = obj(lb, 'endpoint', 'address', 'socket_address');
      if (sa) addresses.push(sa);
    }
  }
  for (const h of arr(c, 'hosts')) {
    const sa = obj(h, 'socket_address');
    if (sa) addresses.push(sa);
  }
  if (addresses.length === 0) return undefined;
  const ports = [...new Set(addresses.map((sa) => num(sa, 'port_value')).filter((p): p is number => p !== undefined))];
  return { loopback: addresses.every((sa) => LOOPBACK.test(str(sa, 'address') ?? '')), ports };
}

function keepaliveFromProto(k: Obj): TcpKeepalive {
  const out: TcpKeepalive = {};
  const probes = num(k, 'keepalive_probes');
  const time = num(k, 'keepalive_time');
  const interval = num(k, 'keepalive_interval');
  if (probes !== undefined) out.probes = probes;
  if (time !== undefined) out.timeSeconds = time;
  if (interval !== undefined) out.intervalSeconds = interval;
  return out;
}

function upstreamTls(c: Obj): Obj | undefined {
  // Envoy <= 1.12: the cluster's own `tls_context` (v2 UpstreamTlsContext).
  const legacy = obj(c, 'tls_context');
  if (legacy) return legacy;
  const candidates = [obj(c, 'transport_socket'), ...arr(c, 'transport_socket_matches').map((m) => obj(m, 'transport_socket'))];
  for (const ts of candidates) {
    const typed = obj(ts, 'typed_config');
    if (typed && /UpstreamTlsContext$/.test(typeName(typed))) return typed;
    if (str(ts, 'name') === 'envoy.transport_sockets.tls') return typed ?? {};
  }
  return undefined;
}

function upstreamProtocol(c: Obj, options: Obj | undefined): UpstreamProtocol {
  if (options) {
    const explicit = obj(options, 'explicit_http_config');
    if (explicit) {
      if (field(explicit, 'http2_protocol_options') !== undefined) return 'http2';
      if (field(explicit, 'http3_protocol_options') !== undefined) return 'http3';
      return 'http1';
    }
    if (field(options, 'use_downstream_protocol_config') !== undefined) return 'downstream';
    if (field(options, 'auto_config') !== undefined) return 'auto';
  }
  if (str(c, 'protocol_selection') === 'USE_DOWNSTREAM_PROTOCOL') return 'downstream';
  if (field(c, 'http2_protocol_options') !== undefined) return 'http2';
  return 'http1';
}

function circuitBreakers(c: Obj): CircuitBreaker[] {
  const byPriority = new Map<string, CircuitBreaker>();
  for (const t of arr(c, 'circuit_breakers', 'thresholds')) {
    const priority = str(t, 'priority') === 'HIGH' ? 'high' : 'default';
    byPriority.set(priority, {
      priority,
      maxConnections: num(t, 'max_connections') ?? 1024,
      maxPendingRequests: num(t, 'max_pending_requests') ?? 1024,
      maxRequests: num(t, 'max_requests') ?? 1024,
      maxRetries: num(t, 'max_retries') ?? 3,
    });
  }
  if (!byPriority.has('default')) {
    byPriority.set('default', { priority: 'default', maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 });
  }
  return [...byPriority.values()];
}

/**
 * Clusters the bootstrap names as gRPC services (`envoy_grpc.cluster_name`): xDS (`dynamic_resources.ads_config`,
 * `cds_config`, `lds_config`), SDS, access log and metrics sinks (api/envoy/config/core/v3/grpc_service.proto).
 * They carry long-lived gRPC streams, not the proxy's traffic.
 */
export function grpcServiceClusters(bootstrap: Obj): Set<string> {
  const out = new Set<string>();
  const visit = (v: unknown, depth: number): void => {
    if (depth > 12) return;
    if (Array.isArray(v)) for (const x of v) visit(x, depth + 1);
    else if (isObj(v)) {
      const name = str(v, 'envoy_grpc', 'cluster_name');
      if (name) out.add(name);
      for (const [key, x] of Object.entries(v)) if (key !== 'static_resources' && key !== 'staticResources') visit(x, depth + 1);
    }
  };
  visit(bootstrap, 0);
  // Static clusters carry no gRPC services, but their listeners' access logs may: read those too.
  for (const l of arr(bootstrap, 'static_resources', 'listeners')) visit(l, 1);
  return out;
}
