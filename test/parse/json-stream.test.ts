// The streaming JSON scanner and the streamed config dump reader: chunk boundaries anywhere, escapes, unicode,
// byte-order marks, truncation, syntax errors, skipped parts never decoded, and the rebuilt document equal to
// JSON.parse of the whole one minus what is skipped.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigDocument } from '../../src/parse/config-document.ts';
import { parseConfigDumpChunks, parseJsonConfigChunks, SKIPPED_CONFIG_KEYS } from '../../src/parse/config-stream.ts';
import { InputError } from '../../src/parse/input-error.ts';
import { scanJsonChunks } from '../../src/parse/json-stream.ts';
import type { Decision, JsonStreamHandler, PathPart, ValueKind } from '../../src/parse/json-stream-handler.ts';

const T = 'type.googleapis.com/envoy.admin.v3';

/** A small dump with the awkward parts: escapes, multi-byte UTF-8, escaped keys, keys out of order, EDS and secrets. */
const DUMP_TEXT = `\uFEFF{
 "configs": [
  {"bootstrap": {"node": {"id": "sidecar~10.0.0.1~web-1.shop~shop.svc.cluster.local", "metadata": {"ISTIO_VERSION": "1.29"}}}, "@type": "${T}.BootstrapConfigDump"},
  {
   "\\u0040type": "${T}.ClustersConfigDump",
   "dynamic_active_clusters": [
    {"cluster": {"name": "outbound|80||caf\u00e9.shop.svc.cluster.local", "per_connection_buffer_limit_bytes": 32768, "alt_stat_name": "q\\"uo\\\\te\\\\\\"d \\ud83d\\ude00 \u{1F600}"}},
    {"cluster": {"name": "brackets", "description": "[{]}\\\\", "circuit_breakers": {"thresholds": [{"priority": "HIGH", "max_connections": "7"}]}}},
    {"cluster": {"name": "empty", "x": [], "y": {}, "z": [[], [{}], ""]}}
   ],
   "static_clusters": [],
   "version_info": "v\\"1"
  },
  {"dynamic_listeners": [{"name": "l", "active_state": {"listener": {"name": "l", "address": {"socket_address": {"address": "0.0.0.0", "port_value": 8080}},
    "filter_chains": [{"filters": [{"name": "envoy.filters.network.http_connection_manager", "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
    "stat_prefix": "ingress_\u00fc", "route_config": {"name": "inline", "virtual_hosts": [{"name": "vh", "domains": ["*"], "routes": [{"match": {"prefix": "/"}, "route": {"cluster": "brackets", "timeout": "0s"}}]}]}}}]}]}}}],
   "@type": "${T}.ListenersConfigDump"},
  {"@type": "${T}.SecretsConfigDump", "dynamic_active_secrets": [{"name": "s", "secret": {"tls_certificate": {"private_key": {"inline_string": "SECRET-MARKER \\" ]}"}}}}], "static_secrets": []},
  {"@type": "${T}.EndpointsConfigDump", "dynamic_endpoint_configs": [{"endpoint_config": {"cluster_name": "ENDPOINT-MARKER", "endpoints": [{"lb_endpoints": [{"endpoint": {}}]}]}}]},
  {"@type": "${T}.RoutesConfigDump", "dynamic_route_configs": [{"route_config": {"name": "r", "virtual_hosts": [{"name": "v", "domains": ["a"], "routes": [{"name": "n", "match": {"prefix": "/"}, "route": {"cluster": "empty", "idle_timeout": "1.5s", "upgrade_configs": [{"upgrade_type": "WebSocket"}]}}]}]}}]}
 ]
}
`;
const DUMP = Buffer.from(DUMP_TEXT, 'utf8');

async function* chunksOf(bytes: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (const cut of cuts) {
    yield bytes.subarray(at, cut);
    at = cut;
  }
  yield bytes.subarray(at);
}

async function* fixedChunks(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** JSON.parse of the whole document with the skipped keys of every `configs[]` entry removed. */
function expectedDocument(bytes: Buffer): unknown {
  const doc = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, '')) as { configs: Array<Record<string, unknown>> };
  for (const entry of doc.configs) for (const key of SKIPPED_CONFIG_KEYS) delete entry[key];
  return doc;
}

