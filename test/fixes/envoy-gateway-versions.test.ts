// Every Envoy Gateway field a fix sets respects the detected release (src/fixes/versions.ts): a field is never
// rendered for a release whose CRD lacks it (the change is left out and the fix says so, or the field every release
// reads is used instead), and where the release is unknown the fix states the minimum it needs. Each gated field is a
// row of one table, checked just below its release, at it, and with the release unknown; and every field any fix kind
// renders is either gated or declared by every release from v1.0.0.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { envoyGatewayRenderer } from '../../src/fixes/envoy-gateway.ts';
import { envoyProxyObjects } from '../../src/fixes/envoy-proxy-object.ts';
import { FIX_KINDS } from '../../src/fixes/kinds/index.ts';
import { ENVOY_GATEWAY_SINCE, type GatedFeature, gatedFields } from '../../src/fixes/versions.ts';
import { envoyGatewayVersion, imageRelease } from '../../src/model/envoy-gateway-version.ts';
import { compareVersions } from '../../src/model/envoy-version.ts';
import type { Explanation, FixChange, RenderedFix } from '../../src/model/finding.ts';
import type { KubeObject, KubernetesObjects } from '../../src/model/kubernetes.ts';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { problems } from '../helpers/crd.ts';
import { fixture, gatewayCluster, gatewayListener, routeConfig } from '../helpers/snapshot.ts';

type Obj = Record<string, unknown>;
const C = 'httproute/home/app/rule/0';
const R = `${C}/match/0`;
const L = 'home/eg/https';
const GATEWAY = { kind: 'Gateway', namespace: 'home', name: 'eg' };

/** A Gateway proxy; the objects read (none when `k` is undefined) name the release when `version` is given. */
function snapshot(version: string | undefined, k: Partial<KubernetesObjects> = {}): Snapshot {
  const s = fixture({
    bootstrap: { node: { cluster: 'home/eg' } },
    clusters: [gatewayCluster(C)],
    listeners: [gatewayListener()],
    routeConfigs: [routeConfig(L, [C])],
  });
  s.kubernetes = {
    gateways: [],
    httpRoutes: [],
    backendTrafficPolicies: [],
    clientTrafficPolicies: [],
    envoyProxies: [],
    unavailable: [],
    ...k,
    ...(version ? { envoyGatewayVersion: version } : {}),
  };
  return s;
}

/** The GatewayClass `eg` referencing an EnvoyProxy, and the Gateway of that class. */
const CLASS_PROXY: Partial<KubernetesObjects> = {
  gateways: [{ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'eg', namespace: 'home' }, spec: { gatewayClassName: 'eg' } }],
  gatewayClasses: [
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: 'eg' },
      spec: { parametersRef: { group: 'gateway.envoyproxy.io', kind: 'EnvoyProxy', name: 'defaults', namespace: 'envoy-gateway-system' } },
    },
  ],
  envoyProxies: [
    {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'EnvoyProxy',
      metadata: { name: 'defaults', namespace: 'envoy-gateway-system' },
      spec: { logging: { level: { default: 'warn' } } },
    } as KubeObject,
  ],
};

const viaRenderer = (changes: FixChange[], k?: Partial<KubernetesObjects>) => (version: string | undefined) =>
  envoyGatewayRenderer.render(snapshot(version, k), changes).map((r) => r.fix);
/** An EnvoyProxy field no registered kind sets on its own: rendered from a patch of that field. */
const viaProxyPatch = (spec: Obj) => (version: string | undefined) => {
  const s = snapshot(version);
  return envoyProxyObjects(s, [{ gateway: GATEWAY, spec, notes: [], changes: [] }], envoyGatewayVersion(s)).map((r) => r.fix);
};

interface Row {
  feature: GatedFeature;
  render: (version: string | undefined) => RenderedFix[];
  /** The object kind the field is in. */
  object: string;
  /** Whether the rendered spec carries the field. */
  has: (spec: Obj) => boolean;
  /** What a release without it gets instead of a left-out note: the field every release reads, or nothing. */
  instead?: (spec: Obj | undefined, codes: string[]) => boolean;
  /** With the release unknown the field is rendered (with the minimum stated); false where a safer form is used. */
  unknownRenders?: false;
  /** The object holds nothing else, so a release without the field gets no object at all (and no note). */
  alone?: true;
}

