// The lab merges envoy-doctor's printed plain-Envoy fixes into its bootstrap as an operator would: by the target the
// fix names, field by field, leaving every other field of the target and every other resource as it was.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyFix, applyFixes } from '../../lab/apply-fix.ts';
import { bootstrap, cluster, connectionManager, httpListener, route } from '../../lab/config.ts';

type Obj = Record<string, any>;

const base = () =>
  bootstrap(
    [
      httpListener(connectionManager([route('ws', '/', { timeout: '0s' }), route('api', '/api')], { stream_idle_timeout: '2s' }), {
        per_connection_buffer_limit_bytes: 32768,
      }),
    ],
    [
      cluster('backend', 8080, { per_connection_buffer_limit_bytes: 32768, circuit_breakers: { thresholds: [{ priority: 'HIGH', max_connections: 9 }] } }),
      cluster('other', 8081),
    ],
  );

const listener = (b: Obj) => b.static_resources.listeners[0];
const hcm = (b: Obj) => listener(b).filter_chains[0].filters[0].typed_config;

describe('applying printed plain-Envoy fixes to the lab bootstrap', () => {
  const cases: Array<{ name: string; target: string; text: string; check: (b: Obj) => void }> = [
    {
      name: 'a cluster fix sets its fields and keeps the rest of the cluster',
      target: 'cluster backend',
      text: 'name: backend\nper_connection_buffer_limit_bytes: 1048576\n',
      check: (b) => {
        assert.equal(b.static_resources.clusters[0].per_connection_buffer_limit_bytes, 1048576);
        assert.equal(b.static_resources.clusters[0].circuit_breakers.thresholds[0].max_connections, 9);
        assert.equal(b.static_resources.clusters[1].per_connection_buffer_limit_bytes, undefined);
      },
    },
    {
      name: 'a listener fix lands on the listener, not its filters',
      target: 'listener web',
      text: 'name: web\nper_connection_buffer_limit_bytes: 1048576\n',
      check: (b) => {
        assert.equal(listener(b).per_connection_buffer_limit_bytes, 1048576);
        assert.equal(hcm(b).stream_idle_timeout, '2s');
      },
    },
    {
      name: 'a connection manager fix lands in the filter with that stat_prefix',
      target: 'listener web: envoy.filters.network.http_connection_manager (stat_prefix web)',
      text: 'stream_idle_timeout: 3600s\n',
      check: (b) => {
        assert.equal(hcm(b).stream_idle_timeout, '3600s');
        assert.equal(hcm(b).stat_prefix, 'web');
        assert.equal(hcm(b).route_config.virtual_hosts[0].routes.length, 2);
      },
    },
    {
      name: 'a route fix merges into the route action of that route only',
      target: 'route api',
      text: 'name: api\nroute:\n  timeout: 0s\n',
      check: (b) => {
        const [ws, api] = hcm(b).route_config.virtual_hosts[0].routes;
        assert.deepEqual(api.route, { cluster: 'backend', timeout: '0s' });
        assert.deepEqual(ws.route, { cluster: 'backend', timeout: '0s' });
        assert.deepEqual(api.match, { prefix: '/api' });
      },
    },
    {
      name: 'a bootstrap fix merges at the top',
      target: 'bootstrap stats_config',
      text: 'stats_config:\n  stats_matcher:\n    inclusion_list:\n      patterns:\n        - prefix: cluster.\n',
      check: (b) => {
        assert.deepEqual(b.stats_config.stats_matcher.inclusion_list.patterns, [{ prefix: 'cluster.' }]);
        assert.equal(b.static_resources.clusters.length, 2);
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const before = base();
      const after = applyFix(before, { flavor: 'envoy', target: c.target, text: c.text });
      c.check(after);
      assert.deepEqual(before, base(), 'the original bootstrap is not changed');
    });
  }

  it('a fix whose target is not in the bootstrap is refused, naming it', () => {
    assert.throws(() => applyFix(base(), { flavor: 'envoy', target: 'cluster missing', text: 'name: missing\n' }), /cluster missing/);
    assert.throws(
      () => applyFix(base(), { flavor: 'envoy', target: 'listener web: envoy.filters.network.tcp_proxy (stat_prefix t)', text: 'idle_timeout: 1s\n' }),
      /tcp_proxy/,
    );
  });

  it('fixes of other flavors are skipped', () => {
    assert.deepEqual(applyFixes(base(), [{ flavor: 'istio', target: 'cluster backend', text: 'kind: EnvoyFilter\n' }]), base());
  });
});