/** Rebuilds the document the way the config reader does, for comparing documents rather than models. */
class Rebuild implements JsonStreamHandler {
  root: unknown;
  private readonly stack: Array<Record<string, unknown> | unknown[]> = [];
  private readonly rule: (path: readonly PathPart[], kind: ValueKind) => Decision;
  constructor(rule: (path: readonly PathPart[], kind: ValueKind) => Decision) {
    this.rule = rule;
  }
  decide(path: readonly PathPart[], kind: ValueKind): Decision {
    return this.rule(path, kind);
  }
  enter(path: readonly PathPart[], kind: 'object' | 'array'): void {
    const c = kind === 'object' ? {} : [];
    this.place(path, c);
    this.stack.push(c);
  }
  value(path: readonly PathPart[], value: unknown): void {
    this.place(path, value);
  }
  leave(): void {
    this.stack.pop();
  }
  private place(path: readonly PathPart[], value: unknown): void {
    const top = this.stack.at(-1);
    if (top === undefined) this.root = value;
    else if (Array.isArray(top)) top.push(value);
    else Object.defineProperty(top, path.at(-1) as string, { value, enumerable: true, writable: true, configurable: true });
  }
}

function inputError(source: string, pattern: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof InputError, `expected an InputError, got ${String(err)}`);
    assert.ok(err.message.startsWith(`${source}: `), err.message);
    assert.doesNotMatch(err.message, /\n/);
    assert.match(err.message, pattern);
    return true;
  };
}