const at = (o: Obj | undefined, path: string) => path.split('.').reduce<unknown>((cur, k) => (Array.isArray(cur) ? cur[0] : cur)?.[k as keyof typeof cur], o);
const set = (path: string) => (spec: Obj) => at(spec, path) !== undefined;

const ROWS: Row[] = [
  {
    feature: 'BackendTrafficPolicy.spec.targetRefs',
    render: viaRenderer([{ kind: 'cluster-circuit-breakers', cluster: C, maxConnections: 8, maxPendingRequests: 8, maxRequests: 8 }]),
    object: 'BackendTrafficPolicy',
    has: set('targetRefs'),
    instead: (spec) => at(spec, 'targetRef.kind') === 'HTTPRoute',
  },
  {
    feature: 'BackendTrafficPolicy.spec.connection.bufferLimit',
    render: viaRenderer([{ kind: 'cluster-buffer-limit', cluster: C, bytes: 1_048_576 }]),
    object: 'BackendTrafficPolicy',
    has: set('connection.bufferLimit'),
  },
  {
    feature: 'BackendTrafficPolicy.spec.useClientProtocol',
    render: viaRenderer([{ kind: 'cluster-client-protocol', cluster: C }]),
    object: 'BackendTrafficPolicy',
    has: set('useClientProtocol'),
  },
  {
    feature: 'BackendTrafficPolicy.spec.timeout.http.requestTimeout',
    render: viaRenderer([{ kind: 'route-timeout', route: R, ms: 0 }]),
    object: 'BackendTrafficPolicy',
    has: set('timeout.http.requestTimeout'),
  },
  {
    feature: 'BackendTrafficPolicy.spec.mergeType',
    render: viaRenderer([{ kind: 'cluster-circuit-breakers', cluster: C, maxConnections: 8, maxPendingRequests: 8, maxRequests: 8 }]),
    object: 'BackendTrafficPolicy',
    has: set('mergeType'),
    instead: (spec) => spec !== undefined && !('mergeType' in spec),
  },
  {
    feature: 'BackendTrafficPolicy.spec.httpUpgrade',
    render: viaRenderer([{ kind: 'route-websocket-upgrade', route: R }]),
    object: 'BackendTrafficPolicy',
    has: set('httpUpgrade'),
  },
  {
    feature: 'BackendTrafficPolicy.spec.timeout.http.maxStreamDuration',
    render: viaRenderer([{ kind: 'route-max-stream-duration', route: R, ms: 0 }]),
    object: 'BackendTrafficPolicy',
    has: set('timeout.http.maxStreamDuration'),
  },
  {
    feature: 'BackendTrafficPolicy.spec.timeout.http.streamIdleTimeout',
    render: viaRenderer([{ kind: 'route-idle-timeout', route: R, ms: 3_600_000 }]),
    object: 'BackendTrafficPolicy',
    has: set('timeout.http.streamIdleTimeout'),
  },
  {
    feature: 'ClientTrafficPolicy.spec.targetRefs',
    render: viaRenderer([{ kind: 'listener-tcp-keepalive', listener: L, probes: 3, timeSeconds: 60, intervalSeconds: 20 }]),
    object: 'ClientTrafficPolicy',
    has: set('targetRefs'),
    instead: (spec) => at(spec, 'targetRef.sectionName') === 'https',
  },
  {
    feature: 'ClientTrafficPolicy.spec.connection.bufferLimit',
    render: viaRenderer([{ kind: 'listener-buffer-limit', listener: L, bytes: 1_048_576 }]),
    object: 'ClientTrafficPolicy',
    has: set('connection.bufferLimit'),
  },
  {
    feature: 'ClientTrafficPolicy.spec.timeout.tcp.idleTimeout',
    render: viaRenderer([{ kind: 'tcp-proxy-idle-timeout', listener: L, statPrefix: 'tls-10444', ms: 3_600_000 }]),
    object: 'ClientTrafficPolicy',
    has: set('timeout.tcp.idleTimeout'),
  },
  {
    feature: 'ClientTrafficPolicy.spec.timeout.http.streamIdleTimeout',
    render: viaRenderer([{ kind: 'listener-stream-idle-timeout', listener: L, ms: 3_600_000 }]),
    object: 'ClientTrafficPolicy',
    has: set('timeout.http.streamIdleTimeout'),
  },
  {
    feature: 'ClientTrafficPolicy.spec.connection.connectionLimit.maxStreamDuration',
    render: viaRenderer([{ kind: 'listener-max-stream-duration', listener: L, ms: 86_400_000 }]),
    object: 'ClientTrafficPolicy',
    has: set('connection.connectionLimit.maxStreamDuration'),
  },
  {
    feature: 'EnvoyPatchPolicy.spec.jsonPatches.operation.jsonPath',
    render: viaRenderer([{ kind: 'listener-allow-connect', listener: L }]),
    object: 'EnvoyPatchPolicy',
    has: set('jsonPatches.operation.jsonPath'),
    alone: true,
  },
  {
    feature: 'EnvoyProxy.spec.provider.kubernetes.envoyDaemonSet',
    render: viaProxyPatch({ provider: { type: 'Kubernetes', kubernetes: { envoyDaemonSet: { container: { resources: { limits: { memory: '1Gi' } } } } } } }),
    object: 'EnvoyProxy',
    has: set('provider.kubernetes.envoyDaemonSet'),
    alone: true,
  },
  {
    feature: 'EnvoyProxy.spec.bootstrap.jsonPatches',
    render: viaProxyPatch({
      bootstrap: {
        type: 'JSONPatch',
        jsonPatches: [{ op: 'replace', path: '/overload_manager/resource_monitors/0/typed_config/max_active_downstream_connections', value: 5000 }],
      },
    }),
    object: 'EnvoyProxy',
    has: set('bootstrap.jsonPatches'),
    alone: true,
  },
  {
    feature: 'EnvoyProxy.spec.mergeType',
    render: viaRenderer([{ kind: 'proxy-drain-time', listener: L, seconds: 600 }], CLASS_PROXY),
    object: 'EnvoyProxy',
    has: set('mergeType'),
    // Without mergeType, the GatewayClass's fields are carried; where it may be pruned (unknown) too.
    instead: (spec, codes) => at(spec, 'logging.level.default') === 'warn' && codes.includes('envoyproxy-carries-gatewayclass-proxy'),
    unknownRenders: false,
  },
];

