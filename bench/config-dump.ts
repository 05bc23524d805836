// Writes the mesh as Envoy's snake_case `/config_dump?include_eds` JSON (api/envoy/admin/v3/config_dump*.proto):
// Bootstrap, Clusters, Listeners, ScopedRoutes, Routes, Secrets and Endpoints dumps, shaped like Envoy Gateway's
// output (envoyproxy/gateway internal/xds/translator; see shared corpus envoy-gateway/*.json). Endpoints are
// padded so the file reaches a target size, as a large `include_eds` dump would. The resources are made in
// xds-resources.ts, the bootstrap in config-bootstrap.ts.

import { type Bootstrap, bootstrap } from './config-bootstrap.ts';
import type { Mesh, MeshCluster } from './mesh.ts';
import { Random } from './random.ts';
import { FileSink, PrettyJsonWriter } from './writer.ts';
import { clusterResource, listenerResource, loadAssignment, loadAssignmentBytes, routeConfiguration, T, UPDATED } from './xds-resources.ts';

/** What was written. */
export interface ConfigDumpInfo {
  bytes: number;
  clusters: number;
  listeners: number;
  routeConfigs: number;
  endpoints: number;
}

/** The ClustersConfigDump: the bootstrap's static clusters, then the mesh's. */
function writeClustersDump(out: PrettyJsonWriter, mesh: Mesh, boot: Bootstrap, version: () => string): void {
  out.beginObject();
  out.value(`${T}/envoy.admin.v3.ClustersConfigDump`, '@type');
  out.value(version(), 'version_info');
  out.beginArray('static_clusters');
  for (const cluster of boot.static_resources.clusters) out.value({ cluster, last_updated: UPDATED });
  out.end();
  out.beginArray('dynamic_active_clusters');
  for (const c of mesh.clusters) out.value({ version_info: version(), cluster: clusterResource(c), last_updated: UPDATED });
  out.end();
  out.end();
}

/** The ListenersConfigDump: the bootstrap's static listeners, then the mesh's, all active. */
function writeListenersDump(out: PrettyJsonWriter, mesh: Mesh, boot: Bootstrap, version: () => string): void {
  out.beginObject();
  out.value(`${T}/envoy.admin.v3.ListenersConfigDump`, '@type');
  out.value(version(), 'version_info');
  out.beginArray('static_listeners');
  for (const listener of boot.static_resources.listeners) out.value({ listener, last_updated: UPDATED });
  out.end();
  out.beginArray('dynamic_listeners');
  for (const l of mesh.listeners) {
    out.value({ name: l.name, active_state: { version_info: version(), listener: listenerResource(l), last_updated: UPDATED } });
  }
  out.end();
  out.end();
}

/** The RoutesConfigDump: one route configuration per listener. */
function writeRoutesDump(out: PrettyJsonWriter, mesh: Mesh, version: () => string): void {
  out.beginObject();
  out.value(`${T}/envoy.admin.v3.RoutesConfigDump`, '@type');
  out.beginArray('dynamic_route_configs');
  for (const l of mesh.listeners) out.value({ version_info: version(), route_config: routeConfiguration(l), last_updated: UPDATED });
  out.end();
  out.end();
}

/** The SecretsConfigDump: one TLS certificate per Gateway; Envoy prints the chain and redacts the key. */
function writeSecretsDump(out: PrettyJsonWriter, mesh: Mesh, rng: Random, version: () => string): void {
  out.beginObject();
  out.value(`${T}/envoy.admin.v3.SecretsConfigDump`, '@type');
  out.beginArray('dynamic_active_secrets');
  for (const gateway of new Set(mesh.listeners.filter((l) => l.tls).map((l) => `${l.gatewayNamespace}/${l.gateway}-tls`))) {
    out.value({
      name: gateway,
      version_info: version(),
      last_updated: UPDATED,
      secret: {
        '@type': `${T}/envoy.extensions.transport_sockets.tls.v3.Secret`,
        name: gateway,
        tls_certificate: { certificate_chain: { inline_bytes: rng.base64(1300) }, private_key: { inline_bytes: 'W3JlZGFjdGVkXQ==' } },
      },
    });
  }
  out.end();
  out.end();
}

/** The EndpointsConfigDump, its per-cluster endpoint counts scaled so the whole file lands near `targetBytes`; returns the endpoints written. */
function writeEndpointsDump(out: PrettyJsonWriter, mesh: Mesh, rng: Random, targetBytes: number): number {
  const closing = 40;
  const fixed = mesh.clusters.reduce((sum, c) => sum + loadAssignmentBytes(c, 0), 0);
  const perEndpoint = loadAssignmentBytes(mesh.clusters[0] as MeshCluster, 2) - loadAssignmentBytes(mesh.clusters[0] as MeshCluster, 1);
  const weights = mesh.clusters.reduce((sum, c) => sum + c.endpointWeight, 0);
  const budget = targetBytes - out.written - fixed - closing;
  const scale = Math.max(0, budget / perEndpoint / weights);
  let endpoints = 0;
  out.beginObject();
  out.value(`${T}/envoy.admin.v3.EndpointsConfigDump`, '@type');
  out.beginArray('dynamic_endpoint_configs');
  mesh.clusters.forEach((c, i) => {
    const count = Math.max(1, Math.round(scale * c.endpointWeight));
    endpoints += count;
    out.value({ endpoint_config: loadAssignment(rng, c, i, count), last_updated: UPDATED });
  });
  out.end();
  out.end();
  return endpoints;
}

/** Writes the dump to `path`, adding endpoints until it is about `targetBytes` long. */
export function writeConfigDump(mesh: Mesh, path: string, targetBytes: number): ConfigDumpInfo {
  const rng = new Random(mesh.spec.seed ^ 0xc0f1);
  const sink = new FileSink(path);
  const out = new PrettyJsonWriter(sink, 1);
  const version = (): string => rng.hex(64);

  out.beginObject();
  out.beginArray('configs');
  const boot = bootstrap(rng);
  out.value({ '@type': `${T}/envoy.admin.v3.BootstrapConfigDump`, bootstrap: boot, last_updated: UPDATED });
  writeClustersDump(out, mesh, boot, version);
  writeListenersDump(out, mesh, boot, version);
  out.value({ '@type': `${T}/envoy.admin.v3.ScopedRoutesConfigDump` });
  writeRoutesDump(out, mesh, version);
  writeSecretsDump(out, mesh, rng, version);
  const endpoints = writeEndpointsDump(out, mesh, rng, targetBytes);
  out.end();
  out.end();
  out.finish();
  sink.close();
  return {
    bytes: sink.written,
    clusters: mesh.clusters.length + boot.static_resources.clusters.length,
    listeners: mesh.listeners.length + boot.static_resources.listeners.length,
    routeConfigs: mesh.listeners.length,
    endpoints,
  };
}
