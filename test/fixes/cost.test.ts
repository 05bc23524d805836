// What a fix costs, from the proxy's own numbers: a buffer raise times the connections open through that listener
// or cluster; a raised max_stream_duration still ends streams.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FixChange } from '../../src/model/finding.ts';
import { fixesFor } from '../helpers/root-cause.ts';
import { clusterStats, fixture, gatewayCluster, gatewayListener, routeConfig } from '../helpers/snapshot.ts';

const C = 'httproute/home/app/rule/0';
const L = 'home/eg/https';

/** The fixes of these changes on an Envoy Gateway proxy with these cluster stats. */
function gatewayFixes(changes: FixChange[], stats?: Record<string, number>, statsLater?: Record<string, number>) {
  const s = fixture({
    bootstrap: { node: { cluster: 'home/eg' } },
    clusters: [gatewayCluster(C)],
    listeners: [gatewayListener()],
    routeConfigs: [routeConfig(L, [C])],
    ...(stats ? { stats } : {}),
    ...(statsLater ? { statsLater, intervalSeconds: 30 } : {}),
  });
  return fixesFor(s, changes);
}

describe('fix cost', () => {
  const changes: FixChange[] = [
    { kind: 'cluster-buffer-limit', cluster: C, bytes: 1_048_576 },
    { kind: 'listener-buffer-limit', listener: L, bytes: 1_048_576 },
  ];
  it('a buffer raise costs the limit times the open connections, per side, from the later sample', () => {
    const fixes = gatewayFixes(
      changes,
      { ...clusterStats(C, { upstream_cx_active: 60 }), 'http.https-10443.downstream_cx_active': 100 },
      { ...clusterStats(C, { upstream_cx_active: 68 }), 'http.https-10443.downstream_cx_active': 120 },
    );
    const costs = (target: string) =>
      fixes
        .find((f) => f.flavor === 'envoy' && f.target === target)
        ?.notes.filter((n) => n.code === 'buffer-raise-cost')
        .map((n) => n.values);
    assert.deepEqual(costs(`cluster ${C}`), [{ resource: `cluster ${C}`, limitBytes: 1_048_576, connections: 68, worstCaseBytes: 71_303_168 }]);
    assert.deepEqual(costs(`listener ${L}`), [{ resource: `listener ${L}`, limitBytes: 1_048_576, connections: 120, worstCaseBytes: 125_829_120 }]);
    // The same numbers on every flavor's object.
    const policy = fixes.find((f) => f.target.startsWith('BackendTrafficPolicy'));
    assert.deepEqual(policy?.notes.find((n) => n.code === 'buffer-raise-cost')?.values.worstCaseBytes, 71_303_168);
  });
  it('without stats the cost is per connection, and says so', () => {
    const fixes = gatewayFixes(changes);
    const fix = fixes.find((f) => f.flavor === 'envoy' && f.target === `cluster ${C}`);
    assert.deepEqual(fix?.notes.find((n) => n.code.startsWith('buffer-raise-cost'))?.values, { resource: `cluster ${C}`, limitBytes: 1_048_576 });
    assert.equal(fix?.notes.find((n) => n.code.startsWith('buffer-raise-cost'))?.code, 'buffer-raise-cost-unknown');
  });
  it("the pods of a deployment share one fix: the cost per connection, not one pod's count", () => {
    const s = fixture({ clusters: [gatewayCluster(C)], stats: clusterStats(C, { upstream_cx_active: 68 }) });
    s.owner = 'deployment shop/web';
    const fixes = fixesFor(s, [changes[0] as FixChange]);
    const fix = fixes.find((f) => f.flavor === 'envoy');
    assert.deepEqual(fix?.notes.find((n) => n.code.startsWith('buffer-raise-cost'))?.values, { resource: `cluster ${C}`, limitBytes: 1_048_576 });
    assert.equal(fix?.notes.find((n) => n.code.startsWith('buffer-raise-cost'))?.code, 'buffer-raise-cost-per-pod');
  });
  it('a raised max_stream_duration says it still ends streams at that age', () => {
    const fixes = gatewayFixes([{ kind: 'listener-max-stream-duration', listener: L, ms: 86_400_000 }]);
    const codes = fixes.flatMap((f) => f.notes.filter((n) => n.code === 'max-stream-duration-still-ends-streams').map((n) => n.values.maxStreamMs));
    assert.ok(codes.length >= 2, 'on the Envoy Gateway and the plain Envoy fix');
    assert.ok(codes.every((ms) => ms === 86_400_000));
  });
});
