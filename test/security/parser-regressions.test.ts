// Inputs the property tests found that once crashed a parser or let a small document stand for a huge model; each
// is now refused with the documented one-line InputError or parsed, never a crash.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigDocument } from '../../src/parse/config-document.ts';
import { detectKind } from '../../src/parse/detect.ts';
import { parseDurationMs, protoDurationMs } from '../../src/parse/durations.ts';
import { InputError } from '../../src/parse/input-error.ts';

const clusterWith = (limit: string) =>
  Buffer.from(
    `{"configs":[{"@type":"type.googleapis.com/envoy.admin.v3.ClustersConfigDump","static_clusters":[{"cluster":{"name":"c","per_connection_buffer_limit_bytes":${limit}}}]}]}`,
  );

describe('config dump parser regressions', () => {
  it('a number wrapped 20,000 levels deep is no number, not a stack overflow', () => {
    const deep = `${'{"value":'.repeat(20_000)}1${'}'.repeat(20_000)}`;
    const [config] = parseConfigDocument(clusterWith(deep), 'deep.json', 'p');
    assert.deepEqual(config?.clusters.get('c')?.bufferLimitBytes, { value: 1_048_576, source: 'envoy-default' });
    const [wrapped] = parseConfigDocument(clusterWith('{"value":"4096"}'), 'wrapped.json', 'p');
    assert.deepEqual(wrapped?.clusters.get('c')?.bufferLimitBytes, { value: 4096, source: 'explicit' });
  });

  it('a route configuration with 200,000 routes parses (no spread of the routes as call arguments)', () => {
    const routes = Array.from({ length: 200_000 }, () => '{}').join(',');
    const dump = `{"configs":[{"@type":"type.googleapis.com/envoy.admin.v3.RoutesConfigDump","static_route_configs":[{"route_config":{"name":"rc","virtual_hosts":[{"name":"vh","routes":[${routes}]}]}}]}]}`;
    const [config] = parseConfigDocument(Buffer.from(dump), 'routes.json', 'p');
    assert.equal(config?.routes.length, 200_000);
    assert.equal(config?.routes[199_999]?.name, 'vh/routes/199999');
  });

  it('YAML aliases are refused: 15 routes referenced 414 times would have made 6,210 routes of 6,210 bytes', () => {
    const list = Array.from({ length: 15 }, (_, i) => `  - {name: r${i}}`).join('\n');
    const aliases = Array.from({ length: 414 }, () => '        - *vh').join('\n');
    const yaml = `defs:\n - &vh\n  name: vh\n  routes:\n${list}\nconfigs:\n- "@type": type.googleapis.com/envoy.admin.v3.RoutesConfigDump\n  static_route_configs:\n  - route_config:\n      name: rc\n      virtual_hosts:\n${aliases}\n`;
    assert.throws(
      () => parseConfigDocument(Buffer.from(yaml), 'aliases.yaml', 'p'),
      (err: unknown) => {
        assert.ok(err instanceof InputError);
        assert.match(err.message, /^aliases\.yaml: YAML aliases \(\*name\) are not expanded; expected an Envoy \/config_dump/);
        return true;
      },
    );
    const anchorsOnly = 'configs:\n- "@type": type.googleapis.com/envoy.admin.v3.ClustersConfigDump\n  static_clusters:\n  - cluster: &c {name: c}\n';
    assert.equal(parseConfigDocument(Buffer.from(anchorsOnly), 'anchors.yaml', 'p')[0]?.clusters.size, 1);
  });

  it('invalid JSON is refused on one line, even when the text around the error spans lines (a second BOM)', () => {
    const text = Buffer.from('\uFEFF\uFEFF{\n  "configs": []\n}\n');
    assert.throws(
      () => parseConfigDocument(text, 'bom.json', 'p'),
      (err: unknown) => {
        assert.ok(err instanceof InputError);
        assert.match(err.message, /^bom\.json: invalid or truncated JSON \(/);
        assert.doesNotMatch(err.message, /[\r\n]/);
        return true;
      },
    );
  });
});

describe('content detection regressions', () => {
  it('a 64 KiB line of dots is classified in linear time (was 3 s: two greedy runs around a dot backtracked)', () => {
    const line = `${'a.'.repeat(32_000)} 1\n`;
    const started = performance.now();
    assert.equal(detectKind(Buffer.from(line)), 'unknown');
    assert.ok(performance.now() - started < 250, `${performance.now() - started} ms`);
    assert.equal(detectKind(Buffer.from('cluster.a.upstream_cx_total: 1\nserver.uptime: 5\n')), 'stats-text');
    assert.equal(detectKind(Buffer.from('#a.b: 1\n')), 'unknown');
    assert.equal(detectKind(Buffer.from('a#.b: 1\n')), 'unknown');
    assert.equal(detectKind(Buffer.from('a.b#c: 1\n')), 'stats-text');
  });
});

describe('duration regressions', () => {
  it('durations that overflow to Infinity are no durations', () => {
    assert.equal(protoDurationMs({ seconds: '-1.797693134862316e+305', nanos: '0' }), undefined);
    assert.equal(protoDurationMs(`${'9'.repeat(400)}s`), undefined);
    assert.equal(parseDurationMs(`${'9'.repeat(400)}h`), undefined);
    assert.equal(protoDurationMs('1.5s'), 1500);
    assert.equal(protoDurationMs({ seconds: '2', nanos: 500_000_000 }), 2500);
    assert.equal(parseDurationMs('1m30s'), 90_000);
  });

  it('a route timeout of 400 nines seconds leaves the route on the default timeout, never on Infinity', () => {
    const dump = `{"configs":[{"@type":"type.googleapis.com/envoy.admin.v3.RoutesConfigDump","static_route_configs":[{"route_config":{"name":"rc","virtual_hosts":[{"name":"vh","routes":[{"route":{"cluster":"c","timeout":"${'9'.repeat(400)}s"}}]}]}}]}]}`;
    const [config] = parseConfigDocument(Buffer.from(dump), 'timeout.json', 'p');
    assert.deepEqual(config?.routes[0]?.timeoutMs, { value: 15_000, source: 'envoy-default' });
  });
});
