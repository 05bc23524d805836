// Config dumps that are damaged, mutated or made up: whatever the bytes, parseConfigDocument returns a model or
// refuses the input with the documented one-line InputError, within a deadline, with a model no larger than its
// input, and the diagnosis of any model it returns runs to the end.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { diagnose } from '../../src/cli/diagnosis.ts';
import { assembleSnapshot } from '../../src/parse/assemble.ts';
import type { ParsedConfig } from '../../src/parse/config-dump.ts';
import { parseConfigDocument } from '../../src/parse/config-document.ts';
import { parseConfigDumpChunks } from '../../src/parse/config-stream.ts';
import { byteDamage, damage, edgeNumberText, hostileName, modelOrInputError, modelOrInputErrorAsync, settings, ROOT } from './harness.ts';
import { mutate, mutation, serialize } from './json-mutation.ts';

const SOURCE = 'dump.json';

/** Real dumps to start from: every sample, the format fixtures, and the shared corpus when it is beside the checkout. */
function bases(): Array<{ name: string; doc: unknown }> {
  const out: Array<{ name: string; doc: unknown }> = [];
  for (const s of readdirSync(join(ROOT, 'samples'))) {
    const p = join(ROOT, 'samples', s, 'config_dump.json');
    if (existsSync(p)) out.push({ name: `samples/${s}`, doc: JSON.parse(readFileSync(p, 'utf8')) });
  }
  for (const f of ['home-assistant.egctl.json', 'two-pods.egctl.json']) {
    out.push({ name: f, doc: JSON.parse(readFileSync(join(ROOT, 'test/fixtures/formats', f), 'utf8')) });
  }
  const corpus = join(ROOT, '../shared/corpus');
  for (const f of ['istio/config_dump.json', 'kuma/full_config.json', 'envoy-gateway/config_dump.in.all.json']) {
    if (existsSync(join(corpus, f))) out.push({ name: f, doc: JSON.parse(readFileSync(join(corpus, f), 'utf8')) });
  }
  return out;
}

const BASES = bases();

/** Model size against input size: one resource takes at least a few bytes of input, whatever its shape. */
function assertBounded(configs: ParsedConfig[], bytes: Buffer): void {
  let entities = 0;
  for (const c of configs) {
    entities += c.clusters.size + c.listeners.length + c.routes.length;
    for (const l of c.listeners) entities += l.filterChains.length;
    assert.equal(typeof c.id, 'string');
  }
  assert.ok(configs.length + entities <= bytes.length, `${configs.length} proxies and ${entities} entities from ${bytes.length} bytes`);
}

/** Every number in the model is a finite number: the analyzers compute with them. */
function assertFiniteNumbers(value: unknown, at = 'model', seen = new Set<unknown>()): void {
  if (typeof value === 'number') {
    assert.ok(Number.isFinite(value), `${at} is ${value}`);
    return;
  }
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (value instanceof Map) for (const [k, v] of value) assertFiniteNumbers(v, `${at}[${String(k)}]`, seen);
  else for (const [k, v] of Object.entries(value)) assertFiniteNumbers(v, `${at}.${k}`, seen);
}

function check(bytes: Buffer): ParsedConfig[] | undefined {
  const configs = modelOrInputError(SOURCE, () => parseConfigDocument(bytes, SOURCE, 'fallback'));
  if (configs) {
    assertBounded(configs, bytes);
    assertFiniteNumbers(configs);
  }
  return configs;
}