describe('the streamed config dump equals the whole-document parse', () => {
  const whole = parseConfigDocument(DUMP, 'dump.json', 'dump');

  it('holds what the dump holds (the fixture is not trivially empty)', () => {
    const [c] = whole;
    assert.equal(c?.flavor, 'istio');
    assert.deepEqual([...(c?.clusters.keys() ?? [])], ['outbound|80||caf\u00e9.shop.svc.cluster.local', 'brackets', 'empty']);
    assert.equal(c?.clusters.get('outbound|80||caf\u00e9.shop.svc.cluster.local')?.statName, 'q"uo\\te\\"d \u{1F600} \u{1F600}');
    assert.equal(c?.listeners[0]?.filterChains[0]?.connectionManager?.statPrefix, 'ingress_\u00fc');
    assert.equal(c?.routes.length, 2);
  });

  it('with the input cut in two at every byte', async () => {
    for (let cut = 0; cut <= DUMP.length; cut++) {
      const streamed = await parseConfigDumpChunks(chunksOf(DUMP, [cut]), 'dump.json', 'dump');
      assert.deepEqual(streamed, whole, `cut at byte ${cut}`);
    }
  });

  it('with the input in chunks of 1, 2, 3, 7 and 64 bytes', async () => {
    for (const size of [1, 2, 3, 7, 64]) {
      assert.deepEqual(await parseConfigDumpChunks(fixedChunks(DUMP, size), 'dump.json', 'dump'), whole, `chunks of ${size}`);
    }
  });

  it('rebuilds exactly JSON.parse of the document minus EDS and secrets, cut in three anywhere', async () => {
    const builder = new Rebuild((path, kind) => {
      if (path.length <= 1 || path.length === 2) return kind === 'scalar' ? 'emit' : 'descend';
      if (path.length === 3) return SKIPPED_CONFIG_KEYS.has(path[2] as string) ? 'skip' : kind === 'array' ? 'descend' : 'emit';
      return 'emit';
    });
    const expected = expectedDocument(DUMP);
    for (let a = 0; a < DUMP.length; a += 13) {
      for (let b = a; b < DUMP.length; b += 29) {
        const rebuild = new Rebuild((p, k) => builder.decide(p, k));
        await scanJsonChunks(chunksOf(DUMP, [a, b]), 'dump.json', rebuild, { expected: 'expected a dump' });
        assert.deepEqual(rebuild.root, expected, `cuts at ${a} and ${b}`);
      }
    }
  });

  it('reads keys in any order and a __proto__ key as an own property, as JSON.parse does', async () => {
    const text = `{"other": {"x": 1}, "__proto__": {"polluted": true}, "configs": [{"dynamic_active_clusters": [{"cluster": {"name": "c", "__proto__": {"per_connection_buffer_limit_bytes": 5}}}], "@type": "${T}.ClustersConfigDump"}]}`;
    const bytes = Buffer.from(text);
    assert.deepEqual(await parseConfigDumpChunks(fixedChunks(bytes, 5), 'd.json', 'd'), parseConfigDocument(bytes, 'd.json', 'd'));
    const rebuild = new Rebuild((_p, k) => (k === 'scalar' ? 'emit' : 'descend'));
    await scanJsonChunks(fixedChunks(bytes, 3), 'd.json', rebuild, { expected: 'x' });
    assert.deepEqual(rebuild.root, JSON.parse(text));
    assert.equal(({} as { polluted?: boolean }).polluted, undefined);
  });

  it('streams egctl-wrapped dumps and plain resource lists too', async () => {
    const dump = JSON.parse(DUMP_TEXT.slice(1)) as unknown;
    const wrapped = Buffer.from(JSON.stringify({ 'envoy-gateway-system': { 'envoy-eg-1': dump, 'envoy-eg-2': dump } }));
    assert.deepEqual(await parseConfigDumpChunks(fixedChunks(wrapped, 100), 'egctl.json', 'x'), parseConfigDocument(wrapped, 'egctl.json', 'x'));
    const list = Buffer.from(
      JSON.stringify([
        { name: 'c1', connect_timeout: '1s' },
        { name: 'l1', address: { socket_address: { address: '::', port_value: 1 } } },
      ]),
    );
    assert.deepEqual(await parseConfigDumpChunks(fixedChunks(list, 10), 'list.json', 'x'), parseConfigDocument(list, 'list.json', 'x'));
  });

  it('reads repeated members, a late or repeated @type and both spellings as JSON.parse does, wherever the input is cut', async () => {
    const cluster = (name: string) => `{"cluster": {"name": "${name}"}}`;
    const cases: Array<{ name: string; text: string; clusters: string[] }> = [
      {
        name: 'a repeated array member keeps its last value',
        text: `{"configs": [{"@type": "${T}.ClustersConfigDump", "dynamic_active_clusters": [${cluster('first')}], "static_clusters": [${cluster('s')}], "dynamic_active_clusters": [${cluster('last')}]}]}`,
        clusters: ['last', 's'],
      },
      {
        name: 'an array member repeated as an object reads nothing',
        text: `{"configs": [{"@type": "${T}.ClustersConfigDump", "dynamic_active_clusters": [${cluster('gone')}], "dynamic_active_clusters": {"cluster": {"name": "x"}}, "static_clusters": [${cluster('s')}]}]}`,
        clusters: ['s'],
      },
      {
        name: 'a repeated @type of another kind drops what was read under the first',
        text: `{"configs": [{"@type": "${T}.ClustersConfigDump", "dynamic_active_clusters": [${cluster('gone')}], "@type": "${T}.RoutesConfigDump"}, {"@type": "${T}.ClustersConfigDump", "static_clusters": [${cluster('kept')}]}]}`,
        clusters: ['kept'],
      },
      {
        name: '@type after some arrays and before others keeps the members in document order',
        text: `{"configs": [{"static_clusters": [${cluster('a')}], "@type": "${T}.ClustersConfigDump", "dynamic_active_clusters": [${cluster('b')}], "staticClusters": [${cluster('c')}]}]}`,
        clusters: ['a', 'b', 'c'],
      },
      {
        name: 'a resource per entry (?resource=) and a repeated entry cluster name',
        text: `{"configs": [{"@type": "${T}.DynamicCluster", "cluster": {"name": "x", "per_connection_buffer_limit_bytes": 1}}, {"@type": "${T}.StaticCluster", "cluster": {"name": "y"}}, {"@type": "${T}.DynamicCluster", "cluster": {"name": "x", "per_connection_buffer_limit_bytes": 2}}]}`,
        clusters: ['x', 'y'],
      },
    ];
    for (const c of cases) {
      const bytes = Buffer.from(c.text);
      const [whole] = parseConfigDocument(bytes, 'd.json', 'd');
      assert.deepEqual([...(whole?.clusters.keys() ?? [])], c.clusters, c.name);
      for (let cut = 0; cut <= bytes.length; cut += 3) {
        assert.deepEqual(await parseConfigDumpChunks(chunksOf(bytes, [cut]), 'd.json', 'd'), [whole], `${c.name}, cut at ${cut}`);
      }
    }
  });

  it('parses arrays of many elements in batches, in order', async () => {
    const clusters = Array.from({ length: 6000 }, (_, i) => ({
      cluster: { name: `c${i}`, per_connection_buffer_limit_bytes: i, description: 'x'.repeat(300) },
    }));
    const bytes = Buffer.from(JSON.stringify({ configs: [{ '@type': `${T}.ClustersConfigDump`, dynamic_active_clusters: clusters }] }));
    assert.ok(bytes.length > 2 * 1048576);
    const [c] = await parseConfigDumpChunks(fixedChunks(bytes, 65536), 'big.json', 'big');
    assert.deepEqual(
      [...(c?.clusters.values() ?? [])].map((x) => x.bufferLimitBytes.value),
      clusters.map((_, i) => (i === 0 ? 0 : i)),
    );
    assert.deepEqual(c, parseConfigDocument(bytes, 'big.json', 'big')[0]);
  });
});

