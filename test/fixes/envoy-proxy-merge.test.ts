// EnvoyProxy fixes (the drain time and the stats inclusion list, in one object per Gateway) computed against the
// EnvoyProxy that wins for the Gateway, with a live EnvoyProxy in each position it can hold: none, the Gateway's,
// the GatewayClass's, both, a class one that shares its proxies (mergeGateways), and ones referenced but not read.
// Each case asserts the object rendered whole, the note saying which EnvoyProxy it was computed against and why, the
// diff against that live object (nothing removed), that the live fields still apply, and the published schemas.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { envoyGatewayRenderer } from '../../src/fixes/envoy-gateway.ts';
import { liveEnvoyProxy } from '../../src/fixes/gateway-objects.ts';
import type { FixChange, RenderedFix } from '../../src/model/finding.ts';
import type { KubeObject, KubernetesObjects } from '../../src/model/kubernetes.ts';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { problems } from '../helpers/crd.ts';
import { fixture, gatewayCluster, gatewayListener, routeConfig } from '../helpers/snapshot.ts';

type Obj = Record<string, unknown>;
const C = 'httproute/home/app/rule/0';
const L = 'home/eg/https';
const SYSTEM = 'envoy-gateway-system';
const EP = 'gateway.envoyproxy.io/v1alpha1';
const changes: FixChange[] = [
  { kind: 'proxy-drain-time', listener: L, seconds: 600 },
  { kind: 'stats-inclusion', prefixes: [`cluster.${C}.`] },
];
const ADDED = `cluster.${C}.`;

const proxy = (namespace: string, name: string, spec: Obj): KubeObject => ({
  apiVersion: EP,
  kind: 'EnvoyProxy',
  metadata: { name, namespace, labels: { team: 'edge' } },
  spec,
});
const gateway = (ref?: string): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name: 'eg', namespace: 'home' },
  spec: {
    gatewayClassName: 'eg',
    listeners: [],
    ...(ref ? { infrastructure: { parametersRef: { group: 'gateway.envoyproxy.io', kind: 'EnvoyProxy', name: ref } } } : {}),
  },
});
const gatewayClass = (ref?: string): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'GatewayClass',
  metadata: { name: 'eg' },
  spec: {
    controllerName: 'gateway.envoyproxy.io/gatewayclass-controller',
    ...(ref ? { parametersRef: { group: 'gateway.envoyproxy.io', kind: 'EnvoyProxy', name: ref, namespace: SYSTEM } } : {}),
  },
});

/** The GatewayClass's EnvoyProxy: a deployment shape, logging, and its own stats list. */
const CLASS_SPEC: Obj = {
  provider: { type: 'Kubernetes', kubernetes: { envoyDeployment: { replicas: 3, container: { resources: { requests: { cpu: '500m' } } } } } },
  logging: { level: { default: 'warn' } },
  telemetry: { metrics: { matches: [{ type: 'Prefix', value: 'server.' }], enableVirtualHostStats: true } },
};
/** The Gateway's own EnvoyProxy. */
const GATEWAY_SPEC: Obj = { shutdown: { minDrainDuration: '5s' }, concurrency: 2 };

function snapshot(k: Partial<KubernetesObjects> | undefined): Snapshot {
  const s = fixture({
    bootstrap: {
      node: { cluster: 'home/eg' },
      stats_config: { stats_matcher: { inclusion_list: { patterns: [{ prefix: 'server.' }, { prefix: 'listener.' }] } } },
    },
    clusters: [gatewayCluster(C)],
    listeners: [gatewayListener()],
    routeConfigs: [routeConfig(L, [C])],
  });
  if (k) s.kubernetes = { gateways: [], httpRoutes: [], backendTrafficPolicies: [], clientTrafficPolicies: [], envoyProxies: [], unavailable: [], ...k };
  return s;
}

