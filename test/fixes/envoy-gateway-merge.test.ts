// Envoy Gateway fixes computed against the live policy that wins, per position a live policy can hold: none, the
// same target, the parent (Gateway-level) target, a sibling section, the rule's own section. Each case asserts the
// whole rendered spec, the notes that say which policy it was computed against, that no live field was lost unless
// the fix removes it, and that the object validates against the published CRD schemas.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { envoyGatewayRenderer } from '../../src/fixes/envoy-gateway.ts';
import { crdDuration } from '../../src/fixes/quantity.ts';
import { envoyGatewayVersion, supports } from '../../src/fixes/versions.ts';
import type { FixChange, RenderedFix } from '../../src/model/finding.ts';
import type { KubeObject, KubernetesObjects } from '../../src/model/kubernetes.ts';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { problems } from '../helpers/crd.ts';
import { fixture, gatewayCluster, gatewayListener, routeConfig } from '../helpers/snapshot.ts';

type Obj = Record<string, unknown>;
const C = 'httproute/home/app/rule/0';
const R = `${C}/match/0`;
const L = 'home/eg/https';
const GW_REF = { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'eg' };
const ROUTE_REF = { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'app' };
const EG = 'gateway.envoyproxy.io/v1alpha1';

const policy = (kind: string, name: string, spec: Obj): KubeObject => ({
  apiVersion: EG,
  kind,
  metadata: { name, namespace: 'home', generation: 3 },
  spec,
  status: { ancestors: [] },
});
const btp = (name: string, spec: Obj) => policy('BackendTrafficPolicy', name, spec);
const ctp = (name: string, spec: Obj) => policy('ClientTrafficPolicy', name, spec);
const httpRoute = (rule: Obj = {}): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'app', namespace: 'home' },
  spec: {
    parentRefs: [{ name: 'eg', sectionName: 'https' }],
    hostnames: ['app.example.com'],
    rules: [{ name: 'main', backendRefs: [{ name: 'app', port: 8080 }], ...rule }],
  },
});

function snapshot(k: Partial<KubernetesObjects> & { envoyGatewayVersion?: string }): Snapshot {
  const s = fixture({
    bootstrap: { node: { cluster: 'home/eg' } },
    clusters: [gatewayCluster(C, { per_connection_buffer_limit_bytes: 32768 })],
    listeners: [gatewayListener({ bufferLimit: 32768 })],
    routeConfigs: [routeConfig(L, [C])],
  });
  s.kubernetes = { gateways: [], httpRoutes: [httpRoute()], backendTrafficPolicies: [], clientTrafficPolicies: [], envoyProxies: [], unavailable: [], ...k };
  return s;
}

function render(s: Snapshot, changes: FixChange[]): Array<RenderedFix & { object: Obj; codes: string[] }> {
  return envoyGatewayRenderer.render(s, changes).map((r) => ({ ...r.fix, object: parse(r.fix.text) as Obj, codes: r.fix.notes.map((n) => n.code) }));
}

/** Every leaf of `live`'s spec is in `rendered`'s spec, unless under a path the fix removes on purpose. */
function assertKeeps(live: Obj, rendered: Obj, removed: string[] = [], at = ''): void {
  for (const [k, v] of Object.entries(live)) {
    const path = at ? `${at}.${k}` : k;
    if (removed.includes(path)) continue;
    assert.ok(k in rendered, `live field ${path} lost`);
    if (v && typeof v === 'object' && !Array.isArray(v)) assertKeeps(v as Obj, rendered[k] as Obj, removed, path);
    else if (Array.isArray(v)) {
      const out = rendered[k] as unknown[];
      v.forEach((item, i) => {
        // An entry the fix changed is compared field by field, any other must still be there as it was.
        if (item && typeof item === 'object' && out.length === v.length) assertKeeps(item as Obj, out[i] as Obj, removed, `${path}.${i}`);
        else
          assert.ok(
            out.some((x) => JSON.stringify(x) === JSON.stringify(item)),
            `live ${path} entry ${JSON.stringify(item)} lost`,
          );
      });
    } else assert.ok(JSON.stringify(rendered[k]) !== undefined, path);
  }
}