describe('skipped parts are never decoded', () => {
  it('secrets and endpoints bytes never become strings, and invalid JSON inside them goes unread', async () => {
    const bad = Buffer.from(DUMP_TEXT.replace('"SECRET-MARKER', 'SECRET-MARKER not json').replace('"ENDPOINT-MARKER"', 'ENDPOINT-MARKER'));
    assert.throws(() => parseConfigDocument(bad, 'bad.json', 'x'), InputError);
    const decoded: string[] = [];
    const parse = JSON.parse;
    const bufferToString = Buffer.prototype.toString;
    JSON.parse = ((text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown) => {
      decoded.push(text);
      return parse(text, reviver);
    }) as typeof JSON.parse;
    Buffer.prototype.toString = function (this: Buffer, ...args: Parameters<Buffer['toString']>): string {
      const s = bufferToString.apply(this, args);
      decoded.push(s);
      return s;
    } as Buffer['toString'];
    let configs: Awaited<ReturnType<typeof parseConfigDumpChunks>>;
    try {
      configs = await parseConfigDumpChunks(fixedChunks(bad, 16), 'bad.json', 'x');
    } finally {
      JSON.parse = parse;
      Buffer.prototype.toString = bufferToString;
    }
    assert.equal(configs[0]?.clusters.size, 3);
    assert.ok(decoded.length > 10, 'the spies saw the kept parts');
    // The head (first 64 KiB) is decoded once to recognise the format; nothing after that sees the markers.
    const afterDetection = decoded.filter((s) => !s.startsWith('\uFEFF{') && !s.startsWith('{\n'));
    assert.deepEqual(
      afterDetection.filter((s) => s.includes('SECRET-MARKER') || s.includes('ENDPOINT-MARKER')),
      [],
    );
  });
});

