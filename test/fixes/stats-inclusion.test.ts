import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import type { Diagnosed } from '../../src/diagnose/root-cause.ts';
import { attachFixes } from '../../src/fixes/plan.ts';
import type { FixChange } from '../../src/model/finding.ts';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { fixture, gatewayCluster, gatewayListener, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const change: FixChange = { kind: 'stats-inclusion', prefixes: [`cluster.${C}.`, 'http.https-10443.'] };
const diagnosed: Diagnosed = {
  id: 'stats-unavailable',
  severity: 'warning',
  confidence: 'high',
  score: 0.9,
  snapshot: 'p',
  entities: [],
  evidence: [],
  explains: [],
  checks: [],
  changes: [change],
};
const bootstrap = {
  node: { cluster: 'home/eg' },
  stats_config: {
    stats_matcher: {
      inclusion_list: {
        patterns: [{ prefix: 'server.' }, { safe_regex: { google_re2: {}, regex: 'cluster\\..*\\.membership_.*' } }, { suffix: '_total', ignore_case: true }],
      },
    },
  },
};
const gateway = () => fixture({ bootstrap, clusters: [gatewayCluster(C)], listeners: [gatewayListener()], routeConfigs: [routeConfig('home/eg/https', [C])] });

function fixesOf(s: Snapshot) {
  const [rc] = attachFixes(s, [diagnosed]);
  return rc?.fixes ?? [];
}

describe('stats-inclusion fixes', () => {
  it('Envoy Gateway: a new EnvoyProxy whose telemetry.metrics.matches keeps what Envoy Gateway can express and adds the prefixes', () => {
    const fix = fixesOf(gateway()).find((f) => f.flavor === 'envoy-gateway');
    assert.equal(fix?.target, 'EnvoyProxy home/eg-proxy');
    const o = parse(fix?.text ?? '');
    assert.equal(o.apiVersion, 'gateway.envoyproxy.io/v1alpha1');
    assert.equal(o.kind, 'EnvoyProxy');
    assert.deepEqual(o.metadata, { name: 'eg-proxy', namespace: 'home' });
    assert.deepEqual(o.spec.telemetry.metrics.matches, [
      { type: 'Prefix', value: 'server.' },
      { type: 'RegularExpression', value: 'cluster\\..*\\.membership_.*' },
      { type: 'Prefix', value: `cluster.${C}.` },
      { type: 'Prefix', value: 'http.https-10443.' },
    ]);
    assert.deepEqual(
      fix?.notes.map((n) => n.code),
      ['envoyproxy-reference', 'envoyproxy-replaces-gatewayclass', 'stats-matches-replace-list', 'envoyproxy-rollout-closes-connections'],
    );
    assert.deepEqual(fix?.notes[2]?.values, { kept: 2 });
  });

  it('Envoy Gateway: the live EnvoyProxy the Gateway references is patched, its other fields and matches kept', () => {
    const s = gateway();
    s.kubernetes = {
      gateways: [
        {
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'Gateway',
          metadata: { name: 'eg', namespace: 'home' },
          spec: { infrastructure: { parametersRef: { group: 'gateway.envoyproxy.io', kind: 'EnvoyProxy', name: 'custom' } } },
        },
      ],
      httpRoutes: [],
      backendTrafficPolicies: [],
      clientTrafficPolicies: [],
      envoyProxies: [
        {
          apiVersion: 'gateway.envoyproxy.io/v1alpha1',
          kind: 'EnvoyProxy',
          metadata: { name: 'custom', namespace: 'home' },
          spec: {
            logging: { level: { default: 'warn' } },
            telemetry: { metrics: { matches: [{ type: 'Prefix', value: 'server.' }], enableVirtualHostStats: true } },
          },
        },
      ],
      unavailable: [],
    };
    const o = parse(fixesOf(s).find((f) => f.flavor === 'envoy-gateway')?.text ?? '');
    assert.equal(o.metadata.name, 'custom');
    assert.deepEqual(o.spec.logging, { level: { default: 'warn' } });
    assert.equal(o.spec.telemetry.metrics.enableVirtualHostStats, true);
    assert.deepEqual(
      o.spec.telemetry.metrics.matches.map((m: { value: string }) => m.value),
      ['server.', `cluster.${C}.`, 'http.https-10443.'],
    );
  });

  it('plain Envoy: the bootstrap stats_matcher inclusion list with every pattern in effect plus the prefixes', () => {
    const fix = fixesOf(gateway()).find((f) => f.flavor === 'envoy');
    assert.equal(fix?.target, 'bootstrap stats_config');
    assert.equal(fix?.apply, 'envoy-config');
    const o = parse(fix?.text ?? '');
    assert.deepEqual(o.stats_config.stats_matcher.inclusion_list.patterns, [
      { prefix: 'server.' },
      { safe_regex: { regex: 'cluster\\..*\\.membership_.*' } },
      { suffix: '_total', ignore_case: true },
      { prefix: `cluster.${C}.` },
      { prefix: 'http.https-10443.' },
    ]);
  });

  it('plain Envoy: the whole live bootstrap with the prefixes added to its list, every live pattern kept as written', () => {
    const fix = fixesOf(gateway()).find((f) => f.flavor === 'envoy');
    assert.equal(fix?.merged?.kind, 'bootstrap');
    assert.deepEqual(fix?.merged?.object, {
      node: { cluster: 'home/eg' },
      stats_config: {
        stats_matcher: {
          inclusion_list: {
            patterns: [
              { prefix: 'server.' },
              { safe_regex: { google_re2: {}, regex: 'cluster\\..*\\.membership_.*' } },
              { suffix: '_total', ignore_case: true },
              { prefix: `cluster.${C}.` },
              { prefix: 'http.https-10443.' },
            ],
          },
        },
      },
    });
  });

  it('plain Envoy: reject_all is replaced by the inclusion list (the stats_matcher oneof), and the fix says so', () => {
    const s = fixture({
      bootstrap: { node: { cluster: 'home/eg' }, stats_config: { stats_matcher: { reject_all: true }, use_all_default_tags: true } },
      clusters: [gatewayCluster(C)],
    });
    const fix = fixesOf(s).find((f) => f.flavor === 'envoy');
    assert.deepEqual(fix?.merged?.object.stats_config, {
      stats_matcher: { inclusion_list: { patterns: [{ prefix: `cluster.${C}.` }, { prefix: 'http.https-10443.' }] } },
      use_all_default_tags: true,
    });
    assert.deepEqual(fix?.notes.find((n) => n.code === 'envoy-field-replaced')?.values, {
      resource: 'bootstrap',
      field: '/stats_config/stats_matcher/reject_all',
    });
  });

  it("Istio: the workload's pod template annotated with proxyStatsMatcher.inclusionPrefixes", () => {
    const s = fixture({
      id: 'web-7d9f8b6c5-x2k4p',
      bootstrap: { node: { id: 'sidecar~10.0.0.1~web-7d9f8b6c5-x2k4p.shop~shop.svc.cluster.local', metadata: { ISTIO_VERSION: '1.27.0' } } },
      clusters: [{ name: 'outbound|80||web.shop.svc.cluster.local', type: 'EDS' }],
    });
    s.owner = 'deployment shop/web';
    const fix = fixesOf(s).find((f) => f.flavor === 'istio');
    assert.equal(fix?.target, 'Deployment shop/web');
    const o = parse(fix?.text ?? '');
    assert.equal(o.apiVersion, 'apps/v1');
    assert.deepEqual(o.metadata, { name: 'web', namespace: 'shop' });
    const annotation = parse(o.spec.template.metadata.annotations['proxy.istio.io/config']);
    assert.deepEqual(annotation, { proxyStatsMatcher: { inclusionPrefixes: [`cluster.${C}.`, 'http.https-10443.'] } });
    assert.deepEqual(
      fix?.notes.map((n) => n.code),
      ['istio-annotation-rolls-pods'],
    );
    assert.equal(fix?.apply, 'kubectl-patch');
  });

  it('Istio without an owner: the Deployment named after the pod', () => {
    const s = fixture({
      id: 'web-7d9f8b6c5-x2k4p',
      bootstrap: { node: { id: 'sidecar~10.0.0.1~web-7d9f8b6c5-x2k4p.shop~shop.svc.cluster.local' } },
      clusters: [{ name: 'outbound|80||web.shop.svc.cluster.local', type: 'EDS' }],
    });
    assert.equal(fixesOf(s).find((f) => f.flavor === 'istio')?.target, 'Deployment shop/web');
  });
});

describe('how a workload patch is applied', () => {
  it('the Istio annotation is a patch of the existing Deployment, applied with kubectl patch', async () => {
    const { applyCommand } = await import('../../src/report/format.ts');
    assert.equal(applyCommand({ apply: 'kubectl-patch', target: 'Deployment shop/web' }), 'kubectl -n shop patch deployment web --patch-file FILE');
    assert.equal(
      applyCommand({ apply: 'kubectl-patch', target: 'DestinationRule shop/web' }),
      'kubectl -n shop patch destinationrule web --type merge --patch-file FILE',
    );
    assert.equal(applyCommand({ apply: 'kubectl-apply', target: 'EnvoyProxy home/eg-proxy' }), 'kubectl apply -f -');
    assert.equal(applyCommand({ apply: 'envoy-config', target: 'bootstrap stats_config' }), undefined);
  });
});
