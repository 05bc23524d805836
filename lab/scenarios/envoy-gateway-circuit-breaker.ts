// circuit-breaker-saturation through Envoy Gateway's own translator: a Gateway, an HTTPRoute to the lab's backend and
// a route-level BackendTrafficPolicy whose circuitBreaker (maxConnections 2, maxParallelRequests 2,
// maxPendingRequests 1) WebSockets saturate, translated by `egctl x translate` (Envoy Gateway
// internal/xds/translator/cluster.go renders circuitBreaker as the cluster's circuit_breakers.thresholds). The fix
// proven is the Envoy Gateway one envoy-doctor prints: its objects replace or join the input and are translated
// again. Both twins carry TCP keepalive on both sides (BackendTrafficPolicy and ClientTrafficPolicy tcpKeepalive),
// so only the breakers are wrong.

import { applyPrinted, egctlOf, HOME_GATEWAY_YAML, objectsOf, translate } from '../envoy-gateway.ts';
import type { Scenario } from '../scenario.ts';
import { driveBreakers } from './circuit-breaker-saturation.ts';

const GATEWAY = 'home/eg';
const LISTENER = 'home/eg/http';
const CLUSTER = 'httproute/home/home-assistant-app/rule/0';

/** The Gateway API objects, the route's policy with or without its small circuit breakers. */
function objects(limited: boolean): ReturnType<typeof objectsOf> {
  return objectsOf(`${HOME_GATEWAY_YAML}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: home-assistant-app, namespace: home}
spec:
  parentRefs: [{name: eg}]
  rules: [{backendRefs: [{name: home-assistant, port: 8123}]}]
---
apiVersion: v1
kind: Service
metadata: {name: home-assistant, namespace: home}
spec:
  clusterIP: 10.96.0.10
  ports: [{port: 8123, targetPort: 8123, protocol: TCP}]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: home-assistant-app, namespace: home}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: home-assistant-app}]
  tcpKeepalive: {probes: 3, idleTime: 60s, interval: 20s}
  timeout: {http: {requestTimeout: 0s}}
${limited ? '  circuitBreaker: {maxConnections: 2, maxPendingRequests: 1, maxParallelRequests: 2}' : ''}
`);
}

export const envoyGatewayCircuitBreaker: Scenario = {
  rootCause: 'circuit-breaker-saturation',
  name: 'circuit-breaker-saturation-envoy-gateway',
  needsEgctl: true,
  entities: [`cluster ${CLUSTER}`],
  fixFlavor: 'envoy-gateway',
  failing: (ctx) => translate(egctlOf(ctx), objects(true), GATEWAY, ctx.backend.httpPort),
  healthy: (ctx) => translate(egctlOf(ctx), objects(false), GATEWAY, ctx.backend.httpPort),
  applyFix: (ctx, fixes) => translate(egctlOf(ctx), applyPrinted(objects(true), fixes), GATEWAY, ctx.backend.httpPort),
  intervalSeconds: 1,
  drive: (_ctx, envoy) => driveBreakers(envoy, LISTENER, CLUSTER),
};
