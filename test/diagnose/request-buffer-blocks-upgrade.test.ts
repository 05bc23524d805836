import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { run } from '../helpers/cli.ts';

describe('request-buffer-blocks-upgrade', () => {
  it('samples/request-buffer-blocks-upgrade: error, high, the route named, buffering turned off per flavor', async () => {
    const r = await run(['analyze', 'samples/request-buffer-blocks-upgrade', '-o', 'json']);
    const report = JSON.parse(r.stdout) as { rootCauses: Array<{ id: string; severity: string; confidence: string; entities: Array<{ name: string }>; fixes: Array<{ flavor: string; target: string; text: string }> }> };
    const rc = report.rootCauses[0];
    assert.equal(rc?.id, 'request-buffer-blocks-upgrade');
    assert.equal(rc?.severity, 'error');
    assert.equal(rc?.confidence, 'high');
    assert.deepEqual(rc?.entities.map((e) => e.name), ['httproute/home/home-assistant-app/rule/0/match/0/ha_example_com']);
    const envoy = parse(rc?.fixes.find((f) => f.flavor === 'envoy')?.text ?? '');
    assert.deepEqual(envoy.typed_per_filter_config, {
      'envoy.filters.http.buffer': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute', disabled: true },
    });
    const eg = rc?.fixes.find((f) => f.flavor === 'envoy-gateway');
    assert.equal(eg?.target, 'BackendTrafficPolicy home/home-assistant-buffering');
    const policy = parse(eg?.text ?? '');
    assert.equal(policy.spec.requestBuffer, undefined, 'requestBuffer removed from the winning policy');
    assert.deepEqual(policy.spec.timeout, { http: { requestTimeout: '30s' } }, 'its other fields kept');
  });

  it('without the live policies, the Envoy Gateway fix is a note to remove requestBuffer', async () => {
    const r = await run(['analyze', '--config-dump', 'samples/request-buffer-blocks-upgrade/config_dump.json', '--stats', 'samples/request-buffer-blocks-upgrade/stats.txt', '-o', 'json']);
    const report = JSON.parse(r.stdout) as { rootCauses: Array<{ id: string; fixes: Array<{ flavor: string; notes: Array<{ code: string; values: Record<string, unknown> }> }> }> };
    const rc = report.rootCauses.find((x) => x.id === 'request-buffer-blocks-upgrade');
    const eg = rc?.fixes.find((f) => f.flavor === 'envoy-gateway');
    assert.ok(eg?.notes.some((n) => n.code === 'remove-policy-field' && n.values.field === 'requestBuffer'));
  });

  it('samples/request-buffer-blocks-upgrade-healthy names nothing', async () => {
    const r = await run(['analyze', 'samples/request-buffer-blocks-upgrade-healthy', '-o', 'json']);
    assert.equal(r.code, 0);
    assert.deepEqual((JSON.parse(r.stdout) as { rootCauses: unknown[] }).rootCauses, []);
  });
});
