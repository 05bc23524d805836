// Envoy Gateway's own translator in the lab: `egctl x translate` turns Gateway API objects and Envoy Gateway
// policies into the xDS Envoy Gateway would serve, and that xDS becomes a bootstrap for the lab's Envoy (EDS
// endpoints pointed at the lab's backend, RDS inlined, every address on 127.0.0.1 with a port the OS chooses).
// egctl is built from the Go module proxy at a tagged release into .lab/egctl/ when Go is there.

import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { Bootstrap } from './envoy.ts';
import type { ScenarioContext } from './scenario.ts';
import { run } from './processes.ts';
import { LAB_DIR } from './setup.ts';

/** The Envoy Gateway release whose egctl translates. */
export const ENVOY_GATEWAY_VERSION = 'v1.9.1';
const EGCTL = join(LAB_DIR, 'egctl', ENVOY_GATEWAY_VERSION, 'egctl');

type Obj = Record<string, any>;

/** Builds egctl when missing; returns its path, or why it cannot be had. */
export async function ensureEgctl(log: (line: string) => void): Promise<{ egctl?: string; why?: string }> {
  if (existsSync(EGCTL)) return { egctl: EGCTL };
  const go = await run('sh', ['-c', 'command -v go'], 10_000);
  if (go.code !== 0) return { why: 'Go is not installed, so egctl cannot be built' };
  log(`building egctl ${ENVOY_GATEWAY_VERSION} (go install github.com/envoyproxy/gateway/cmd/egctl@${ENVOY_GATEWAY_VERSION}) into ${EGCTL}`);
  mkdirSync(join(LAB_DIR, 'egctl', ENVOY_GATEWAY_VERSION), { recursive: true });
  const built = await run('go', ['install', `github.com/envoyproxy/gateway/cmd/egctl@${ENVOY_GATEWAY_VERSION}`], 3_000_000, {
    env: { ...process.env, GOBIN: join(LAB_DIR, 'egctl', ENVOY_GATEWAY_VERSION), CGO_ENABLED: '0' },
  });
  if (built.code !== 0 || !existsSync(EGCTL))
    return { why: `go install of egctl ${ENVOY_GATEWAY_VERSION} failed: ${built.stderr.trim().split('\n').slice(-2).join(' ')}` };
  return { egctl: EGCTL };
}

/**
 * A GatewayClass `eg` and a Gateway `home/eg` with one HTTP listener `http` on port 8080, TCP keepalive on its
 * connections (a Gateway-level ClientTrafficPolicy), as YAML documents a scenario's objects start with.
 */
export const HOME_GATEWAY_YAML = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: eg}
spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: eg, namespace: home}
spec:
  gatewayClassName: eg
  listeners: [{name: http, protocol: HTTP, port: 8080}]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata: {name: eg-keepalive, namespace: home}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: eg}]
  tcpKeepalive: {probes: 3, idleTime: 60s, interval: 20s}
