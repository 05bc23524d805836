// StatsBuilder reads a name that continues the last entity in place (its prefix and tail checked, nothing split):
// whatever the order of names, dotted entity names, known or unknown entities and odd tails, the sample is the one
// that splitting every name on its own gives. And plain decimals read in place are the doubles Number() returns.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Histogram, StatsSample } from '../../src/model/snapshot.ts';
import { plainDecimal } from '../../src/parse/decimal.ts';
import { statKey } from '../../src/model/stats-view.ts';
import { type KnownEntities, splitStatName } from '../../src/parse/stat-names.ts';
import { histogramKey, StatsBuilder } from '../../src/parse/stats-builder.ts';
import { parseStatsString } from '../helpers/stats-string.ts';
import { settings } from '../property/harness.ts';

/** Entity names that make splitting hard: dots, a dotted name ending like a stat family, Istio and listener names. */
const ENTITIES = ['a', 'a.b', 'a.zone', 'x.ssl', 'svc', 'outbound|80||a.b.svc.cluster.local', '0.0.0.0_10443', 'httproute/ns/r/rule/0'];
/** Tails of every family and none: stats of the families, dotted ones, per-agent ones, unknown ones. */
const TAILS = [
  'upstream_cx_total',
  'upstream_rq_200',
  'circuit_breakers.default.cx_open',
  'zone.a.b.upstream_rq_200',
  'ssl.handshake',
  'downstream_cx_active',
  'rq_total',
  'user_agent.ios.downstream_cx_total',
  'user_agent_x',
  'http.ingress.downstream_rq_2xx',
  'weird.thing',
  'no_filter_chain_match',
  'idle_timeout',
];
const KINDS = ['cluster', 'http', 'listener', 'tcp', 'server', 'cluster_manager'] as const;

type Line = { name: string; value: number | 'histogram' };

/** The sample of splitting every name on its own, by the rules `addNamed` and `addHistogramNamed` document. */
function splitOneByOne(lines: Line[], known: KnownEntities): StatsSample {
  const into = new StatsBuilder('text', known);
  for (const { name, value } of lines) {
    into.countValue();
    const split = splitStatName(name, known);
    if (value === 'histogram') {
      into.addHistogram(split ? histogramKey(split.kind, split.entity, split.stat) : histogramKey('other', '', statKey(name)), histogram());
      continue;
    }
    if (!split) {
      into.addOther(name, value);
      continue;
    }
    const agent = split.kind === 'http' ? /^user_agent_([^_]+)_(.+)$/.exec(split.stat) : null;
    if (agent) into.addUserAgent(split.entity, agent[1] as string, agent[2] as string, value);
    else into.addEntity(split.kind, split.entity, split.stat, value);
  }
  return into.sample;
}

const histogram = (): Histogram => ({ quantiles: [{ quantile: 50, interval: null, cumulative: 1 }], buckets: { le: [], count: [] } });

/** Runs of names of one entity (as Envoy lists them), sometimes shuffled, with known entities drawn from the same names. */
const cases = fc
  .record({
    runs: fc.array(
      fc.record({
        kind: fc.constantFrom(...KINDS),
        entity: fc.constantFrom(...ENTITIES),
        tails: fc.array(fc.nat(TAILS.length - 1), { minLength: 1, maxLength: 8 }),
        histograms: fc.boolean(),
      }),
      { minLength: 1, maxLength: 12 },
    ),
    shuffle: fc.boolean(),
    knownKinds: fc.subarray(['cluster', 'http', 'listener', 'tcp'] as const),
    knownEntities: fc.subarray(ENTITIES),
  })
  .chain((c) =>
    fc.tuple(
      fc.constant(c),
      c.shuffle
        ? fc.shuffledSubarray(
            c.runs.flatMap((r, i) => r.tails.map((_, j) => [i, j] as const)),
            { minLength: 0 },
          )
        : fc.constant(undefined),
    ),
  );

function linesOf([c, order]: [
  { runs: Array<{ kind: string; entity: string; tails: number[]; histograms: boolean }> },
  ReadonlyArray<readonly [number, number]> | undefined,
]): Line[] {
  const all = c.runs.flatMap((r, i) =>
    r.tails.map((t, j) => ({ i, j, name: `${r.kind}.${r.entity}.${TAILS[t]}`, value: r.histograms ? ('histogram' as const) : i * 100 + j })),
  );
  if (!order) return all;
  return order.map(([i, j]) => all.find((l) => l.i === i && l.j === j) as Line);
}

function knownOf(c: { knownKinds: readonly string[]; knownEntities: readonly string[] }): KnownEntities {
  return Object.fromEntries(c.knownKinds.map((k) => [k, new Set(c.knownEntities)]));
}