describe('reading by line layout', () => {
  // DUMP laid out as Envoy's admin prints it: one member per line, one space deeper per level.
  const PRETTY = Buffer.from(JSON.stringify(JSON.parse(DUMP_TEXT.replace(/^\uFEFF/, '')), null, 1));
  const whole = parseConfigDocument(PRETTY, 'dump.json', 'dump');
  const skipRule = (path: readonly PathPart[], kind: ValueKind): Decision => {
    if (path.length <= 2) return kind === 'scalar' ? 'emit' : 'descend';
    if (path.length === 3) return SKIPPED_CONFIG_KEYS.has(path[2] as string) ? 'skip' : kind === 'array' ? 'descend' : 'emit';
    return 'emit';
  };

  it('skips EDS and secrets to their closing line, wherever the input is cut', async () => {
    const expected = expectedDocument(PRETTY);
    let cuts = 0;
    let bothSkipped = 0;
    for (let cut = 0; cut <= PRETTY.length; cut += 3) {
      const rebuild = new Rebuild(skipRule);
      const skipByLayout = { skipped: 0 };
      await scanJsonChunks(chunksOf(PRETTY, [cut]), 'dump.json', rebuild, { expected: 'x', skipByLayout });
      assert.deepEqual(rebuild.root, expected, `cut at ${cut}`);
      // Two skipped arrays hold something; a cut in the key line of one leaves that one to the scanner.
      assert.ok(skipByLayout.skipped >= 1, `cut at ${cut}: ${skipByLayout.skipped} skipped by layout`);
      cuts++;
      if (skipByLayout.skipped === 2) bothSkipped++;
    }
    assert.ok(bothSkipped > cuts * 0.9, `${bothSkipped} of ${cuts}`);
    for (const size of [1, 2, 5, 64]) {
      const rebuild = new Rebuild(skipRule);
      const skipByLayout = { skipped: 0 };
      await scanJsonChunks(fixedChunks(PRETTY, size), 'dump.json', rebuild, { expected: 'x', skipByLayout });
      assert.deepEqual(rebuild.root, expected, `chunks of ${size}`);
    }
  });

  it('reads the model of the whole-document parse, in chunks of any size, indented by spaces or tabs, LF or CRLF', async () => {
    const doc = JSON.parse(DUMP_TEXT.replace(/^\uFEFF/, '')) as unknown;
    const layouts = {
      'one space': PRETTY,
      tabs: Buffer.from(JSON.stringify(doc, null, '\t')),
      'two spaces, CRLF': Buffer.from(JSON.stringify(doc, null, 2).replaceAll('\n', '\r\n')),
    };
    for (const [name, bytes] of Object.entries(layouts)) {
      for (const size of [1, 3, 64, 4096, 1 << 20]) {
        let rereads = 0;
        const again = () => {
          rereads++;
          return fixedChunks(bytes, size);
        };
        const skipped = await parseConfigDumpChunks(fixedChunks(bytes, size), 'dump.json', 'dump', { reread: again });
        assert.deepEqual(skipped, whole, `${name}, chunks of ${size}`);
        assert.equal(rereads, 0, `${name}, chunks of ${size}: every skip found its closing line`);
      }
      const skipByLayout = { skipped: 0 };
      await scanJsonChunks(fixedChunks(bytes, 1 << 20), 'dump.json', new Rebuild(skipRule), { expected: 'x', skipByLayout });
      assert.equal(skipByLayout.skipped, 2, `${name}: the secrets and the endpoints skipped by layout`);
    }
  });

  it('a skip that ends early fails to scan, and the reader then reads the document again in full', async () => {
    // A line inside the skipped endpoints at the indentation of their key: laid out by no printer, but valid JSON.
    const text = PRETTY.toString('utf8').replace('"lb_endpoints": [', '"lb_endpoints": [\n   ],\n   "x": [');
    const odd = Buffer.from(text);
    const oddWhole = parseConfigDocument(odd, 'odd.json', 'dump');
    assert.deepEqual(oddWhole, whole);
    await assert.rejects(
      scanJsonChunks(fixedChunks(odd, 4096), 'odd.json', new Rebuild(skipRule), { expected: 'x', skipByLayout: { skipped: 0 } }),
      inputError('odd.json', /invalid JSON/),
    );
    let rereads = 0;
    const again = () => {
      rereads++;
      return fixedChunks(odd, 4096);
    };
    assert.deepEqual(await parseConfigDumpChunks(fixedChunks(odd, 4096), 'odd.json', 'dump', { reread: again }), whole);
    assert.equal(rereads, 1);
    // Without a way to read it again (stdin, a pipe), nothing is skipped by layout.
    assert.deepEqual(await parseConfigDumpChunks(fixedChunks(odd, 4096), 'odd.json', 'dump'), whole);
  });

  it("a document that is not valid JSON gives the full scan's error", async () => {
    const bad = Buffer.from(PRETTY.toString('utf8').replace('"name": "brackets"', '"name": brackets'));
    let rereads = 0;
    await assert.rejects(
      parseConfigDumpChunks(fixedChunks(bad, 4096), 'bad.json', 'dump', {
        reread: () => {
          rereads++;
          return fixedChunks(bad, 4096);
        },
      }),
      inputError('bad.json', /invalid JSON in configs\[1\]\.dynamic_active_clusters\[1\]/),
    );
    assert.equal(rereads, 0, 'nothing was skipped by layout before the error, so there is nothing to read again');
  });

  it('reads runs of elements with one JSON.parse, and an array laid out otherwise through the scanner', async () => {
    const clusters = Array.from({ length: 400 }, (_, i) => ({ cluster: { name: `c${i}`, description: '}\n }'.repeat(i % 3), x: [{ y: i }] } }));
    const doc = { configs: [{ '@type': `${T}.ClustersConfigDump`, dynamic_active_clusters: clusters }] };
    const pretty = JSON.stringify(doc, null, 1);
    // The 200th element's inner object closes at the indentation of the elements: a run cut there does not parse.
    const odd = pretty.replace(/("name": "c200",[\s\S]*?)\n {5}\}/, '$1\n    }');
    assert.notEqual(odd, pretty);
    const read = async (text: string) => {
      const bytes = Buffer.from(text);
      const runs: string[] = [];
      const scanned: string[] = [];
      let failed = 0;
      const parse = JSON.parse;
      JSON.parse = ((t: string, r?: (this: unknown, key: string, value: unknown) => unknown) => {
        // A run keeps the layout between its elements; the scanner's batches join elements with a bare comma.
        (t.includes('},\n') ? runs : scanned).push(t);
        try {
          return parse(t, r);
        } catch (err) {
          failed++;
          throw err;
        }
      }) as typeof JSON.parse;
      let streamed: Awaited<ReturnType<typeof parseConfigDumpChunks>>;
      try {
        streamed = await parseConfigDumpChunks(fixedChunks(bytes, 8192), 'runs.json', 'x');
      } finally {
        JSON.parse = parse;
      }
      assert.deepEqual(streamed, parseConfigDocument(bytes, 'runs.json', 'x'));
      assert.deepEqual(
        [...(streamed[0]?.clusters.keys() ?? [])],
        clusters.map((c) => c.cluster.name),
      );
      return { runs, scanned, failed };
    };
    const asPrinted = await read(pretty);
    assert.equal(asPrinted.failed, 0);
    assert.ok(asPrinted.runs.length >= 4, `${asPrinted.runs.length} runs`);
    assert.ok(asPrinted.runs.some((t) => t.includes('"c399"')));
    const laidOtherwise = await read(odd);
    assert.equal(laidOtherwise.failed, 1, 'the run cut inside the 200th element');
    assert.ok(
      laidOtherwise.scanned.some((t) => t.includes('"c399"')),
      'the scanner reads the array from there',
    );
    assert.ok(!laidOtherwise.runs.some((t) => t.includes('"c399"')));
  });
});