`;

/** The egctl a scenario translates with; throws when the lab could not build it. */
export function egctlOf(ctx: ScenarioContext): string {
  if (!ctx.egctl) throw new Error('egctl is needed for this scenario');
  return ctx.egctl;
}

/** Kubernetes objects as YAML documents, one object per document. */
export function objectsOf(yaml: string): Obj[] {
  return parseAllDocuments(yaml)
    .map((d) => d.toJSON() as Obj)
    .filter((o) => o && typeof o === 'object');
}

const keyOf = (o: Obj) => `${o.kind}|${o.metadata?.namespace ?? ''}|${o.metadata?.name}`;

/** The objects with each of `changes` added, or put in place of the object of the same kind, namespace and name. */
export function withObjects(objects: Obj[], changes: Obj[]): Obj[] {
  const out = new Map(objects.map((o) => [keyOf(o), o]));
  for (const c of changes) out.set(keyOf(c), c);
  return [...out.values()];
}

/** RFC 7386 JSON merge patch: objects merge, null removes, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Obj = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Obj) } : {};
  for (const [k, v] of Object.entries(patch as Obj)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** A printed Envoy Gateway fix as an operator applies it: `kubectl apply` of its objects, or `kubectl patch --type merge` of the object it names. */
export interface PrintedGatewayFix {
  target: string;
  apply?: string;
  text: string;
}

/** The objects after the printed fixes: applied objects replace or join them, merge patches change the object they name. */
export function applyPrinted(objects: Obj[], fixes: PrintedGatewayFix[]): Obj[] {
  let out = objects;
  for (const f of fixes) {
    if (f.apply === 'kubectl-patch') {
      const m = /^(\S+) ([^/]+)\/(.+)$/.exec(f.target);
      const live = m ? out.find((o) => o.kind === m[1] && (o.metadata?.namespace ?? '') === m[2] && o.metadata?.name === m[3]) : undefined;
      if (!live) throw new Error(`the patch's object is not among the lab's: ${f.target}`);
      out = withObjects(out, [mergePatch(live, objectsOf(f.text)[0]) as Obj]);
    } else out = withObjects(out, objectsOf(f.text));
  }
  return out;
}

/** Translates Gateway API objects with egctl and makes the xDS of gateway `namespace/name` a bootstrap for the lab. */
export async function translate(egctl: string, objects: Obj[], gateway: string, backendPort: number): Promise<Bootstrap> {
  const dir = mkdtempSync(join(tmpdir(), 'envoy-doctor-lab-egctl-'));
  const file = join(dir, 'objects.yaml');
  writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
  const r = await run(egctl, ['x', 'translate', '--from', 'gateway-api', '--to', 'xds', '-t', 'all', '-o', 'json', '-f', file], 120_000);
  if (r.code !== 0) throw new Error(`egctl x translate failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
  const configs = (JSON.parse(r.stdout) as { xds?: Record<string, { configs: Obj[] }> }).xds?.[gateway]?.configs;
  if (!configs) throw new Error(`egctl x translate gave no xDS for gateway ${gateway}: ${r.stdout.slice(0, 300)}`);
  return bootstrapFromXds(configs, backendPort);
}

/** The xDS of one gateway (egctl's config dump shape) as a bootstrap of static resources. */
export function bootstrapFromXds(configs: Obj[], backendPort: number): Bootstrap {
  const of = (type: string) => configs.find((c) => String(c['@type']).endsWith(type)) ?? {};
  const routes = new Map<string, Obj>(((of('RoutesConfigDump').dynamicRouteConfigs ?? []) as Obj[]).map((r) => [r.routeConfig.name, strip(r.routeConfig)]));
  const clusters = ((of('ClustersConfigDump').dynamicActiveClusters ?? []) as Obj[]).map((c) => {
    const { edsClusterConfig: _eds, ...cluster } = strip(c.cluster);
    return {
      ...cluster,
      type: 'STATIC',
      loadAssignment: {
        clusterName: cluster.name,
        endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: backendPort } } } }] }],
      },
    };
  });
  const listeners = ((of('ListenersConfigDump').dynamicListeners ?? []) as Obj[]).map((l) => {
    const listener = strip(l.activeState.listener);
    listener.address = { socketAddress: { address: '127.0.0.1', portValue: 0 } };
    for (const chain of [...(listener.filterChains ?? []), ...(listener.defaultFilterChain ? [listener.defaultFilterChain] : [])]) {
      for (const f of chain.filters ?? []) {
        const hcm = f.typedConfig;
        if (hcm?.rds) {
          const rc = routes.get(hcm.rds.routeConfigName);
          if (!rc) throw new Error(`no route configuration ${hcm.rds.routeConfigName} in egctl's xDS`);
          delete hcm.rds;
          hcm.routeConfig = rc;
        }
      }
    }
    return listener;
  });
  return {
    node: { id: 'envoy-gateway-lab', cluster: 'envoy-gateway-lab' },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
    static_resources: { listeners, clusters },
  };
}

/** A resource of the dump without its `@type` (refused in a bootstrap), its /dev/stdout access logs made stdout ones. */
function strip(o: Obj): Obj {
  const { '@type': _type, ...rest } = o;
  return toStdoutLogs(structuredClone(rest)) as Obj;
}

const FILE_LOG = 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog';
const STDOUT_LOG = 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog';

/**
 * Envoy Gateway logs to the file /dev/stdout, which Envoy cannot open when its standard output is a socket (as a
 * child process's is): the same format through the stdout logger (extensions/access_loggers/stream/v3).
 */
function toStdoutLogs(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toStdoutLogs);
  if (!v || typeof v !== 'object') return v;
  const o = v as Obj;
  if (o.typedConfig?.['@type'] === FILE_LOG && o.typedConfig.path === '/dev/stdout') {
    const { path: _path, '@type': _t, ...format } = o.typedConfig;
    return { ...o, name: 'envoy.access_loggers.stdout', typedConfig: { '@type': STDOUT_LOG, ...format } };
  }
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, toStdoutLogs(x)]));
}