interface Case {
  name: string;
  /** The objects read; undefined when none were. */
  k?: Partial<KubernetesObjects>;
  target: string;
  apply: RenderedFix['apply'];
  /** The rendered object's spec (the whole `spec` of a merge patch). */
  spec: Obj;
  codes: string[];
  /** The first note's values: which EnvoyProxy, and why. */
  basis?: Obj;
  /** The live EnvoyProxy the diff is against, and what must still apply once the fix is in. */
  against?: KubeObject;
}

const DRAIN = 'drain-timeout-slows-shutdown';
const STATS = 'stats-matches-replace-list';
const ROLL = 'envoyproxy-rollout-closes-connections';
const classProxy = proxy(SYSTEM, 'class-defaults', CLASS_SPEC);
const gatewayProxy = proxy('home', 'eg-own', GATEWAY_SPEC);
const read = (o: { gatewayRef?: string; classRef?: string; proxies: KubeObject[]; version?: string }): Partial<KubernetesObjects> => ({
  gateways: [gateway(o.gatewayRef)],
  gatewayClasses: [gatewayClass(o.classRef)],
  envoyProxies: o.proxies,
  ...(o.version ? { envoyGatewayVersion: o.version } : {}),
});
const classMatches = [
  { type: 'Prefix', value: 'server.' },
  { type: 'Prefix', value: ADDED },
];
const dumpMatches = [
  { type: 'Prefix', value: 'server.' },
  { type: 'Prefix', value: 'listener.' },
  { type: 'Prefix', value: ADDED },
];