/** The release just below one: 1.8.0 -> 1.7.9. */
const below = (v: string) => {
  const [major, minor] = v.split('.').map(Number) as [number, number];
  return `${major}.${minor - 1}.9`;
};

function rendered(
  row: Row,
  version: string | undefined,
): { fix: RenderedFix | undefined; spec: Obj | undefined; codes: string[]; note: (code: string) => Explanation['values'] | undefined } {
  const fix = row.render(version).find((f) => f.target.startsWith(`${row.object} `));
  const spec = fix ? ((parse(fix.text) as Obj).spec as Obj) : undefined;
  return { fix, spec, codes: fix?.notes.map((n) => n.code) ?? [], note: (code) => fix?.notes.find((n) => n.code === code)?.values };
}

describe('Envoy Gateway fields by release', () => {
  it('the table has a row for every gated field', () => {
    const fields = (Object.keys(ENVOY_GATEWAY_SINCE) as GatedFeature[]).filter((f) => !f.includes(' '));
    assert.deepEqual(ROWS.map((r) => r.feature).sort(), fields.sort());
  });
  for (const row of ROWS) {
    const since = ENVOY_GATEWAY_SINCE[row.feature];
    it(`${row.feature}: left out below ${since}, rendered from it, and stated where the release is unknown`, () => {
      const old = rendered(row, below(since));
      if (row.instead) assert.ok(row.instead(old.spec, old.codes), `below ${since}: ${JSON.stringify(old.spec)}`);
      else if (row.alone) assert.equal(old.fix, undefined, `no ${row.object} below ${since}`);
      else {
        assert.ok(old.spec === undefined || !row.has(old.spec), `not rendered below ${since}`);
        const leftOut = row
          .render(below(since))
          .flatMap((f) => f.notes)
          .find((n) => n.code === 'envoy-gateway-field-left-out');
        assert.deepEqual(leftOut?.values, { field: row.feature, since, version: below(since) });
      }
      const now = rendered(row, since);
      assert.ok(now.spec && row.has(now.spec), `rendered at ${since}`);
      const minimum = now.note('envoy-gateway-minimum-version');
      assert.equal(minimum?.version, since);
      assert.ok(
        String(minimum?.fields).split(', ').includes(row.feature) || (compareVersions(String(minimum?.minimum), since) ?? 0) > 0,
        JSON.stringify(minimum),
      );
      assert.deepEqual(now.fix ? problems(now.fix) : ['no fix'], []);
      const unknown = rendered(row, undefined);
      if (row.unknownRenders === false) assert.ok(row.instead?.(unknown.spec, unknown.codes));
      else {
        assert.ok(unknown.spec && row.has(unknown.spec), 'rendered where the release is unknown');
        assert.equal(unknown.note('envoy-gateway-minimum-version')?.version, 'unknown');
        assert.ok((compareVersions(String(unknown.note('envoy-gateway-minimum-version')?.minimum), since) ?? -1) >= 0);
      }
    });
  }
});