describe('malformed and truncated input', () => {
  it('every strict prefix of the dump is a one-line InputError naming the file', async () => {
    const end = DUMP.lastIndexOf('}'.charCodeAt(0));
    for (let length = 0; length <= end; length++) {
      await assert.rejects(
        parseJsonConfigChunks(chunksOf(DUMP.subarray(0, length), [Math.floor(length / 2)]), 'cut.json', 'x'),
        inputError('cut.json', /truncated JSON: ends inside|is empty/),
        `prefix of ${length} bytes`,
      );
    }
  });

  it('names where a truncated dump stops', async () => {
    const text = DUMP_TEXT.slice(0, DUMP_TEXT.indexOf('"brackets"') + 3);
    await assert.rejects(
      parseJsonConfigChunks(fixedChunks(Buffer.from(text), 10), 'cut.json', 'x'),
      inputError('cut.json', /ends inside configs\[1\]\.dynamic_active_clusters\[1\] \(in a string\)/),
    );
    const inSecrets = DUMP_TEXT.slice(0, DUMP_TEXT.indexOf('SECRET-MARKER'));
    await assert.rejects(
      parseJsonConfigChunks(fixedChunks(Buffer.from(inSecrets), 10), 'cut.json', 'x'),
      inputError('cut.json', /ends inside configs\[3\]\.dynamic_active_secrets \(in a string\)/),
    );
  });

  const cases: Array<[string, string, RegExp]> = [
    [
      'mismatched brackets in a skipped array',
      `{"configs": [{"static_secrets": [{]}]}`,
      /invalid JSON at byte 34: '\]' where a matching bracket in configs\[0\]\.static_secrets was expected/,
    ],
    ['mismatched brackets at the top', '{"configs": [}', /invalid JSON at byte 13: '\}' where a value was expected/],
    ['a missing colon', '{"configs" []}', /':' was expected/],
    ['a missing comma', '{"configs": [] "x": 1}', /',' or '\}' was expected/],
    ['data after the document', '{"configs": []} {}', /the end of the document was expected/],
    [
      'invalid JSON inside a kept element',
      `{"configs": [{"dynamic_active_clusters": [{"cluster": {"name": nope}}]}]}`,
      /invalid JSON in configs\[0\]\.dynamic_active_clusters\[0\]/,
    ],
    ['only whitespace', ' \n\t ', /is empty/],
    ['an unterminated key', '{"configs": [{"dyn', /ends inside a key in configs\[0\]/],
  ];
  for (const [name, text, pattern] of cases) {
    it(`${name}: one-line InputError`, async () => {
      const run = async (): Promise<void> => {
        const rebuild = new Rebuild((path, kind) =>
          SKIPPED_CONFIG_KEYS.has(String(path.at(-1))) ? 'skip' : kind === 'scalar' || path.length >= 4 ? 'emit' : 'descend',
        );
        await scanJsonChunks(fixedChunks(Buffer.from(text), 4), 'bad.json', rebuild, { expected: 'expected x' });
      };
      await assert.rejects(run(), inputError('bad.json', pattern));
    });
  }

  it('refuses one value larger than the limit, naming it', async () => {
    const bytes = Buffer.from(JSON.stringify({ configs: [{ bootstrap: { node: { id: 'x'.repeat(5000) } } }] }));
    await assert.rejects(
      parseJsonConfigChunks(fixedChunks(bytes, 1000), 'big.json', 'x', { maxValueBytes: 4096 }),
      inputError('big.json', /configs\[0\]\.bootstrap is larger than/),
    );
  });

  it('skips deep nesting without recursion, and parses it when kept', async () => {
    const deep = 200_000;
    const text = `{"configs": [{"@type": "${T}.ClustersConfigDump", "static_secrets": [${'['.repeat(deep)}${']'.repeat(deep)}], "dynamic_active_clusters": [{"cluster": {"name": "c", "x": ${'['.repeat(deep)}${']'.repeat(deep)}}}]}]}`;
    const [c] = await parseJsonConfigChunks(fixedChunks(Buffer.from(text), 4096), 'deep.json', 'x');
    assert.deepEqual([...(c?.clusters.keys() ?? [])], ['c']);
  });
});