function assertValid(fixes: RenderedFix[]): void {
  assert.deepEqual(
    fixes.flatMap((f) => problems(f)),
    [],
  );
}

/** One case of a table: the one policy rendered, its whole spec and notes, no live field lost, valid. */
interface PolicyCase {
  name: string;
  k: Partial<KubernetesObjects> & { envoyGatewayVersion?: string };
  target: string;
  spec: Obj;
  codes: string[];
  /** Fields of a live policy the rendered one must carry (one it replaces). */
  keeps?: Obj;
  /** The live policy a new one was computed against (the one it replaces). */
  against?: string;
  removed?: string[];
}

function checkCase(c: PolicyCase, changes: FixChange[], livePolicies: KubeObject[]): void {
  const fixes = render(snapshot(c.k), changes);
  assert.deepEqual(
    fixes.map((f) => f.target),
    [c.target],
  );
  const fix = fixes[0] as (typeof fixes)[number];
  assert.deepEqual(fix.object.spec, c.spec);
  assert.deepEqual(fix.codes, c.codes);
  const live = livePolicies.find((p) => `${p.kind} home/${p.metadata.name}` === c.target);
  if (live) assertKeeps(live.spec as Obj, fix.object.spec as Obj, c.removed);
  if (c.keeps) {
    const { targetRefs: _t, ...fields } = c.keeps;
    assertKeeps(fields, fix.object.spec as Obj);
  }
  // The diff against the live object it was computed from removes only what the fix means to remove.
  const against = live ? `${live.kind} home/${live.metadata.name}` : c.against;
  if (against) {
    assert.equal(fix.liveDiff?.object, against);
    const removed = (fix.liveDiff?.changes ?? []).filter((d) => !('after' in d)).map((d) => d.path);
    assert.deepEqual(
      removed,
      (c.removed ?? []).map((r) => `/${r.replace(/\./g, '/')}`),
    );
  } else assert.equal(fix.liveDiff, undefined);
  assert.deepEqual(Object.keys(fix.object.metadata as Obj), ['name', 'namespace'], 'no status or server-set metadata');
  assert.equal(fix.object.status, undefined);
  assertValid(fixes);
}

const routeChanges: FixChange[] = [
  { kind: 'cluster-buffer-limit', cluster: C, bytes: 1_048_576 },
  { kind: 'route-websocket-upgrade', route: R },
];