/**
 * Fields the renderers set that every release declares (each checked against the v1.0.0 CRDs,
 * charts/gateway-helm/crds/generated/gateway.envoyproxy.io_*.yaml), by `<Kind>.spec.<path>` prefix. The content of an
 * EnvoyPatchPolicy operation's `value` is Envoy's own configuration.
 */
const EVERY_RELEASE = [
  'BackendTrafficPolicy.spec.circuitBreaker',
  'BackendTrafficPolicy.spec.tcpKeepalive',
  'BackendTrafficPolicy.spec.timeout.http.connectionIdleTimeout',
  'BackendTrafficPolicy.spec.timeout.http.maxConnectionDuration',
  'ClientTrafficPolicy.spec.tcpKeepalive',
  'EnvoyPatchPolicy.spec.targetRef',
  'EnvoyPatchPolicy.spec.type',
  'EnvoyPatchPolicy.spec.jsonPatches.type',
  'EnvoyPatchPolicy.spec.jsonPatches.name',
  'EnvoyPatchPolicy.spec.jsonPatches.operation.op',
  'EnvoyPatchPolicy.spec.jsonPatches.operation.path',
  'EnvoyPatchPolicy.spec.jsonPatches.operation.value',
  'EnvoyProxy.spec.shutdown.drainTimeout',
  'EnvoyProxy.spec.telemetry.metrics.matches',
  'EnvoyProxy.spec.provider.type',
  'EnvoyProxy.spec.provider.kubernetes.envoyDeployment.container.resources',
  'EnvoyProxy.spec.bootstrap.type',
];

/** A change of every kind that renders for Envoy Gateway on its own (policy-fields copies a live policy's own fields). */
const EXAMPLES: Record<string, Obj> = {
  'cluster-buffer-limit': { cluster: C, bytes: 1_048_576 },
  'cluster-circuit-breakers': { cluster: C, maxConnections: 8, maxPendingRequests: 8, maxRequests: 8 },
  'cluster-client-protocol': { cluster: C },
  'cluster-idle-timeout': { cluster: C, ms: 60_000 },
  'cluster-max-connection-duration': { cluster: C, ms: 3_600_000 },
  'cluster-max-stream-duration': { cluster: C, ms: 0 },
  'cluster-tcp-keepalive': { cluster: C, probes: 3, timeSeconds: 60, intervalSeconds: 20 },
  'listener-allow-connect': { listener: L },
  'listener-buffer-limit': { listener: L, bytes: 1_048_576 },
  'listener-max-stream-duration': { listener: L, ms: 86_400_000 },
  'listener-stream-idle-timeout': { listener: L, ms: 3_600_000 },
  'listener-tcp-keepalive': { listener: L, probes: 3, timeSeconds: 60, intervalSeconds: 20 },
  'overload-connection-limit': { listener: L, connections: 5000 },
  'overload-max-heap': { listener: L, bytes: 1_073_741_824 },
  'proxy-drain-time': { listener: L, seconds: 600 },
  'route-disable-request-buffer': { route: R },
  'route-idle-timeout': { route: R, ms: 3_600_000 },
  'route-max-stream-duration': { route: R, ms: 0 },
  'route-timeout': { route: R, ms: 0 },
  'route-websocket-upgrade': { route: R },
  'stats-inclusion': { prefixes: [`cluster.${C}.`] },
  'tcp-proxy-idle-timeout': { listener: L, statPrefix: 'tls-10444', ms: 3_600_000 },
};

