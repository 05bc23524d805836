// Every Envoy Gateway and Istio object envoy-doctor renders is valid against those projects' published schemas
// (test/helpers/crd.ts: the schema models, and a probe proving every field a rendered object sets is declared).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RenderedFix } from '../../src/model/finding.ts';
import { diagnoseSamples, renderFor } from '../helpers/fix-coverage.ts';
import { problems } from '../helpers/crd.ts';

describe('rendered objects against the published schemas', async () => {
  const samples = await diagnoseSamples();
  const fixes: RenderedFix[] = [];
  for (const sample of samples.values()) {
    for (const rc of sample.rootCauses) {
      fixes.push(...rc.fixes.filter((f) => f.apply !== 'envoy-config'));
      fixes.push(...renderFor('istio', sample, rc));
    }
  }
  const kinds = [...new Set(fixes.map((f) => f.target.split(' ')[0]))].sort();
  it('renders every kind of object there is a fix for', () => {
    for (const kind of ['BackendTrafficPolicy', 'ClientTrafficPolicy', 'DestinationRule', 'EnvoyFilter'])
      assert.ok(kinds.includes(kind), `${kind} in ${kinds.join(', ')}`);
  });
  it('every rendered Envoy Gateway and Istio object is valid and sets only declared fields', () => {
    const seen = new Set<string>();
    const all: string[] = [];
    for (const fix of fixes) {
      if (seen.has(fix.text)) continue;
      seen.add(fix.text);
      all.push(...problems(fix));
    }
    assert.deepEqual(all, []);
  });
  it('the probe catches an unknown field and a malformed duration', () => {
    const bad: RenderedFix = {
      flavor: 'envoy-gateway',
      target: 'BackendTrafficPolicy home/x',
      apply: 'kubectl-apply',
      format: 'yaml',
      notes: [],
      text: 'apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: BackendTrafficPolicy\nmetadata: {name: x, namespace: home}\nspec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: x}]\n  tcpKeepAlive: {idleTime: 60s}\n',
    };
    assert.deepEqual(problems(bad), [
      'BackendTrafficPolicy home/x: spec.tcpKeepAlive is not declared by the schema',
      'BackendTrafficPolicy home/x: spec.tcpKeepAlive.idleTime is not declared by the schema',
    ]);
    const malformed = { ...bad, text: bad.text.replace('tcpKeepAlive: {idleTime: 60s}', 'tcpKeepalive: {idleTime: 60 s}') };
    assert.match(problems(malformed)[0] ?? '', /idleTime/);
  });
});
