// Which control plane wrote a dump (Envoy Gateway, Istio or plain Envoy), from the bootstrap's node and the hints its
// clusters and listeners give as they are read. Istio's names: pilot/pkg/networking/core; Envoy Gateway's:
// internal/xds/translator.

import type { Flavor, Listener, Sourced } from '../model/snapshot.ts';
import { ENVOY_GATEWAY_DEFAULT_BUFFER_LIMIT } from './envoy-defaults.ts';
import { GATEWAY_ROUTE_CLUSTER } from './gateway-sources.ts';
import { arr, obj, type Obj, str } from './proto-json.ts';

// Flavor hints one cluster gives; the flavor is decided once every cluster is read.

/** Hint: the cluster carries Envoy Gateway metadata. */
const HINT_GATEWAY_METADATA = 1;
/** Hint: the cluster is named for an Envoy Gateway xRoute rule. */
const HINT_GATEWAY_ROUTE_NAME = 2;
/** Hint: the bootstrap's xDS server is Envoy Gateway. */
const HINT_GATEWAY_XDS = 4;
/** Hint: a cluster, listener or route configuration has an Istio name. */
export const HINT_ISTIO_NAME = 8;

/** Istio's listener names (pilot/pkg/networking/core) and its network and HTTP filters. */
export const ISTIO_LISTENER_NAMES = new Set(['virtualInbound', 'virtualOutbound', 'main_internal', 'connect_originate', 'connect_terminate']);
const ISTIO_RESOURCE_NAME = /^(outbound|inbound|inbound-vip)\||^(BlackHoleCluster|PassthroughCluster|InboundPassthroughCluster(Ipv4|Ipv6)?)$/;

/** Istio hints of a listener already read: its name, its filters, and the clusters and route configurations it names. */
export function listenerHints(listener: Listener): number {
  if (ISTIO_LISTENER_NAMES.has(listener.name)) return HINT_ISTIO_NAME;
  for (const chain of listener.filterChains) {
    if (chain.tcpProxy?.cluster !== undefined && ISTIO_RESOURCE_NAME.test(chain.tcpProxy.cluster)) return HINT_ISTIO_NAME;
    const cm = chain.connectionManager;
    if (!cm) continue;
    if (cm.httpFilters.some((f) => f.startsWith('istio.')) || (cm.routeConfigName !== undefined && ISTIO_RESOURCE_NAME.test(cm.routeConfigName)))
      return HINT_ISTIO_NAME;
  }
  return 0;
}

/** The flavor hints (HINT_* bits) one raw cluster gives: its Envoy Gateway metadata or rule name, its xDS server, an Istio name. */
export function clusterHints(cluster: Obj): number {
  const name = str(cluster, 'name') ?? '';
  let hints = 0;
  if (obj(cluster, 'metadata', 'filter_metadata', 'envoy-gateway')) hints |= HINT_GATEWAY_METADATA;
  if (GATEWAY_ROUTE_CLUSTER.test(name)) hints |= HINT_GATEWAY_ROUTE_NAME;
  if (name === 'xds_cluster' && xdsServerHosts(cluster).some((h) => h.startsWith('envoy-gateway'))) hints |= HINT_GATEWAY_XDS;
  if (ISTIO_RESOURCE_NAME.test(name)) hints |= HINT_ISTIO_NAME;
  return hints;
}

/** Envoy Gateway, Istio or plain Envoy, from the node, the clusters' hints and the namespace the dump was filed under. */
export function detectFlavor(bootstrap: Obj | undefined, hints: number, namespace: string | undefined): Flavor {
  const node = obj(bootstrap, 'node');
  const nodeId = str(node, 'id') ?? '';
  const metadata = obj(node, 'metadata');
  if (metadata && (metadata.ISTIO_VERSION !== undefined || metadata.MESH_ID !== undefined)) return 'istio';
  if (/^(sidecar|router|waypoint|ztunnel)~/.test(nodeId)) return 'istio';
  if (hints & (HINT_GATEWAY_METADATA | HINT_GATEWAY_ROUTE_NAME)) return 'envoy-gateway';
  if (namespace === 'envoy-gateway-system' || /envoy-gateway/.test(str(node, 'cluster') ?? '')) return 'envoy-gateway';
  if (hints & HINT_GATEWAY_XDS) return 'envoy-gateway';
  if (hints & HINT_ISTIO_NAME) return 'istio';
  return 'envoy';
}

/** Hosts of a cluster's static endpoints (the xDS server of a bootstrap). */
function xdsServerHosts(cluster: Obj): string[] {
  const hosts: string[] = [];
  for (const e of arr(cluster, 'load_assignment', 'endpoints')) {
    for (const lb of arr(e, 'lb_endpoints')) {
      const host = str(lb, 'endpoint', 'address', 'socket_address', 'address');
      if (host) hosts.push(host);
    }
  }
  return hosts;
}

/** Envoy Gateway sets 32 KiB on every cluster and listener: under Envoy Gateway that value is its default. */
export function flavoredBufferLimit(limit: Sourced<number>, flavor: Flavor): Sourced<number> {
  if (flavor === 'envoy-gateway' && limit.source === 'explicit' && limit.value === ENVOY_GATEWAY_DEFAULT_BUFFER_LIMIT) {
    return { value: limit.value, source: 'envoy-gateway-default' };
  }
  return limit;
}