/** The paths of a spec down to its leaves, array elements folded into their list (`jsonPatches.operation.op`). */
function leafPaths(value: unknown, at: string): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => leafPaths(v, at));
  if (value === null || typeof value !== 'object') return [at];
  return Object.entries(value as Obj).flatMap(([k, v]) => leafPaths(v, `${at}.${k}`));
}

describe('every Envoy Gateway field a fix kind renders is gated or declared by every release', () => {
  for (const k of FIX_KINDS.filter((x) => typeof x.envoyGateway === 'function' && x.kind !== 'policy-fields')) {
    it(k.kind, () => {
      const example = EXAMPLES[k.kind];
      assert.ok(example, `an example change of ${k.kind} in this table`);
      const fixes = envoyGatewayRenderer.render(snapshot(undefined), [{ kind: k.kind, ...example } as FixChange]).map((r) => r.fix);
      assert.ok(fixes.length > 0, `${k.kind} renders`);
      for (const fix of fixes) {
        const object = parse(fix.text) as Obj;
        const kind = String(object.kind ?? fix.target.split(' ')[0]);
        for (const path of leafPaths(object.spec, `${kind}.spec`)) {
          const gated = gatedFields(kind, object.spec as Obj).some((f) => path === f || path.startsWith(`${f}.`));
          assert.ok(
            gated || EVERY_RELEASE.some((p) => path === p || path.startsWith(`${p}.`)),
            `${k.kind}: ${path} is neither gated (src/fixes/versions.ts) nor declared by every release`,
          );
        }
      }
    });
  }
});

describe('the release, as detected', () => {
  const images: Array<[string, string | undefined]> = [
    ['docker.io/envoyproxy/gateway:v1.8.1', '1.8.1'],
    ['envoyproxy/gateway:1.9.0', '1.9.0'],
    ['registry.local:5000/envoyproxy/gateway:v1.7.3@sha256:0123abcd', '1.7.3'],
    ['registry.local:5000/envoyproxy/gateway', undefined],
    ['docker.io/envoyproxy/gateway-dev:latest', undefined],
  ];
  for (const [image, release] of images) it(`${image} -> ${release ?? 'none'}`, () => assert.equal(imageRelease(image), release));

  const policy = (kind: string, spec: Obj): KubeObject => ({
    apiVersion: 'gateway.envoyproxy.io/v1alpha1',
    kind,
    metadata: { name: 'p', namespace: 'home' },
    spec,
  });
  const floors: Array<{ name: string; k: Partial<KubernetesObjects>; detected: ReturnType<typeof envoyGatewayVersion> }> = [
    {
      name: 'the controller named with its Deployment',
      k: { envoyGatewayVersion: '1.8.1', envoyGatewayController: 'Deployment envoy-gateway-system/envoy-gateway, image e:v1.8.1' },
      detected: { version: '1.8.1', source: 'controller Deployment envoy-gateway-system/envoy-gateway, image e:v1.8.1' },
    },
    {
      name: 'a live EnvoyProxy mergeType',
      k: { envoyProxies: [policy('EnvoyProxy', { mergeType: 'StrategicMerge' })] },
      detected: { atLeast: '1.8.0', source: 'a live EnvoyProxy mergeType' },
    },
    {
      name: 'a live BackendTrafficPolicy maxStreamDuration',
      k: { backendTrafficPolicies: [policy('BackendTrafficPolicy', { timeout: { http: { maxStreamDuration: '0s' } } })] },
      detected: { atLeast: '1.6.0', source: 'a live BackendTrafficPolicy timeout.http.maxStreamDuration' },
    },
    {
      name: 'a live BackendTrafficPolicy httpUpgrade',
      k: { backendTrafficPolicies: [policy('BackendTrafficPolicy', { httpUpgrade: [{ type: 'websocket' }] })] },
      detected: { atLeast: '1.4.0', source: 'a live BackendTrafficPolicy httpUpgrade' },
    },
    { name: 'nothing that tells', k: {}, detected: { source: 'unknown' } },
  ];
  for (const f of floors) it(f.name, () => assert.deepEqual(envoyGatewayVersion(snapshot(undefined, f.k)), f.detected));
});