describe('StatsBuilder: names read in place', () => {
  it('give the sample that splitting every name on its own gives, whatever the order, entities and tails', () => {
    fc.assert(
      fc.property(cases, (drawn) => {
        const lines = linesOf(drawn);
        const known = knownOf(drawn[0]);
        const inPlace = new StatsBuilder('text', known);
        // Names read where they stand in one text, as the text parser does, and whole, as the JSON parser does.
        const text = lines.map((l) => `${l.name}: x`).join('\n');
        let at = 0;
        for (const { name, value } of lines) {
          if (value === 'histogram') inPlace.addHistogramIn(text, at, at + name.length, histogram());
          else inPlace.addNamedIn(text, at, at + name.length, value);
          at += name.length + 4;
        }
        const whole = new StatsBuilder('text', known);
        for (const { name, value } of lines) {
          if (value === 'histogram') whole.addHistogramNamed(name, histogram());
          else whole.addNamed(name, value);
        }
        const expected = splitOneByOne(lines, known);
        assert.deepEqual(inPlace.sample, expected);
        assert.deepEqual(whole.sample, expected);
      }),
      settings(400, 41),
    );
  });

  it('an entity found by its stat family leaves a longer known entity its stats', () => {
    // `a` is not known, `a.zone` is: `cluster.a.zone.zone.x.upstream_rq_200` could be `a` with a zone stat.
    const known = { cluster: new Set(['a.zone']) };
    const lines: Line[] = [
      { name: 'cluster.a.upstream_cx_total', value: 1 },
      { name: 'cluster.a.zone.zone.x.upstream_rq_200', value: 2 },
    ];
    const into = new StatsBuilder('text', known);
    for (const { name, value } of lines) into.addNamed(name, value as number);
    assert.deepEqual(into.sample, splitOneByOne(lines, known));
    assert.deepEqual(Object.fromEntries(into.sample.clusters.get('a.zone') ?? []), { zone_x_upstream_rq_200: 2 });
  });

  it('an entity with histograms only gets no counters map', () => {
    const into = new StatsBuilder('text', { cluster: new Set(['a']) });
    into.addHistogramNamed('cluster.a.upstream_rq_time', histogram());
    into.addHistogramNamed('cluster.a.upstream_cx_length_ms', histogram());
    assert.equal(into.sample.clusters.size, 0);
    assert.deepEqual([...into.sample.histograms.keys()], ['cluster|a|upstream_rq_time', 'cluster|a|upstream_cx_length_ms']);
  });

  it('text stats from a file read the same whether names continue an entity or not', async () => {
    const text = [
      'cluster.a.upstream_cx_total: 5',
      'cluster.a.upstream_rq_200: 7',
      'cluster.a.b.upstream_cx_total: 9',
      'cluster.a.upstream_cx_active: 1',
      'http.ingress.user_agent.ios.downstream_cx_total: 3',
      'http.ingress.downstream_cx_active: 4',
      'cluster.a.upstream_rq_time: P50(nan,2.5) P99(1.25,3)',
    ].join('\n');
    const sample = await parseStatsString(text, 'stats.txt', { cluster: new Set(['a.b']), http: new Set(['ingress']) });
    assert.deepEqual(Object.fromEntries(sample.clusters.get('a') ?? []), { upstream_cx_total: 5, upstream_rq_200: 7, upstream_cx_active: 1 });
    assert.deepEqual(Object.fromEntries(sample.clusters.get('a.b') ?? []), { upstream_cx_total: 9 });
    assert.deepEqual(Object.fromEntries(sample.userAgents.get('ingress')?.get('ios') ?? []), { downstream_cx_total: 3 });
    assert.deepEqual(Object.fromEntries(sample.connectionManagers.get('ingress') ?? []), { downstream_cx_active: 4 });
    assert.deepEqual(sample.histograms.get('cluster|a|upstream_rq_time')?.quantiles, [
      { quantile: 50, interval: null, cumulative: 2.5 },
      { quantile: 99, interval: 1.25, cumulative: 3 },
    ]);
    assert.equal(sample.count, 7);
  });
});

describe('plainDecimal', () => {
  const decimalText = fc.oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
    fc.tuple(fc.stringMatching(/^-?[0-9]{1,20}$/), fc.option(fc.stringMatching(/^[0-9]{0,20}$/))).map(([i, f]) => (f === null ? i : `${i}.${f}`)),
    fc.constantFrom(
      '0',
      '-0',
      '007',
      '1.',
      '.5',
      '1e3',
      '0x10',
      '',
      '-',
      'nan',
      'inf',
      ' 1',
      '1 ',
      '9007199254740993',
      '123456789012345',
      '1234567890123456',
      '0.1',
      '4.35',
      '1.084',
    ),
  );

  it('is the double Number() reads, or NaN for what it leaves to Number()', () => {
    fc.assert(
      fc.property(decimalText, fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), (text, before, after) => {
        const value = plainDecimal(`${before}${text}${after}`, before.length, before.length + text.length);
        if (Number.isNaN(value)) return;
        assert.match(text, /^-?\d+(\.\d+)?$/);
        assert.ok(Object.is(value, Number(text)), `${text}: ${value} != ${Number(text)}`);
      }),
      settings(3000, 42),
    );
  });

  it('reads counters, gauges and quantiles as Envoy prints them', () => {
    assert.equal(plainDecimal('x: 53475', 3, 8), 53475);
    assert.equal(plainDecimal('P99.5(nan,2509000)', 1, 5), 99.5);
    assert.equal(plainDecimal('1.084', 0, 5), 1.084);
    assert.ok(Number.isNaN(plainDecimal('nan', 0, 3)));
    assert.ok(Number.isNaN(plainDecimal('18446744073709551615', 0, 20)), 'more than 15 digits is left to Number()');
  });
});

