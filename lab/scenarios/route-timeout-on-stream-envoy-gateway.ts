// route-timeout-on-stream through Envoy Gateway's own translator: an HTTPRoute to the server-sent events and a
// GRPCRoute to the gRPC server streams, each with a BackendTrafficPolicy whose `timeout.http.requestTimeout` (1 s here)
// Envoy Gateway renders as the route `timeout` (internal/xds/translator/route.go getEffectiveRequestTimeout; with
// neither that nor the HTTPRoute's `timeouts.request`, Envoy's 15 s default applies), translated by
// `egctl x translate`. The fix proven is the Envoy Gateway one envoy-doctor prints, translated again. Both twins carry
// TCP keepalive on both sides, so only the timeout is wrong; the twin's policies set `requestTimeout: 0s`.

import { applyPrinted, egctlOf, HOME_GATEWAY_YAML, objectsOf, translate } from '../envoy-gateway.ts';
import type { Bootstrap } from '../envoy.ts';
import { diagnoseLive } from '../doctor.ts';
import type { Scenario, ScenarioContext, StartEnvoy } from '../scenario.ts';
import { driveStreams, grpc } from './route-timeout-on-stream.ts';

type Obj = Record<string, any>;

const GATEWAY = 'home/eg';
const SSE_CLUSTER = 'httproute/home/events/rule/0';
const GRPC_CLUSTER = 'grpcroute/home/ticker/rule/0';
const TARGETS = { listener: 'home/eg/http', sseCluster: SSE_CLUSTER, grpcCluster: GRPC_CLUSTER, statPrefix: 'http-8080' };

/** A route's BackendTrafficPolicy: TCP keepalive and the request timeout. */
const policy = (kind: string, name: string, timeout: string) => `
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: ${name}, namespace: home}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: ${kind}, name: ${name}}]
  tcpKeepalive: {probes: 3, idleTime: 60s, interval: 20s}
  timeout: {http: {requestTimeout: ${timeout}}}
`;

/** The Gateway API objects, the routes' policies with `timeout` as their request timeout, the HTTPRoute rule's own when given. */
function objects(timeout: string, ruleTimeout?: string): Obj[] {
  return objectsOf(`${HOME_GATEWAY_YAML}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: events, namespace: home}
spec:
  parentRefs: [{name: eg}]
  rules: [{matches: [{path: {type: PathPrefix, value: /sse}}], backendRefs: [{name: events, port: 8080}]${ruleTimeout ? `, timeouts: {request: ${ruleTimeout}}` : ''}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: ticker, namespace: home}
spec:
  parentRefs: [{name: eg}]
  rules: [{matches: [{method: {service: lab.Ticker}}], backendRefs: [{name: ticker, port: 9000}]}]
---
apiVersion: v1
kind: Service
metadata: {name: events, namespace: home}
spec:
  clusterIP: 10.96.0.10
  ports: [{port: 8080, targetPort: 8080, protocol: TCP}]
---
apiVersion: v1
kind: Service
metadata: {name: ticker, namespace: home}
spec:
  clusterIP: 10.96.0.11
  ports: [{port: 9000, targetPort: 9000, protocol: TCP}]
---
${policy('HTTPRoute', 'events', timeout)}
---
${policy('GRPCRoute', 'ticker', timeout)}
`);
}

/** The translated bootstrap, the GRPCRoute's cluster pointed at the lab's gRPC server (the rest at the aiohttp backend). */
async function bootstrapOf(ctx: ScenarioContext, objs: Obj[]): Promise<Bootstrap> {
  const b = await translate(egctlOf(ctx), objs, GATEWAY, ctx.backend.httpPort);
  const port = (await grpc()).port;
  const clusters = (b.static_resources as Obj).clusters as Obj[];
  for (const c of clusters.filter((x) => x.name === GRPC_CLUSTER)) c.loadAssignment.endpoints[0].lbEndpoints[0].endpoint.address.socketAddress.portValue = port;
  return b;
}

export const routeTimeoutOnStreamEnvoyGateway: Scenario = {
  rootCause: 'route-timeout-on-stream',
  name: 'route-timeout-on-stream-envoy-gateway',
  needsEgctl: true,
  entities: [`route ${SSE_CLUSTER}/match/0/*`, `cluster ${SSE_CLUSTER}`, `route ${GRPC_CLUSTER}/match/0/*`, `cluster ${GRPC_CLUSTER}`],
  fixFlavor: 'envoy-gateway',
  failing: (ctx) => bootstrapOf(ctx, objects('1s')),
  healthy: (ctx) => bootstrapOf(ctx, objects('0s')),
  applyFix: (ctx, fixes) => bootstrapOf(ctx, applyPrinted(objects('1s'), fixes)),
  intervalSeconds: 1,
  drive: (_ctx, envoy) => driveStreams(envoy, TARGETS),
  questions: {
    /**
     * The HTTPRoute rule's `timeouts.request` (1 s) beside a policy that sets `requestTimeout: 0s`: which one Envoy
     * Gateway renders, what envoy-doctor prints from the admin API alone, and whether that ends the cuts.
     */
    async httpRouteTimeoutWins(ctx, start: StartEnvoy) {
      const failing = objects('0s', '1s');
      const run = async (objs: Obj[]) => {
        const envoy = await start(await bootstrapOf(ctx, objs));
        const o = await driveStreams(envoy, TARGETS);
        const report = await diagnoseLive(envoy.admin, 1);
        o.release?.();
        await envoy.stop();
        return { sseCut: o.measured.sseCut, grpcCut: o.measured.grpcCut, report };
      };
      const before = await run(failing);
      const fixes = before.report.rootCauses.find((r) => r.id === 'route-timeout-on-stream')?.fixes.filter((f) => f.flavor === 'envoy-gateway') ?? [];
      const after = fixes.length > 0 ? await run(applyPrinted(failing, fixes)) : undefined;
      // What the printed note says to do when the rule sets timeouts.request: that rule's own timeout to 0s.
      const notes = fixes.flatMap((f) => ((f as { notes?: Array<{ code: string }> }).notes ?? []).map((n) => n.code));
      const byNote = notes.includes('httproute-timeout-may-win') ? await run(objects('0s', '0s')) : undefined;
      return {
        sseCutBefore: before.sseCut,
        grpcCutBefore: before.grpcCut,
        named: before.report.rootCauses.map((r) => r.id).join(', ') || 'none',
        printed: fixes.map((f) => `${f.target} (${f.apply})`).join(', '),
        notes: [...new Set(notes)].join(', '),
        sseCutAfterPrintedFix: after?.sseCut ?? null,
        namedAfterPrintedFix: after ? after.report.rootCauses.map((r) => r.id).join(', ') || 'none' : null,
        sseCutAfterNotedRuleTimeout: byNote?.sseCut ?? null,
        namedAfterNotedRuleTimeout: byNote ? byNote.report.rootCauses.map((r) => r.id).join(', ') || 'none' : null,
      };
    },
  },
};