describe('YAML and other content', () => {
  it('reads YAML whole up to the limit, and refuses it above, naming the file and what is supported', async () => {
    const yaml = Buffer.from(`configs:\n- "@type": ${T}.ClustersConfigDump\n  static_clusters:\n  - cluster: {name: c, connect_timeout: 1s}\n`);
    const [c] = await parseConfigDumpChunks(fixedChunks(yaml, 7), 'd.yaml', 'x');
    assert.deepEqual([...(c?.clusters.keys() ?? [])], ['c']);
    await assert.rejects(
      parseConfigDumpChunks(fixedChunks(yaml, 7), 'd.yaml', 'x', { maxYamlBytes: 50 }),
      inputError('d.yaml', /of YAML is more than the 0 MiB a YAML document can be read in; expected a smaller YAML dump, or Envoy \/config_dump JSON/),
    );
    await assert.rejects(
      parseConfigDumpChunks(fixedChunks(yaml, 7), 'd.yaml', 'x', { maxYamlBytes: 1000, totalBytes: 600 * 1048576 }),
      inputError('d.yaml', /600 MiB of YAML/),
    );
    // JSON of any size streams: the YAML limit does not apply to it.
    const json = Buffer.from(
      JSON.stringify({ configs: [{ '@type': `${T}.ClustersConfigDump`, static_clusters: [{ cluster: { name: 'c', connect_timeout: '1s' } }] }] }),
    );
    assert.equal((await parseConfigDumpChunks(fixedChunks(json, 7), 'd.json', 'x', { maxYamlBytes: 50, totalBytes: 600 * 1048576 }))[0]?.clusters.size, 1);
  });

  it('refuses what is neither JSON nor YAML', async () => {
    await assert.rejects(
      parseConfigDumpChunks(fixedChunks(Buffer.from([0, 1, 2, 3]), 2), 'bin', 'x'),
      inputError('bin', /binary data; expected an Envoy \/config_dump/),
    );
  });
});
