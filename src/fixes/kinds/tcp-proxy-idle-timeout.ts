// tcp-proxy-idle-timeout: the TCP proxy's `idle_timeout` on a listener's filter chains with that stat prefix
// (api/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto; 0 disables it); Envoy Gateway
// ClientTrafficPolicy `timeout.tcp.idleTimeout`; Istio: an EnvoyFilter NETWORK_FILTER MERGE of the TCP proxy.

import { protoDuration } from '../changes.ts';
import { type FixKind, listenerTarget } from '../fix-kind.ts';
import { tcpProxyPatch } from '../istio-envoy-filter.ts';
import { crdDuration } from '../quantity.ts';

declare module '../../model/fix-change.ts' {
  interface FixChangeKinds {
    /** The TCP proxy's `idle_timeout` on a listener's filter chains with that stat prefix (0 disables it). */
    'tcp-proxy-idle-timeout': { listener: string; statPrefix: string; ms: number };
  }
}

/** A TCP proxy's idle timeout, rendered for every flavor. */
export const fixKind: FixKind<'tcp-proxy-idle-timeout'> = {
  kind: 'tcp-proxy-idle-timeout',
  target: listenerTarget,
  envoy: (_s, c) => ({
    lands: 'resource',
    tcpProxy: { statPrefix: c.statPrefix, fields: { idle_timeout: protoDuration(c.ms) } },
    merge: (e) => {
      for (const { config } of e.tcpProxies()) if (e.sp.get(config, 'stat_prefix') === c.statPrefix) e.sp.set(config, 'idle_timeout', protoDuration(c.ms));
    },
  }),
  envoyGateway: (_s, c) => ({ lands: 'traffic-policy', spec: { timeout: { tcp: { idleTimeout: crdDuration(c.ms) } } } }),
  istio: (s, c) => ({ lands: 'traffic', envoyFilterPatch: tcpProxyPatch(s, c.listener, { idle_timeout: protoDuration(c.ms) }) }),
};
