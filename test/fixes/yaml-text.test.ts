// The YAML text of fix objects is byte for byte the yaml package's `stringify(value, { lineWidth: 0 })`: on tables of
// the shapes fixes use and of strings the package quotes, on random JSON values built from tricky and ordinary
// strings, keys and numbers, and the common case (an Envoy cluster fragment) is written without the package.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { directYamlText, yamlText } from '../../src/fixes/yaml-text.ts';

/** What the package writes. */
const expected = (v: unknown) => stringify(v, { lineWidth: 0 });

/** An Envoy cluster fragment as the plain Envoy fixes write it. */
const CLUSTER = {
  name: 'outbound|8080||backend.default.svc.cluster.local',
  connect_timeout: '5s',
  common_http_protocol_options: { idle_timeout: '3600s', max_connection_duration: '0s' },
  circuit_breakers: { thresholds: [{ priority: 'DEFAULT', max_connections: 4096, max_pending_requests: 1024, track_remaining: true }] },
  typed_extension_protocol_options: {
    'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
      '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
      explicit_http_config: { http2_protocol_options: { allow_connect: true } },
    },
  },
  load_assignment: {
    cluster_name: 'backend',
    endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 8080 } } } }] }],
  },
  metadata: null,
  health_checks: [],
  filters: {},
};

/** Strings the package writes quoted, or that sit at the edge of what it writes plain. */
const TRICKY = [
  ...['true', 'True', 'TRUE', 'false', 'False', 'yes', 'no', 'on', 'off', 'y', 'n', 'null', 'Null', 'NULL', '~', ''],
  ...['123', '-1', '+1', '0', '007', '1.5', '.5', '5.', '-.5', '1e3', '1E-3', '+1.5e+10', '0x1F', '0xZZ', '0o17', '0o8', '0b101', '1_000'],
  ...['.inf', '-.Inf', '+.INF', '.nan', '.NaN', 'inf', 'nan', '1:30', '1:2:3', '0.0.0.0', '::1', '10.0.0.1:8080'],
  ...['a: b', 'a:b', 'a:', ':a', ':', 'a #b', 'a#b', '#x', '- x', '-x', '-', '--', '---', '--- x', '...', '...x', '?', '? x', '?x'],
  ...['*', '*x', '&a', '!tag', '|', '>', "'", '"', "'quoted'", '"quoted"', 'say "hi"', "it's", `both ' and "`, '%x', '@x', '`x', ','],
  ...['[a]', '{a}', 'a,b', 'a[0]', 'a{b}', ' x', 'x ', 'a  b', '\\', 'a\\b', 'C:\\dir', '\\n', 'a \\n', '<<', '=', 'a=b', '~x'],
  ...['a\nb', '\n', 'a\tb', '\tx', 'é', 'ünïcode', '\u0085', '\u00a0', '\u2028', '\ufeff', '\u0007', 'x\u001b', '\ud83d\ude00', '\ud800'],
];

/** Ordinary strings of Envoy and Kubernetes objects. */
const ORDINARY = [
  'outbound|80||svc.ns.svc.cluster.local',
  'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  'envoy.filters.network.http_connection_manager',
  'gateway.envoyproxy.io/v1alpha1',
  'BackendTrafficPolicy',
  '3600s',
  '0s',
  '^/api/.*$',
  'cluster.outbound|80||a.b.upstream_cx_total',
  'MERGE',
  'SIDECAR_OUTBOUND',
  'default',
  'a b c',
  '/spec/http/0/timeout',
];

/** Keys of Envoy and Kubernetes objects, and tricky ones. */
const KEYS = [
  'name',
  '@type',
  'spec',
  'match',
  'typed_config',
  'apiVersion',
  'x-envoy',
  '0',
  '1.5',
  'true',
  'null',
  '',
  'a: b',
  '- x',
  '#k',
  ' k',
  'k:',
  '<<',
  '?',
  'é',
];

/** Numbers: integers, fractions, exponents, negative zero, the edges of the safe integers, and non-finite ones. */
const NUMBERS = [0, -0, 1, -1, 42, 8080, 1.5, -0.25, 0.1, 1e21, 1e-7, 123456789012, Number.MAX_SAFE_INTEGER, 2 ** 64, 5e-324, Number.NaN, Infinity, -Infinity];

/** Collections a value holds twice, which the package writes with an anchor and an alias. */
const SHARED = { a: 1 };
const SHARED_EMPTY: unknown[] = [];