describe('Envoy Gateway: BackendTrafficPolicy against the live policies of the route', () => {
  const cases: PolicyCase[] = [
    {
      name: 'none (the policies were read): a new route-level policy with mergeType, no guess about a route-level one',
      k: {},
      target: 'BackendTrafficPolicy home/app-connection',
      spec: { targetRefs: [ROUTE_REF], mergeType: 'StrategicMerge', connection: { bufferLimit: '1Mi' }, httpUpgrade: [{ type: 'websocket' }] },
      codes: ['envoy-gateway-minimum-version'],
    },
    {
      name: 'same target: the live route-level policy patched, httpUpgrade merged by type, requestBuffer dropped, no mergeType added',
      k: {
        backendTrafficPolicies: [
          btp('app-policy', {
            targetRefs: [ROUTE_REF],
            timeout: { http: { requestTimeout: '30s' } },
            httpUpgrade: [{ type: 'spdy/3.1' }],
            requestBuffer: { limit: '4Mi' },
          }),
        ],
      },
      target: 'BackendTrafficPolicy home/app-policy',
      spec: {
        targetRefs: [ROUTE_REF],
        timeout: { http: { requestTimeout: '30s' } },
        httpUpgrade: [{ type: 'spdy/3.1' }, { type: 'websocket' }],
        connection: { bufferLimit: '1Mi' },
      },
      codes: ['patches-winning-policy', 'request-buffer-dropped-for-upgrade', 'envoy-gateway-minimum-version'],
      removed: ['requestBuffer'],
    },
    {
      name: 'parent target: a new route-level policy merging into the Gateway-level one, its upgrade types repeated',
      k: { backendTrafficPolicies: [btp('gateway-defaults', { targetRefs: [GW_REF], tcpKeepalive: { probes: 3 }, httpUpgrade: [{ type: 'spdy/3.1' }] })] },
      target: 'BackendTrafficPolicy home/app-connection',
      spec: {
        targetRefs: [ROUTE_REF],
        mergeType: 'StrategicMerge',
        connection: { bufferLimit: '1Mi' },
        httpUpgrade: [{ type: 'spdy/3.1' }, { type: 'websocket' }],
      },
      codes: ['policy-merges-with-gateway-policy', 'envoy-gateway-minimum-version'],
    },
    {
      name: 'parent target on Envoy Gateway 1.3 (no mergeType): the new policy carries the Gateway-level fields; httpUpgrade (1.4) is left out',
      k: {
        envoyGatewayVersion: 'v1.3.2',
        backendTrafficPolicies: [
          btp('gateway-defaults', { targetRefs: [GW_REF], tcpKeepalive: { probes: 3, idleTime: '60s' }, loadBalancer: { type: 'RoundRobin' } }),
        ],
      },
      target: 'BackendTrafficPolicy home/app-connection',
      spec: { targetRefs: [ROUTE_REF], tcpKeepalive: { probes: 3, idleTime: '60s' }, loadBalancer: { type: 'RoundRobin' }, connection: { bufferLimit: '1Mi' } },
      codes: ['backend-policy-carries-gateway-policy', 'envoy-gateway-field-left-out', 'envoy-gateway-minimum-version'],
      against: 'BackendTrafficPolicy home/gateway-defaults',
    },
    {
      name: "sibling section: a policy for another rule's section is not this rule's, a new route-level one is rendered",
      k: { backendTrafficPolicies: [btp('other-rule', { targetRefs: [{ ...ROUTE_REF, sectionName: 'other' }], timeout: { http: { requestTimeout: '5s' } } })] },
      target: 'BackendTrafficPolicy home/app-connection',
      spec: { targetRefs: [ROUTE_REF], mergeType: 'StrategicMerge', connection: { bufferLimit: '1Mi' }, httpUpgrade: [{ type: 'websocket' }] },
      codes: ['envoy-gateway-minimum-version'],
    },
    {
      name: "rule section: the rule's own policy beats the route-level one and is patched",
      k: {
        backendTrafficPolicies: [
          btp('app-policy', { targetRefs: [ROUTE_REF], timeout: { http: { requestTimeout: '30s' } } }),
          btp('main-rule', { targetRefs: [{ ...ROUTE_REF, sectionName: 'main' }], circuitBreaker: { maxConnections: 2048 } }),
        ],
      },
      target: 'BackendTrafficPolicy home/main-rule',
      spec: {
        targetRefs: [{ ...ROUTE_REF, sectionName: 'main' }],
        circuitBreaker: { maxConnections: 2048 },
        connection: { bufferLimit: '1Mi' },
        httpUpgrade: [{ type: 'websocket' }],
      },
      codes: ['patches-winning-policy', 'envoy-gateway-minimum-version'],
    },
  ];
  for (const c of cases) it(c.name, () => checkCase(c, routeChanges, c.k.backendTrafficPolicies ?? []));
});

const listenerChanges: FixChange[] = [
  { kind: 'listener-buffer-limit', listener: L, bytes: 1_048_576 },
  { kind: 'listener-stream-idle-timeout', listener: L, ms: 3_600_000 },
];
const SECTION_REF = { ...GW_REF, sectionName: 'https' };