const KEYS = [
  '@type',
  'name',
  'configs',
  'bootstrap',
  'node',
  'id',
  'metadata',
  'static_clusters',
  'dynamic_active_clusters',
  'cluster',
  'static_listeners',
  'dynamic_listeners',
  'active_state',
  'warming_state',
  'listener',
  'static_route_configs',
  'dynamic_route_configs',
  'route_config',
  'virtual_hosts',
  'routes',
  'route',
  'domains',
  'filter_chains',
  'filters',
  'typed_config',
  'stat_prefix',
  'address',
  'socket_address',
  'port_value',
  'per_connection_buffer_limit_bytes',
  'perConnectionBufferLimitBytes',
  'circuit_breakers',
  'thresholds',
  'max_connections',
  'timeout',
  'idle_timeout',
  'stream_idle_timeout',
  'upgrade_configs',
  'upgrade_type',
  'enabled',
  'weighted_clusters',
  'clusters',
  'transport_socket',
  'common_tls_context',
  'alpn_protocols',
  'typed_extension_protocol_options',
  'explicit_http_config',
  'http2_protocol_options',
  'common_http_protocol_options',
  'max_connection_duration',
  'max_stream_duration',
  'socket_options',
  'level',
  'int_value',
  'tcp_keepalive',
  'upstream_connection_options',
  'keepalive_time',
  'stats_config',
  'stats_matcher',
  'inclusion_list',
  'patterns',
  'prefix',
  'safe_regex',
  'reject_all',
  'deferred_stat_options',
  'user_agent_build_version',
  'version',
  'major_number',
  'filter_metadata',
  'envoy-gateway',
  'resources',
  'kind',
  'namespace',
  'seconds',
  'nanos',
  'value',
  'rds',
  'route_config_name',
  'http_filters',
  'disabled',
  'typed_per_filter_config',
  'default_filter_chain',
  'connect_timeout',
  'load_assignment',
  'xds',
];
const TYPES = [
  'BootstrapConfigDump',
  'ClustersConfigDump',
  'ListenersConfigDump',
  'RoutesConfigDump',
  'SecretsConfigDump',
  'StaticCluster',
  'DynamicCluster',
  'StaticListener',
  'DynamicListener',
  'StaticRouteConfig',
  'DynamicRouteConfig',
  'Cluster',
  'Listener',
  'RouteConfiguration',
  'HttpConnectionManager',
  'TcpProxy',
  'UpstreamTlsContext',
  'DownstreamTlsContext',
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
].map((t) => `type.googleapis.com/envoy.admin.v3.${t}`);

/** Documents made from the parser's own vocabulary, so generated cases reach deep into it. */
const madeUpDump: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(hostileName, fc.constantFrom(...TYPES), fc.constantFrom('1s', '0.5s', '-3s', '3600s', 'HIGH', 'websocket', 'CONNECT', 'true')),
    fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)),
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('node'), { maxKeys: 6 }),
  ),
  doc: fc.record({
    configs: fc.array(
      fc.dictionary(fc.constantFrom(...KEYS), tie('node'), { maxKeys: 6 }).map((o) => ({ '@type': TYPES[Object.keys(o).length % TYPES.length], ...o })),
      { maxLength: 6 },
    ),
  }),
})).doc;

