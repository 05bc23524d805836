// Envoy's defaults for the settings the model reads, when a dump leaves them unset.
// Defaults: api/envoy/config/cluster/v3/cluster.proto, listener/v3/listener.proto, route/v3/route_components.proto,
// extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto.

import type { Sourced } from '../model/snapshot.ts';

/** Envoy's default `per_connection_buffer_limit_bytes` for clusters and listeners (1 MiB). */
const ENVOY_DEFAULT_BUFFER_LIMIT = 1_048_576;
/** The value Envoy Gateway writes on every cluster and listener unless a policy sets `connection.bufferLimit`. */
export const ENVOY_GATEWAY_DEFAULT_BUFFER_LIMIT = 32_768;
/** Envoy's default route timeout (docs/root/faq/configuration/timeouts.rst). */
export const ENVOY_DEFAULT_ROUTE_TIMEOUT_MS = 15_000;
/** Envoy's default HTTP connection manager stream idle timeout. */
export const ENVOY_DEFAULT_STREAM_IDLE_TIMEOUT_MS = 300_000;
/** Envoy's default tcp_proxy idle timeout. */
export const ENVOY_DEFAULT_TCP_PROXY_IDLE_TIMEOUT_MS = 3_600_000;

/** A buffer limit as a dump sets it, or Envoy's default when it is unset. */
export function sourcedBufferLimit(value: number | undefined): Sourced<number> {
  return value === undefined ? { value: ENVOY_DEFAULT_BUFFER_LIMIT, source: 'envoy-default' } : { value, source: 'explicit' };
}