const cases: Case[] = [
  {
    name: 'nothing read: a new Gateway-level EnvoyProxy, and the note that a GatewayClass one would be replaced unless copied',
    target: 'EnvoyProxy home/eg-proxy',
    apply: 'kubectl-apply',
    spec: { shutdown: { drainTimeout: '600s' }, telemetry: { metrics: { matches: dumpMatches } } },
    codes: ['envoyproxy-reference', 'envoyproxy-replaces-gatewayclass', DRAIN, STATS, ROLL],
  },
  {
    name: 'none: the class references no EnvoyProxy, so a new one has nothing to merge with',
    k: read({ proxies: [], version: '1.8.1' }),
    target: 'EnvoyProxy home/eg-proxy',
    apply: 'kubectl-apply',
    spec: { shutdown: { drainTimeout: '600s' }, telemetry: { metrics: { matches: dumpMatches } } },
    codes: ['envoyproxy-reference', DRAIN, STATS, ROLL],
  },
  {
    name: "GatewayClass's on 1.8: a new one with mergeType StrategicMerge, the class's matches kept in the list it replaces",
    k: read({ classRef: 'class-defaults', proxies: [classProxy], version: '1.8.1' }),
    target: 'EnvoyProxy home/eg-proxy',
    apply: 'kubectl-apply',
    spec: { mergeType: 'StrategicMerge', shutdown: { drainTimeout: '600s' }, telemetry: { metrics: { matches: classMatches } } },
    codes: ['envoyproxy-reference', 'envoyproxy-merges-gatewayclass-proxy', DRAIN, STATS, 'envoy-gateway-minimum-version', ROLL],
    basis: { classProxy: `${SYSTEM}/class-defaults`, version: '1.8.1' },
    against: classProxy,
  },
  {
    name: "GatewayClass's on 1.7 (no mergeType): the new one carries every field of it",
    k: read({ classRef: 'class-defaults', proxies: [classProxy], version: '1.7.3' }),
    target: 'EnvoyProxy home/eg-proxy',
    apply: 'kubectl-apply',
    spec: { ...CLASS_SPEC, shutdown: { drainTimeout: '600s' }, telemetry: { metrics: { matches: classMatches, enableVirtualHostStats: true } } },
    codes: ['envoyproxy-reference', 'envoyproxy-carries-gatewayclass-proxy', DRAIN, STATS, ROLL],
    basis: { classProxy: `${SYSTEM}/class-defaults`, since: '1.8.0', version: '1.7.3' },
    against: classProxy,
  },
  {
    name: "GatewayClass's, release unknown: carried too (a mergeType an older CRD prunes would drop the class's fields)",
    k: read({ classRef: 'class-defaults', proxies: [classProxy] }),
    target: 'EnvoyProxy home/eg-proxy',
    apply: 'kubectl-apply',
    spec: { ...CLASS_SPEC, shutdown: { drainTimeout: '600s' }, telemetry: { metrics: { matches: classMatches, enableVirtualHostStats: true } } },
    codes: ['envoyproxy-reference', 'envoyproxy-carries-gatewayclass-proxy', DRAIN, STATS, ROLL],
    basis: { classProxy: `${SYSTEM}/class-defaults`, since: '1.8.0', version: 'unknown' },
    against: classProxy,
  },
  {
    name: "GatewayClass's that sets mergeType JSONMerge itself: the new one sets only the fix's fields",
    k: read({ classRef: 'class-defaults', proxies: [proxy(SYSTEM, 'class-defaults', { ...CLASS_SPEC, mergeType: 'JSONMerge' })], version: '1.8.1' }),
    target: 'EnvoyProxy home/eg-proxy',
    apply: 'kubectl-apply',
    spec: { shutdown: { drainTimeout: '600s' }, telemetry: { metrics: { matches: classMatches } } },
    codes: ['envoyproxy-reference', 'envoyproxy-merges-by-class-merge-type', DRAIN, STATS, ROLL],
    basis: { gateway: 'home/eg', classProxy: `${SYSTEM}/class-defaults`, mergeType: 'JSONMerge' },
    against: proxy(SYSTEM, 'class-defaults', { ...CLASS_SPEC, mergeType: 'JSONMerge' }),
  },
  {
    name: "Gateway's: patched with its fields and labels kept",
    k: read({ gatewayRef: 'eg-own', proxies: [gatewayProxy] }),
    target: 'EnvoyProxy home/eg-own',
    apply: 'kubectl-apply',
    spec: { shutdown: { minDrainDuration: '5s', drainTimeout: '600s' }, concurrency: 2, telemetry: { metrics: { matches: dumpMatches } } },
    codes: ['envoyproxy-patches-gateway-proxy', DRAIN, STATS, ROLL],
    basis: { envoyProxy: 'home/eg-own', gateway: 'home/eg', classProxy: null, mergeType: null },
    against: gatewayProxy,
  },
  {
    name: "both: the Gateway's wins and is patched; the class's is named, replaced as before",
    k: read({ gatewayRef: 'eg-own', classRef: 'class-defaults', proxies: [gatewayProxy, classProxy], version: '1.8.1' }),
    target: 'EnvoyProxy home/eg-own',
    apply: 'kubectl-apply',
    spec: { shutdown: { minDrainDuration: '5s', drainTimeout: '600s' }, concurrency: 2, telemetry: { metrics: { matches: dumpMatches } } },
    codes: ['envoyproxy-patches-gateway-proxy', DRAIN, STATS, ROLL],
    basis: { envoyProxy: 'home/eg-own', gateway: 'home/eg', classProxy: `${SYSTEM}/class-defaults`, mergeType: null },
    against: gatewayProxy,
  },
  {
    name: "both, the Gateway's merging by mergeType: patched, its list holding the class's matches it replaces",
    k: read({
      gatewayRef: 'eg-own',
      classRef: 'class-defaults',
      proxies: [proxy('home', 'eg-own', { ...GATEWAY_SPEC, mergeType: 'StrategicMerge' }), classProxy],
      version: '1.8.1',
    }),
    target: 'EnvoyProxy home/eg-own',
    apply: 'kubectl-apply',
    spec: {
      ...GATEWAY_SPEC,
      mergeType: 'StrategicMerge',
      shutdown: { minDrainDuration: '5s', drainTimeout: '600s' },
      telemetry: { metrics: { matches: classMatches } },
    },
    codes: ['envoyproxy-patches-gateway-proxy', DRAIN, STATS, ROLL],
    basis: { envoyProxy: 'home/eg-own', gateway: 'home/eg', classProxy: `${SYSTEM}/class-defaults`, mergeType: 'StrategicMerge' },
    against: proxy('home', 'eg-own', { ...GATEWAY_SPEC, mergeType: 'StrategicMerge' }),
  },
  {
    name: "a GatewayClass's with mergeGateways: every Gateway shares it, the Gateway's own is ignored, the class's is patched",
    k: read({
      gatewayRef: 'eg-own',
      classRef: 'class-defaults',
      proxies: [gatewayProxy, proxy(SYSTEM, 'class-defaults', { ...CLASS_SPEC, mergeGateways: true })],
    }),
    target: `EnvoyProxy ${SYSTEM}/class-defaults`,
    apply: 'kubectl-apply',
    spec: {
      ...CLASS_SPEC,
      mergeGateways: true,
      shutdown: { drainTimeout: '600s' },
      telemetry: { metrics: { matches: classMatches, enableVirtualHostStats: true } },
    },
    codes: ['envoyproxy-patches-shared-proxy', DRAIN, STATS, ROLL],
    basis: { envoyProxy: `${SYSTEM}/class-defaults`, gatewayClass: 'eg', gateway: 'home/eg' },
    against: proxy(SYSTEM, 'class-defaults', { ...CLASS_SPEC, mergeGateways: true }),
  },
  {
    name: "the Gateway's, referenced but not read: a merge patch of the fields by name",
    k: read({ gatewayRef: 'eg-own', classRef: 'class-defaults', proxies: [classProxy] }),
    target: 'EnvoyProxy home/eg-own',
    apply: 'kubectl-patch',
    spec: { shutdown: { drainTimeout: '600s' }, telemetry: { metrics: { matches: dumpMatches } } },
    codes: ['envoyproxy-patches-named-proxy', DRAIN, STATS, ROLL],
    basis: { envoyProxy: 'home/eg-own', gateway: 'home/eg' },
  },
  {
    name: "the GatewayClass's, referenced but not read, on 1.8: mergeType keeps whatever it sets",
    k: read({ classRef: 'class-defaults', proxies: [], version: '1.8.1' }),
    target: 'EnvoyProxy home/eg-proxy',
    apply: 'kubectl-apply',
    spec: { mergeType: 'StrategicMerge', shutdown: { drainTimeout: '600s' }, telemetry: { metrics: { matches: dumpMatches } } },
    codes: ['envoyproxy-reference', 'envoyproxy-merges-unread-gatewayclass', DRAIN, STATS, 'envoy-gateway-minimum-version', ROLL],
    basis: { gateway: 'home/eg', version: '1.8.1' },
  },
];