describe('Envoy Gateway: ClientTrafficPolicy against the live policies of the Gateway', () => {
  const gatewayWide = ctp('gateway-wide', {
    targetRefs: [GW_REF],
    tls: { minVersion: '1.3' },
    clientIPDetection: { xForwardedFor: { numTrustedHops: 1 } },
    timeout: { http: { requestReceivedTimeout: '10s' } },
    connection: { connectionLimit: { value: 10000 } },
  });
  const cases: PolicyCase[] = [
    {
      name: 'none (the Gateway-level policies were read): a new section-level policy, no guess about a Gateway-wide one',
      k: {},
      target: 'ClientTrafficPolicy home/eg-https-connection',
      spec: { targetRefs: [SECTION_REF], connection: { bufferLimit: '1Mi' }, timeout: { http: { streamIdleTimeout: '3600s' } } },
      codes: ['listener-limit-pauses-upstream', 'envoy-gateway-minimum-version'],
    },
    {
      name: 'same target: the live section-level policy patched with its fields kept',
      k: { clientTrafficPolicies: [ctp('https-policy', { targetRefs: [SECTION_REF], tls: { minVersion: '1.2' }, timeout: { http: { idleTimeout: '1h' } } })] },
      target: 'ClientTrafficPolicy home/https-policy',
      spec: {
        targetRefs: [SECTION_REF],
        tls: { minVersion: '1.2' },
        timeout: { http: { idleTimeout: '1h', streamIdleTimeout: '3600s' } },
        connection: { bufferLimit: '1Mi' },
      },
      codes: ['patches-winning-policy', 'listener-limit-pauses-upstream', 'envoy-gateway-minimum-version'],
    },
    {
      name: 'parent target: the new section-level policy carries every field of the Gateway-wide one it replaces on the listener',
      k: { clientTrafficPolicies: [gatewayWide] },
      target: 'ClientTrafficPolicy home/eg-https-connection',
      spec: {
        targetRefs: [SECTION_REF],
        tls: { minVersion: '1.3' },
        clientIPDetection: { xForwardedFor: { numTrustedHops: 1 } },
        timeout: { http: { requestReceivedTimeout: '10s', streamIdleTimeout: '3600s' } },
        connection: { connectionLimit: { value: 10000 }, bufferLimit: '1Mi' },
      },
      codes: ['client-policy-carries-gateway-policy', 'listener-limit-pauses-upstream', 'envoy-gateway-minimum-version'],
      keeps: gatewayWide.spec as Obj,
      against: 'ClientTrafficPolicy home/gateway-wide',
    },
    {
      name: "sibling section: another listener's policy is not this one's",
      k: { clientTrafficPolicies: [ctp('http-policy', { targetRefs: [{ ...GW_REF, sectionName: 'http' }], tls: { minVersion: '1.2' } })] },
      target: 'ClientTrafficPolicy home/eg-https-connection',
      spec: { targetRefs: [SECTION_REF], connection: { bufferLimit: '1Mi' }, timeout: { http: { streamIdleTimeout: '3600s' } } },
      codes: ['listener-limit-pauses-upstream', 'envoy-gateway-minimum-version'],
    },
    {
      name: 'Envoy Gateway 1.4 has no ClientTrafficPolicy streamIdleTimeout (1.5): left out and said',
      k: { envoyGatewayVersion: 'v1.4.1', clientTrafficPolicies: [gatewayWide] },
      target: 'ClientTrafficPolicy home/eg-https-connection',
      spec: {
        targetRefs: [SECTION_REF],
        tls: { minVersion: '1.3' },
        clientIPDetection: { xForwardedFor: { numTrustedHops: 1 } },
        timeout: { http: { requestReceivedTimeout: '10s' } },
        connection: { connectionLimit: { value: 10000 }, bufferLimit: '1Mi' },
      },
      codes: ['client-policy-carries-gateway-policy', 'envoy-gateway-field-left-out', 'listener-limit-pauses-upstream', 'envoy-gateway-minimum-version'],
      keeps: gatewayWide.spec as Obj,
      against: 'ClientTrafficPolicy home/gateway-wide',
    },
  ];
  for (const c of cases) it(c.name, () => checkCase(c, listenerChanges, c.k.clientTrafficPolicies ?? []));
  it('the parent policy is named in the note that says why its fields are copied', () => {
    const [fix] = render(snapshot({ clientTrafficPolicies: [gatewayWide] }), listenerChanges);
    assert.deepEqual(fix?.notes[0]?.values, { policy: 'home/gateway-wide', gateway: 'home/eg', listener: 'https' });
  });
});