describe('JSON stats read in slabs', () => {
  /** A `/stats?format=json` document of about 3 MiB with names that hold `},`, and a histograms element part way. */
  function document(pretty: boolean, histogramsAt: number): { stats: unknown[] } {
    const stats: unknown[] = [];
    for (let i = 0; i < 30_000; i++) {
      if (i === histogramsAt) {
        stats.push({
          histograms: {
            supported_quantiles: [50, 99],
            computed_quantiles: [
              {
                name: 'cluster.c0.upstream_rq_time',
                values: [
                  { interval: null, cumulative: 3 },
                  { interval: 1, cumulative: 9 },
                ],
              },
            ],
          },
        });
      }
      const name =
        i % 997 === 0 ? `cluster.odd},{"name":"x${i}".upstream_cx_total` : `cluster.c${Math.floor(i / 60)}.upstream_stat_${i % 60}_with_a_long_enough_name`;
      stats.push({ name, value: i });
    }
    return pretty ? JSON.parse(JSON.stringify({ stats })) : { stats };
  }

  /** The sample, read as the document is and with a key before `stats` (which the slabs leave to the scanner). */
  async function bothWays(doc: { stats: unknown[] }, pretty: boolean): Promise<[StatsSample, StatsSample]> {
    const text = JSON.stringify(doc, null, pretty ? 1 : undefined);
    const scannerOnly = `{"version": 1, ${text.slice(1)}`;
    return [await parseStatsString(text, 'stats.json'), await parseStatsString(scannerOnly, 'stats.json')];
  }

  for (const pretty of [false, true]) {
    for (const histogramsAt of [29_999, 12_000, 0]) {
      it(`${pretty ? 'pretty-printed' : 'compact'}, histograms element at ${histogramsAt}: the sample the scanner alone reads`, async () => {
        const [slabs, scanner] = await bothWays(document(pretty, histogramsAt), pretty);
        assert.equal(slabs.count, 30_001);
        assert.deepEqual(slabs, scanner);
        assert.equal(slabs.clusters.get('c400')?.get('upstream_stat_0_with_a_long_enough_name'), 24_000);
        assert.deepEqual(slabs.histograms.get('cluster|c0|upstream_rq_time')?.quantiles[1], { quantile: 99, interval: 1, cumulative: 9 });
      });
    }
  }

  it('a slab cut inside a name that holds `},` is read by the scanner instead', async () => {
    const elements: string[] = [];
    let bytes = '{"stats":['.length;
    for (let i = 0; bytes < (1 << 20) - 100; i++) {
      const element = `{"name":"cluster.c${Math.floor(i / 50)}.upstream_stat_${i % 50}","value":${i}}`;
      elements.push(element);
      bytes += element.length + 1;
    }
    // The last `},` in the first MiB is inside this name.
    elements.push(`{"name":"cluster.odd.${'x'.repeat(60)}},${'y'.repeat(200)}","value":7}`);
    for (let i = 0; i < 20_000; i++) elements.push(`{"name":"cluster.tail${i}.upstream_cx_total","value":${i}}`);
    const text = `{"stats":[${elements.join(',')}]}`;
    const sample = await parseStatsString(text, 'stats.json');
    assert.deepEqual(sample, await parseStatsString(`{"v":1,${text.slice(1)}`, 'stats.json'));
    assert.equal(sample.count, elements.length);
    assert.equal(sample.other.get(`cluster.odd.${'x'.repeat(60)}},${'y'.repeat(200)}`), 7);
  });

  it('an error after the slabs names its byte in the whole input', async () => {
    const text = JSON.stringify(document(false, 29_999));
    const at = text.lastIndexOf('},{', text.length - 1000) + 1;
    const broken = `${text.slice(0, at)}:${text.slice(at + 1)}`;
    await assert.rejects(parseStatsString(broken, 'stats.json'), (err: Error) => {
      const byte = Number(/invalid JSON at byte (\d+)/.exec(err.message)?.[1]);
      assert.equal(byte, Buffer.byteLength(text.slice(0, at)), err.message);
      return true;
    });
  });
});