/** Every leaf of `live` is in `effective` with the same value, unless the fix sets it. */
function assertApplies(live: Obj, effective: Obj, at = ''): void {
  for (const [k, v] of Object.entries(live)) {
    const path = `${at}/${k}`;
    if (k === 'matches') {
      for (const m of v as unknown[])
        assert.ok(
          (effective[k] as unknown[]).some((x) => JSON.stringify(x) === JSON.stringify(m)),
          `${path}: ${JSON.stringify(m)} kept`,
        );
    } else if (v && typeof v === 'object' && !Array.isArray(v)) assertApplies(v as Obj, effective[k] as Obj, path);
    else assert.deepEqual(effective[k], v, `${path} still applies`);
  }
}

describe('EnvoyProxy fixes against the EnvoyProxy that wins', () => {
  for (const c of cases) {
    it(c.name, () => {
      const rendered = envoyGatewayRenderer.render(snapshot(c.k), changes).map((r) => r.fix);
      assert.deepEqual(
        rendered.map((f) => f.target),
        [c.target],
      );
      const fix = rendered[0] as RenderedFix;
      const body = parse(fix.text) as Obj;
      assert.equal(fix.apply, c.apply);
      assert.deepEqual(c.apply === 'kubectl-patch' ? Object.keys(body) : body.kind, c.apply === 'kubectl-patch' ? ['spec'] : 'EnvoyProxy');
      assert.deepEqual(body.spec, c.spec);
      assert.deepEqual(
        fix.notes.map((n) => n.code),
        c.codes,
      );
      if (c.basis) assert.deepEqual(fix.notes.find((n) => n.code === c.codes[c.codes[0] === 'envoyproxy-reference' ? 1 : 0])?.values, c.basis);
      if (c.against) {
        const name = `${c.against.metadata.namespace}/${c.against.metadata.name}`;
        assert.equal(fix.liveDiff?.object, `EnvoyProxy ${name}`);
        assert.deepEqual(
          fix.liveDiff?.changes.filter((d) => !('after' in d)),
          [],
          'nothing of the live EnvoyProxy is removed',
        );
        // What applies once the fix is in: the patched object, or the new one over the class's (merged or carried).
        const own = { ...(body.spec as Obj) };
        const patched = c.target === `EnvoyProxy ${name}`;
        if (!patched) delete own.mergeType;
        const effective = patched ? own : { ...structuredClone(c.against.spec as Obj), ...own };
        const { telemetry: _t, ...rest } = c.against.spec as Obj;
        assertApplies(rest, effective);
        if (patched) assert.deepEqual((body.metadata as Obj).labels, { team: 'edge' });
      } else assert.equal(fix.liveDiff, undefined);
      // A merge patch is checked as the object it patches would be with only these fields.
      const whole =
        c.apply === 'kubectl-patch'
          ? {
              ...fix,
              apply: 'kubectl-apply' as const,
              text: stringify({ apiVersion: EP, kind: 'EnvoyProxy', metadata: { name: 'eg-own', namespace: 'home' }, ...body }),
            }
          : fix;
      assert.deepEqual(problems(whole), []);
    });
  }
});

