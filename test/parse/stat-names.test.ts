import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitStatName } from '../../src/parse/stat-names.ts';

describe('splitting stat names into entity and stat', () => {
  const cases: Array<[string, { kind: string; entity: string; stat: string } | undefined, object?]> = [
    ['cluster.httproute/home/ha/rule/0.upstream_cx_active', { kind: 'cluster', entity: 'httproute/home/ha/rule/0', stat: 'upstream_cx_active' }],
    [
      'cluster.outbound|9080||reviews.default.svc.cluster.local.upstream_flow_control_paused_reading_total',
      { kind: 'cluster', entity: 'outbound|9080||reviews.default.svc.cluster.local', stat: 'upstream_flow_control_paused_reading_total' },
    ],
    ['cluster.xds-grpc.circuit_breakers.default.cx_open', { kind: 'cluster', entity: 'xds-grpc', stat: 'circuit_breakers_default_cx_open' }],
    ['cluster.in.0000.upstream_rq_200', { kind: 'cluster', entity: 'in.0000', stat: 'upstream_rq_200' }],
    ['http.https-10443.downstream_rq_idle_timeout', { kind: 'http', entity: 'https-10443', stat: 'downstream_rq_idle_timeout' }],
    ['http.inbound_0.0.0.0_8080.downstream_cx_active', { kind: 'http', entity: 'inbound_0.0.0.0_8080', stat: 'downstream_cx_active' }],
    [
      'http.https-10443.user_agent.ios.downstream_cx_destroy_remote_active_rq',
      { kind: 'http', entity: 'https-10443', stat: 'user_agent_ios_downstream_cx_destroy_remote_active_rq' },
    ],
    ['listener.0.0.0.0_10443.downstream_cx_active', { kind: 'listener', entity: '0.0.0.0_10443', stat: 'downstream_cx_active' }],
    ['listener.[__]_443.downstream_cx_overflow', { kind: 'listener', entity: '[__]_443', stat: 'downstream_cx_overflow' }],
    ['tcp.passthrough.idle_timeout', { kind: 'tcp', entity: 'passthrough', stat: 'idle_timeout' }],
    ['server.uptime', undefined],
    ['cluster_manager.active_clusters', undefined],
    // A cluster name that itself looks like a stat family is split exactly when the config names it.
    [
      'cluster.upstream_a.b.upstream_cx_active',
      { kind: 'cluster', entity: 'upstream_a.b', stat: 'upstream_cx_active' },
      { cluster: new Set(['upstream_a.b']) },
    ],
  ];
  for (const [name, want, known] of cases) {
    it(name, () => assert.deepEqual(splitStatName(name, known ?? {}), want));
  }
});