describe('Envoy Gateway: requestBuffer and httpUpgrade', () => {
  it('a live policy that holds both, where the fix adds no upgrade, keeps both (its release accepted it)', () => {
    const live = btp('app-policy', { targetRefs: [ROUTE_REF], httpUpgrade: [{ type: 'websocket' }], requestBuffer: { limit: '4Mi' } });
    const [fix] = render(snapshot({ backendTrafficPolicies: [live] }), [{ kind: 'cluster-buffer-limit', cluster: C, bytes: 1_048_576 }]);
    assert.deepEqual(fix?.object.spec, { ...live.spec, connection: { bufferLimit: '1Mi' } });
    assert.ok(!fix?.codes.includes('request-buffer-dropped-for-upgrade'));
  });
  it('a new route-level policy adding an upgrade under a Gateway-level one that buffers says to remove it there', () => {
    const parent = btp('gateway-defaults', { targetRefs: [GW_REF], requestBuffer: { limit: '4Mi' } });
    const [fix] = render(snapshot({ backendTrafficPolicies: [parent] }), [{ kind: 'route-websocket-upgrade', route: R }]);
    assert.deepEqual(fix?.notes.find((n) => n.code === 'parent-policy-request-buffer')?.values, { policy: 'home/gateway-defaults' });
    assertValid(fix ? [fix] : []);
  });
});