describe('the EnvoyProxy in effect, as the kinds read it', () => {
  const effective = (k: Partial<KubernetesObjects>) => liveEnvoyProxy(snapshot(k), { kind: 'Gateway', namespace: 'home', name: 'eg' })?.spec;
  const table: Array<{ name: string; k: Partial<KubernetesObjects>; spec: Obj | undefined }> = [
    { name: 'none', k: read({ proxies: [] }), spec: undefined },
    { name: "the GatewayClass's alone", k: read({ classRef: 'class-defaults', proxies: [classProxy] }), spec: CLASS_SPEC },
    { name: "the Gateway's alone", k: read({ gatewayRef: 'eg-own', proxies: [gatewayProxy] }), spec: GATEWAY_SPEC },
    {
      name: "both, no mergeType: the Gateway's replaces the class's",
      k: read({ gatewayRef: 'eg-own', classRef: 'class-defaults', proxies: [gatewayProxy, classProxy] }),
      spec: GATEWAY_SPEC,
    },
    {
      name: "both, the class's mergeType: the Gateway's merged over it",
      k: read({
        gatewayRef: 'eg-own',
        classRef: 'class-defaults',
        proxies: [gatewayProxy, proxy(SYSTEM, 'class-defaults', { ...CLASS_SPEC, mergeType: 'StrategicMerge' })],
      }),
      spec: { ...CLASS_SPEC, mergeType: 'StrategicMerge', ...GATEWAY_SPEC },
    },
    { name: "the Gateway's referenced but not read", k: read({ gatewayRef: 'eg-own', classRef: 'class-defaults', proxies: [classProxy] }), spec: undefined },
  ];
  for (const c of table) it(c.name, () => assert.deepEqual(effective(c.k), c.spec));
});
