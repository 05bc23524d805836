// What each flavor-independent change touches: a cluster, a route or a listener. Renderers group changes by it.

import type { FixChange } from '../model/finding.ts';

/** The Envoy resource a change applies to. */
export type ChangeTarget = { kind: 'cluster'; name: string } | { kind: 'route'; name: string } | { kind: 'listener'; name: string } | { kind: 'policy' } | { kind: 'proxy' };

/** Where a change lands in Envoy's configuration. */
export function changeTarget(c: FixChange): ChangeTarget {
  switch (c.kind) {
    case 'cluster-buffer-limit':
    case 'cluster-tcp-keepalive':
    case 'cluster-max-connection-duration':
    case 'cluster-max-stream-duration':
    case 'cluster-circuit-breakers':
    case 'cluster-client-protocol':
      return { kind: 'cluster', name: c.cluster };
    case 'route-timeout':
    case 'route-idle-timeout':
    case 'route-max-stream-duration':
    case 'route-websocket-upgrade':
    case 'route-disable-request-buffer':
      return { kind: 'route', name: c.route };
    case 'listener-buffer-limit':
    case 'listener-tcp-keepalive':
    case 'listener-stream-idle-timeout':
    case 'listener-max-stream-duration':
    case 'listener-allow-connect':
    case 'tcp-proxy-idle-timeout':
    case 'proxy-drain-time':
      return { kind: 'listener', name: c.listener };
    case 'policy-fields':
      return { kind: 'policy' };
    case 'stats-inclusion':
      return { kind: 'proxy' };
  }
}

/** Deep-merges plain objects (later values win; arrays are replaced). */
export function deepMerge(into: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(patch)) {
    const cur = into[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur)) {
      into[k] = deepMerge({ ...(cur as Record<string, unknown>) }, v as Record<string, unknown>);
    } else into[k] = v;
  }
  return into;
}

/** A duration as Envoy's proto JSON writes it: `300s`, `0.5s`. */
export function protoDuration(ms: number): string {
  return `${ms / 1000}s`;
}