describe('Envoy Gateway: timeouts', () => {
  it("an HTTPRoute rule's own timeouts.request wins: the HTTPRoute is changed, the policy carries no requestTimeout", () => {
    const s = snapshot({ httpRoutes: [httpRoute({ timeouts: { request: '15s', backendRequest: '10s' } })] });
    const fixes = render(s, [
      { kind: 'route-timeout', route: R, ms: 0 },
      { kind: 'cluster-buffer-limit', cluster: C, bytes: 1_048_576 },
    ]);
    assert.deepEqual(
      fixes.map((f) => f.target),
      ['BackendTrafficPolicy home/app-connection', 'HTTPRoute home/app'],
    );
    assert.equal((fixes[0]?.object.spec as Obj).timeout, undefined);
    const route = fixes[1] as (typeof fixes)[number];
    assert.deepEqual((route.object.spec as { rules: Obj[] }).rules[0], {
      name: 'main',
      backendRefs: [{ name: 'app', port: 8080 }],
      timeouts: { request: '0s', backendRequest: '10s' },
    });
    assert.deepEqual(route.notes, [{ code: 'httproute-timeout-wins', values: { route: 'home/app', rule: 0, was: '15s', timeout: '0s' } }]);
    assert.deepEqual(route.liveDiff, { object: 'HTTPRoute home/app', changes: [{ path: '/rules/0/timeouts/request', before: '15s', after: '0s' }] });
    assertKeeps(httpRoute({ timeouts: { backendRequest: '10s' } }).spec as Obj, route.object.spec as Obj);
    assertValid(fixes);
  });
  it("without the Kubernetes objects, an explicit timeout from an HTTPRoute may be the rule's own: a note gives the rule's patch", () => {
    const bare = (routeExtra: object) =>
      fixture({
        bootstrap: { node: { cluster: 'home/eg' } },
        clusters: [gatewayCluster(C)],
        listeners: [gatewayListener()],
        routeConfigs: [routeConfig(L, [C], routeExtra)],
      });
    const [fix] = render(bare({ timeout: '1s' }), [{ kind: 'route-timeout', route: R, ms: 0 }]);
    assert.deepEqual((fix?.object.spec as Obj).timeout, { http: { requestTimeout: '0s' } });
    assert.deepEqual(fix?.notes.find((n) => n.code === 'httproute-timeout-may-win')?.values, {
      route: 'home/app',
      namespace: 'home',
      name: 'app',
      rule: 0,
      timeout: '0s',
    });
    const [unset] = render(bare({}), [{ kind: 'route-timeout', route: R, ms: 0 }]);
    assert.equal(unset?.codes.includes('httproute-timeout-may-win'), false, "Envoy's default: no rule sets it");
    const read = Object.assign(bare({ timeout: '1s' }), { kubernetes: snapshot({}).kubernetes });
    const [live] = render(read, [{ kind: 'route-timeout', route: R, ms: 0 }]);
    assert.equal(live?.codes.includes('httproute-timeout-may-win'), false, 'the live rule sets none');
  });
  it('requestTimeout: 0s in a policy says it also turns off the route idle timeout', () => {
    const [fix] = render(snapshot({}), [{ kind: 'route-timeout', route: R, ms: 0 }]);
    assert.deepEqual((fix?.object.spec as Obj).timeout, { http: { requestTimeout: '0s' } });
    assert.ok(fix?.codes.includes('request-timeout-zero-disables-idle'));
  });
  it('durations past five digits of seconds are split into hours (2 x 14 h is 28h, not 100800s)', () => {
    const [fix] = render(snapshot({ envoyGatewayVersion: '1.9.0' }), [
      { kind: 'cluster-max-connection-duration', cluster: C, ms: 100_800_000 },
      { kind: 'route-timeout', route: R, ms: 100_000_500 },
    ]);
    assert.deepEqual((fix?.object.spec as Obj).timeout, { http: { maxConnectionDuration: '28h', requestTimeout: '27h46m40s500ms' } });
    assertValid(fix ? [fix] : []);
  });
  for (const ms of [0, 1, 999, 1000, 60_000, 99_999_000, 99_999_001, 100_800_000, 86_400_000 * 30, 3_600_000 * 100_000]) {
    it(`${ms} ms matches the CRD duration pattern (${crdDuration(ms)})`, () => assert.match(crdDuration(ms), /^([0-9]{1,5}(h|m|s|ms)){1,4}$/));
  }
});