describe('yaml text', () => {
  const cases: [string, unknown][] = [
    ['an Envoy cluster fragment', CLUSTER],
    ['nested maps', { a: { b: { c: 'd' } }, e: 1 }],
    [
      'a sequence of maps',
      {
        routes: [
          { name: 'r1', timeout: '0s' },
          { name: 'r2', match: { prefix: '/' } },
        ],
      },
    ],
    ['a sequence of sequences', [[1, 2], [], [[3]], [{ a: [] }]]],
    ['a map in a sequence with a nested map first', [{ a: { b: 1 }, c: [1, { d: 2 }] }]],
    ['an @type key', { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' }],
    ['numbers', { n: NUMBERS.filter(Number.isFinite) }],
    ['booleans and null', { t: true, f: false, n: null, list: [true, false, null] }],
    ['all values null', { a: null, b: null }],
    ['empty map and sequence', { m: {}, s: [], in: [{}, []] }],
    ['top-level empty map', {}],
    ['top-level empty sequence', []],
    ...['x', 'true', '', '%x', 1, -0, 1.5, null, false].map((v): [string, unknown] => [
      `the top-level scalar ${Object.is(v, -0) ? '-0' : JSON.stringify(v)}`,
      v,
    ]),
    ['undefined values left out', { a: undefined, b: 1, c: { d: undefined } }],
    ['an object with no prototype', Object.assign(Object.create(null), { a: 1 })],
    ['quoted strings as values', Object.fromEntries(TRICKY.map((s, i) => [`k${i}`, s]))],
    ['quoted strings as keys', Object.fromEntries(TRICKY.map((s, i) => [s, i]))],
    ['quoted strings in a sequence', TRICKY],
    ['a long key', { ['k'.repeat(1100)]: 1, ['j'.repeat(1000)]: 2 }],
    ['an object met twice', { x: SHARED, y: SHARED }],
    ['an empty sequence met twice', [SHARED_EMPTY, SHARED_EMPTY]],
    ['undefined in a sequence', [1, undefined, 2]],
    ['a date', { at: new Date(0) }],
    ['a map', new Map([['a', 1]])],
  ];
  for (const [name, value] of cases) {
    it(`${name}: the same text as the yaml package`, () => {
      assert.equal(yamlText(value), expected(value));
    });
  }

  it('quoted and plain strings each the same as the yaml package, alone and as keys', () => {
    for (const s of [...TRICKY, ...ORDINARY, ...KEYS]) {
      assert.equal(yamlText(s), expected(s), JSON.stringify(s));
      assert.equal(yamlText({ [s]: s }), expected({ [s]: s }), JSON.stringify(s));
      assert.equal(yamlText([[s]]), expected([[s]]), JSON.stringify(s));
    }
  });

  it('writes an Envoy cluster fragment, quoted scalars and empty collections without the package', () => {
    assert.equal(directYamlText(CLUSTER), expected(CLUSTER));
    const quoted = { port: '8080', enabled: 'true', empty: '', ratio: '1.5', nothing: '~', list: ['yes', 'null', '- x'], m: {}, s: [] };
    assert.equal(directYamlText(quoted), expected(quoted));
  });

  it('leaves to the package what it does not write itself', () => {
    const left = [
      { s: 'a\nb' },
      { s: 'é' },
      { s: 'say "hi": now' },
      { s: '--- x' },
      { n: Number.NaN },
      [undefined],
      { x: SHARED, y: SHARED },
      { d: new Date(0) },
    ];
    for (const v of left) assert.equal(directYamlText(v), undefined, JSON.stringify(v));
  });

  it('random JSON values: the same text as the yaml package, most written without it', () => {
    const random = seeded(0x5eed);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    const strings = [...TRICKY, ...ORDINARY, ...ORDINARY];
    const keys = [...KEYS, ...ORDINARY.slice(0, 8), ...KEYS.slice(0, 6)];
    const scalar = (): unknown => {
      const r = random();
      if (r < 0.5) return pick(strings);
      if (r < 0.75) return pick(NUMBERS);
      if (r < 0.85) return Math.round((random() - 0.5) * 1e6) / (random() < 0.5 ? 1 : 100);
      return pick([true, false, null, undefined]);
    };
    const value = (depth: number): unknown => {
      const r = random();
      if (depth >= 4 || r < 0.3) return scalar();
      const size = Math.floor(random() * 4);
      if (r < 0.6) return Array.from({ length: size }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: size }, () => [pick(keys), value(depth + 1)]));
    };
    let direct = 0;
    for (let i = 0; i < 4000; i++) {
      const v = value(0);
      if (v === undefined) continue;
      assert.equal(yamlText(v), expected(v), JSON.stringify(v));
      if (directYamlText(v) !== undefined) direct++;
    }
    assert.ok(direct > 1000, `written directly: ${direct}`);
  });
});

/** A seeded pseudo-random generator (mulberry32): the same values on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