describe('config dumps: a model or the documented input error, never anything else', () => {
  it('real dumps with structural mutations (dropped, duplicated, retyped, renamed and copied keys; deep nesting; NaN, Infinity and huge numbers)', () => {
    fc.assert(
      fc.property(fc.nat(BASES.length - 1), fc.array(mutation, { minLength: 1, maxLength: 6 }), (base, mutations) => {
        check(Buffer.from(serialize(mutate((BASES[base] as { doc: unknown }).doc, mutations))));
      }),
      settings(150),
    );
  });

  it('real dumps with byte damage (truncation, invalid UTF-8, BOMs, CRLF, NUL bytes, spliced tokens)', () => {
    const texts = BASES.map((b) => Buffer.from(JSON.stringify(b.doc, null, b.name.length % 2 === 0 ? 2 : undefined)));
    fc.assert(
      fc.property(fc.nat(texts.length - 1), fc.array(byteDamage, { minLength: 1, maxLength: 4 }), (base, damages) => {
        check(damages.reduce(damage, texts[base] as Buffer));
      }),
      settings(150, 1),
    );
  });

  it('the same dumps as YAML, damaged and mutated', () => {
    // The three smallest dumps, whether or not the shared corpus is beside the checkout: YAML rendering is slow on big ones.
    const small = [...BASES].sort((a, b) => JSON.stringify(a.doc).length - JSON.stringify(b.doc).length).slice(0, 3);
    assert.ok(small.length > 0, 'no config dump to start from');
    fc.assert(
      fc.property(fc.nat(small.length - 1), fc.array(mutation, { maxLength: 3 }), fc.array(byteDamage, { maxLength: 2 }), (base, mutations, damages) => {
        const tree = JSON.parse(
          JSON.stringify(
            mutate(
              (small[base] as { doc: unknown }).doc,
              mutations.filter((m) => m.op !== 'raw' && m.op !== 'nest'),
            ),
          ),
        );
        check(damages.reduce(damage, Buffer.from(toYaml(tree))));
      }),
      settings(30, 2),
    );
  });

  it('documents made from the parser vocabulary, as JSON, YAML and egctl wrappers', () => {
    fc.assert(
      fc.property(madeUpDump, fc.constantFrom('json', 'yaml', 'egctl', 'xds', 'list'), hostileName, (doc, shape, pod) => {
        const wrapped =
          shape === 'egctl'
            ? { [pod]: { [pod]: doc } }
            : shape === 'xds'
              ? { xds: { [pod]: doc } }
              : shape === 'list'
                ? (doc as { configs: unknown[] }).configs
                : doc;
        check(Buffer.from(shape === 'yaml' ? toYaml(wrapped) : JSON.stringify(wrapped)));
      }),
      settings(400, 3),
    );
  });

  it('arbitrary text and bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 300 }).map((s) => Buffer.from(s)),
          fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
          fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v))),
          edgeNumberText.map((t) =>
            Buffer.from(
              `{"configs":[{"@type":"type.googleapis.com/envoy.admin.v3.ClustersConfigDump","static_clusters":[{"cluster":{"name":"c","per_connection_buffer_limit_bytes":${t}}}]}]}`,
            ),
          ),
        ),
        (bytes) => {
          check(bytes);
        },
      ),
      settings(400, 4),
    );
  });

  it('YAML anchors and aliases cannot make a model much larger than the document', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 1200 }), (routes, refs) => {
        const list = Array.from({ length: routes }, (_, i) => `  - {name: r${i}}`).join('\n');
        const aliases = Array.from({ length: refs }, () => '        - *vh').join('\n');
        const yaml = `defs:\n - &vh\n  name: vh\n  routes:\n${list}\nconfigs:\n- "@type": type.googleapis.com/envoy.admin.v3.RoutesConfigDump\n  static_route_configs:\n  - route_config:\n      name: rc\n      virtual_hosts:\n${aliases}\n`;
        check(Buffer.from(yaml));
      }),
      settings(25, 5),
    );
  });

  it('the diagnosis of any dump the parser accepts runs to the end', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(BASES.length - 1), fc.array(mutation, { minLength: 1, maxLength: 4 }), async (base, mutations) => {
        const configs = check(Buffer.from(serialize(mutate((BASES[base] as { doc: unknown }).doc, mutations))));
        if (!configs) return;
        const d = await diagnose(configs.map((config) => assembleSnapshot({ id: config.id, config, inputs: { configDump: SOURCE } })));
        assert.ok(Array.isArray(d.findings));
      }),
      settings(40, 6),
    );
  });
});

/** The bytes in chunks of the given sizes (cycled), as a reader of a file or a response body would give them. */
async function* chunked(bytes: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = sizes[i % sizes.length] as number;
    yield bytes.subarray(at, at + n);
    at += n;
  }
}

describe('config dumps read as a stream: the model of the whole-document parse, or the documented input error, wherever the chunks split', () => {
  const chunkSizes = fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 5 });
  async function checkStreamed(bytes: Buffer, sizes: number[]): Promise<void> {
    const configs = await modelOrInputErrorAsync(SOURCE, () => parseConfigDumpChunks(chunked(bytes, sizes), SOURCE, 'fallback'));
    if (configs) {
      assertBounded(configs, bytes);
      assertFiniteNumbers(configs);
    }
    // Repeated keys, a late or repeated @type and both spellings of a member are read as JSON.parse reads them.
    assert.deepEqual(
      configs,
      modelOrInputError(SOURCE, () => parseConfigDocument(bytes, SOURCE, 'fallback')),
    );
  }
  it('real dumps, mutated and damaged, in random chunks', async () => {
    const texts = BASES.map((b) => Buffer.from(JSON.stringify(b.doc)));
    await fc.assert(
      fc.asyncProperty(
        fc.nat(BASES.length - 1),
        fc.array(mutation, { maxLength: 4 }),
        fc.array(byteDamage, { maxLength: 3 }),
        chunkSizes,
        async (base, mutations, damages, sizes) => {
          const bytes = mutations.length > 0 ? Buffer.from(serialize(mutate((BASES[base] as { doc: unknown }).doc, mutations))) : (texts[base] as Buffer);
          await checkStreamed(damages.reduce(damage, bytes), sizes);
        },
      ),
      settings(120, 7),
    );
  });
  it('documents made from the parser vocabulary and egctl wrappers, in random chunks', async () => {
    await fc.assert(
      fc.asyncProperty(madeUpDump, fc.boolean(), chunkSizes, async (doc, wrapped, sizes) => {
        await checkStreamed(Buffer.from(JSON.stringify(wrapped ? { ns: { pod: doc } } : doc)), sizes);
      }),
      settings(120, 8),
    );
  });
});
