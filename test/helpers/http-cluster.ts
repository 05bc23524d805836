// A plain-Envoy cluster with HttpProtocolOptions (HTTP/1.1 upstream, as Envoy Gateway and Istio write it) and,
// optionally, an upstream connection idle timeout: the lab's cluster of lab/scenarios/upstream-keepalive-race.ts.

const HPO = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** The cluster, with `common_http_protocol_options.idle_timeout` when one is given. */
export function httpCluster(name: string, idleTimeout?: string): object {
  return {
    name,
    type: 'STATIC',
    typed_extension_protocol_options: {
      [HPO]: {
        '@type': `type.googleapis.com/${HPO}`,
        explicit_http_config: { http_protocol_options: {} },
        ...(idleTimeout ? { common_http_protocol_options: { idle_timeout: idleTimeout } } : {}),
      },
    },
  };
}