describe('Envoy Gateway: the release a fix needs', () => {
  it('the controller version from kubernetes.json gates fields exactly', () => {
    const v = envoyGatewayVersion(snapshot({ envoyGatewayVersion: 'v1.7.3' }));
    assert.deepEqual(v, { version: '1.7.3', source: 'the Envoy Gateway controller' });
    assert.equal(supports(v, 'ClientTrafficPolicy.spec.connection.connectionLimit.maxStreamDuration'), 'yes');
    assert.equal(supports(v, 'BackendTrafficPolicy.spec.timeout.http.streamIdleTimeout'), 'no');
  });
  it('live policy fields the API server kept give a lower bound', () => {
    const v = envoyGatewayVersion(
      snapshot({ clientTrafficPolicies: [ctp('x', { targetRefs: [GW_REF], connection: { connectionLimit: { maxStreamDuration: '1h' } } })] }),
    );
    assert.deepEqual(v, { atLeast: '1.6.0', source: 'a live ClientTrafficPolicy connection.connectionLimit.maxStreamDuration' });
    assert.equal(supports(v, 'ClientTrafficPolicy.spec.timeout.http.streamIdleTimeout'), 'yes');
    assert.equal(supports(v, 'BackendTrafficPolicy.spec.timeout.http.streamIdleTimeout'), 'unknown');
  });
  it('xDS metadata naming policies gives 1.7 at least', () => {
    const s = fixture({
      clusters: [
        gatewayCluster(C, {
          metadata: { filter_metadata: { 'envoy-gateway': { resources: [{ kind: 'HTTPRoute', name: 'app', namespace: 'home' }], policies: [] } } },
        }),
      ],
    });
    assert.deepEqual(envoyGatewayVersion(s), { atLeast: '1.7.0', source: 'xDS metadata naming policies' });
  });
  it("a load_balancing_policy's own policies list is not the metadata naming policies: resources alone give 1.1", () => {
    const s = fixture({
      clusters: [
        gatewayCluster(C, {
          metadata: { filter_metadata: { 'envoy-gateway': { resources: [{ kind: 'HTTPRoute', name: 'app', namespace: 'home' }] } } },
          load_balancing_policy: { policies: [{ typed_extension_config: { name: 'envoy.load_balancing_policies.least_request' } }] },
        }),
      ],
    });
    assert.deepEqual(envoyGatewayVersion(s), { atLeast: '1.1.0', source: 'xDS metadata naming resources' });
  });
  it('a BackendTrafficPolicy streamIdleTimeout is rendered from 1.8 (the v1.8.0 CRD declares it) and left out before', () => {
    const changes: FixChange[] = [
      { kind: 'route-idle-timeout', route: R, ms: 3_600_000 },
      { kind: 'listener-stream-idle-timeout', listener: L, ms: 3_600_000 },
    ];
    const fixes = render(snapshot({ envoyGatewayVersion: '1.9.0' }), changes);
    const backend = fixes.find((f) => f.target.startsWith('BackendTrafficPolicy'));
    assert.deepEqual((backend?.object.spec as Obj).timeout, { http: { streamIdleTimeout: '3600s' } });
    assert.deepEqual(backend?.notes.find((n) => n.code === 'envoy-gateway-minimum-version')?.values, {
      minimum: '1.8.0',
      fields: 'BackendTrafficPolicy.spec.timeout.http.streamIdleTimeout',
      version: '1.9.0',
    });
    const client = fixes.find((f) => f.target.startsWith('ClientTrafficPolicy'));
    assert.deepEqual((client?.object.spec as Obj).timeout, { http: { streamIdleTimeout: '3600s' } });
    assert.deepEqual(client?.notes.find((n) => n.code === 'envoy-gateway-minimum-version')?.values, {
      minimum: '1.5.0',
      fields: 'ClientTrafficPolicy.spec.timeout.http.streamIdleTimeout',
      version: '1.9.0',
    });
    assertValid(fixes);
    const older = render(snapshot({ envoyGatewayVersion: '1.7.2' }), changes).find((f) => f.target.startsWith('BackendTrafficPolicy'));
    assert.equal((older?.object.spec as Obj).timeout, undefined);
    assert.deepEqual(older?.notes.find((n) => n.code === 'envoy-gateway-field-left-out')?.values, {
      field: 'BackendTrafficPolicy.spec.timeout.http.streamIdleTimeout',
      since: '1.8.0',
      version: '1.7.2',
    });
  });
  it('Envoy Gateway 1.5 leaves connectionLimit.maxStreamDuration out (1.6)', () => {
    const [fix] = render(snapshot({ envoyGatewayVersion: '1.5.3' }), [
      { kind: 'listener-max-stream-duration', listener: L, ms: 86_400_000 },
      { kind: 'listener-buffer-limit', listener: L, bytes: 1_048_576 },
    ]);
    assert.deepEqual((fix?.object.spec as Obj).connection, { bufferLimit: '1Mi' });
    assert.ok(fix?.codes.includes('envoy-gateway-field-left-out'));
  });
});
