// Stats in each of Envoy's formats (text, ?format=json, Prometheus) with hostile entity names, damaged bytes and
// streams cut anywhere: parseStats returns a sample or the documented one-line InputError, within a deadline, with
// no more entities than input lines; names with dots, slashes, quotes, braces and unicode come back whole; and
// neither chunking, CRLF line ends nor a byte-order mark changes what is read.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { StatsSample } from '../../src/model/snapshot.ts';
import { detectKind } from '../../src/parse/detect.ts';
import { InputError } from '../../src/parse/input-error.ts';
import { lineWindows } from '../../src/parse/lines.ts';
import { parseStats } from '../../src/parse/stats.ts';
import { splitStatName } from '../../src/parse/stat-names.ts';
import { parseLabels } from '../../src/parse/stats-prometheus-line.ts';
import {
  bounded,
  byteDamage,
  chunked,
  damage,
  edgeNumberText,
  hostileName,
  modelOrInputErrorAsync,
  settings,
  statEntityName,
  streamOf,
  ROOT,
} from './harness.ts';

const SOURCE = 'stats';

const KIND_PREFIX = { cluster: 'cluster', http: 'http', listener: 'listener', tcp: 'tcp' } as const;
const TAILS = {
  cluster: [
    'upstream_cx_total',
    'upstream_cx_rx_bytes_buffered',
    'circuit_breakers.default.cx_open',
    'upstream_flow_control_paused_reading_total',
    'upstream_rq_200',
  ],
  http: ['downstream_cx_active', 'downstream_cx_upgrades_total', 'rq_total'],
  listener: ['downstream_cx_active', 'no_filter_chain_match'],
  tcp: ['downstream_cx_total', 'idle_timeout'],
} as const;
type Kind = keyof typeof TAILS;

/** One well-formed stat: an entity of some kind, a stat of its family, and a value. */
const stat = fc.record({
  kind: fc.constantFrom<Kind>('cluster', 'http', 'listener', 'tcp'),
  entity: statEntityName,
  tail: fc.nat(),
  value: fc.oneof(fc.nat({ max: 2 ** 40 }), fc.constantFrom(0, 1, 2 ** 53 - 1)),
});
type Stat = { kind: Kind; entity: string; tail: number; value: number };

const tailOf = (s: Stat) => TAILS[s.kind][s.tail % TAILS[s.kind].length] as string;
const statKeyOf = (s: Stat) => tailOf(s).replace(/\./g, '_');

function asText(stats: Stat[]): string {
  return `${stats.map((s) => `${KIND_PREFIX[s.kind]}.${s.entity}.${tailOf(s)}: ${s.value}`).join('\n')}\n`;
}

function asJson(stats: Stat[]): string {
  return JSON.stringify({ stats: stats.map((s) => ({ name: `${KIND_PREFIX[s.kind]}.${s.entity}.${tailOf(s)}`, value: s.value })) });
}

const PROM_LABEL = {
  cluster: 'envoy_cluster_name',
  http: 'envoy_http_conn_manager_prefix',
  listener: 'envoy_listener_address',
  tcp: 'envoy_tcp_prefix',
} as const;
const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function asPrometheus(stats: Stat[]): string {
  const lines = stats.map((s) => `envoy_${s.kind}_${statKeyOf(s)}{${PROM_LABEL[s.kind]}="${escapeLabel(s.entity)}"} ${s.value}`);
  return `# TYPE envoy_cluster_upstream_cx_total counter\n${lines.join('\n')}\n`;
}

const FORMATS = { text: asText, json: asJson, prometheus: asPrometheus } as const;

function known(stats: Stat[]) {
  const sets = { cluster: new Set<string>(), http: new Set<string>(), listener: new Set<string>(), tcp: new Set<string>() };
  for (const s of stats) sets[s.kind].add(s.entity);
  return sets;
}

function entities(sample: StatsSample): number {
  return (
    sample.clusters.size +
    sample.connectionManagers.size +
    sample.listeners.size +
    sample.tcpProxies.size +
    sample.userAgents.size +
    sample.other.size +
    sample.histograms.size
  );
}

const MAPS: Record<Kind, (s: StatsSample) => Map<string, Map<string, number>>> = {
  cluster: (s) => s.clusters,
  http: (s) => s.connectionManagers,
  listener: (s) => s.listeners,
  tcp: (s) => s.tcpProxies,
};

/** What a sample says, comparable across readings. */
function summary(sample: StatsSample | undefined): unknown {
  if (!sample) return undefined;
  const m = (map: Map<string, unknown>) => [...map].map(([k, v]) => [k, v instanceof Map ? [...v] : v]);
  return {
    format: sample.format,
    count: sample.count,
    clusters: m(sample.clusters),
    http: m(sample.connectionManagers),
    listeners: m(sample.listeners),
    tcp: m(sample.tcpProxies),
    other: m(sample.other),
    histograms: [...sample.histograms.keys()],
  };
}

async function check(chunks: Buffer[], knownEntities = {}): Promise<StatsSample | undefined> {
  const sample = await modelOrInputErrorAsync(SOURCE, () => parseStats(streamOf(chunks), SOURCE, knownEntities));
  if (sample) {
    const bytes = chunks.reduce((n, c) => n + c.length, 0);
    const lines = chunks.reduce((n, c) => n + c.filter((b) => b === 10).length, 0) + 1;
    assert.ok(sample.count <= bytes, `${sample.count} stats from ${bytes} bytes`);
    // JSON puts any number of stats on a line; text and Prometheus hold one per line.
    if (sample.format !== 'json') assert.ok(entities(sample) <= lines, `${entities(sample)} entities from ${lines} lines`);
  }
  return sample;
}

describe('stats: a sample or the documented input error, never anything else', () => {
  it('names with dots, slashes, quotes, braces and unicode are read back whole, in every format, chunked anywhere', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stat, { minLength: 1, maxLength: 30 }),
        fc.constantFrom('text', 'json', 'prometheus'),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
        async (stats, format, cuts) => {
          const bytes = Buffer.from(FORMATS[format](stats));
          const sample = await check(chunked(bytes, cuts), format === 'prometheus' ? {} : known(stats));
          assert.ok(sample, `${format} of well-formed stats is read`);
          // The last value written for an entity's stat wins, as in Envoy's own output order.
          const expected = new Map<string, number>();
          for (const s of stats) expected.set(JSON.stringify([s.kind, s.entity, statKeyOf(s)]), s.value);
          for (const [key, value] of expected) {
            const [kind, entity, statKey] = JSON.parse(key) as [Kind, string, string];
            assert.equal(MAPS[kind](sample).get(entity)?.get(statKey), value, `${format}: ${kind} ${JSON.stringify(entity)} ${statKey}`);
          }
        },
      ),
      settings(200, 10),
    );
  });

  it('chunk boundaries, CRLF line ends and a byte-order mark do not change what is read', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stat, { minLength: 1, maxLength: 20 }),
        fc.constantFrom('text', 'prometheus', 'json'),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }),
        fc.boolean(),
        fc.boolean(),
        async (stats, format, cuts, crlf, bom) => {
          const text = FORMATS[format](stats);
          const plain = await check([Buffer.from(text)]);
          let variant = crlf ? text.replace(/\n/g, '\r\n') : text;
          if (bom) variant = `\uFEFF${variant}`;
          const other = await check(chunked(Buffer.from(variant), cuts));
          assert.deepEqual(summary(other), summary(plain));
        },
      ),
      settings(150, 11),
    );
  });

  it('damaged captures from the samples and the corpus, in all three formats', async () => {
    const files = [
      'samples/home-assistant-websocket-drops/stats.txt',
      'test/fixtures/formats/home-assistant.stats.json',
      'test/fixtures/formats/home-assistant.stats.prom',
      'test/fixtures/formats/home-assistant.istio.stats.prom',
      '../shared/corpus/datadog/stats-openmetrics_1_28.txt',
    ]
      .map((f) => join(ROOT, f))
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f));
    await fc.assert(
      fc.asyncProperty(
        fc.nat(files.length - 1),
        fc.array(byteDamage, { minLength: 1, maxLength: 5 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }),
        async (i, damages, cuts) => {
          await check(chunked(damages.reduce(damage, files[i] as Buffer), cuts));
        },
      ),
      settings(200, 12),
    );
  });

  it('lines made of hostile names, edge numbers, labels and histogram parts', async () => {
    const line = fc.oneof(
      fc.tuple(hostileName, edgeNumberText).map(([n, v]) => `${n}: ${v}`),
      fc
        .tuple(hostileName, fc.array(fc.tuple(fc.constantFrom('0', '50', '99.9', '100', 'x'), edgeNumberText, edgeNumberText), { maxLength: 4 }))
        .map(([n, qs]) => `${n}: ${qs.map(([q, a, b]) => `P${q}(${a},${b})`).join(' ')}`),
      fc
        .tuple(
          fc.constantFrom('envoy_cluster_upstream_cx_total', 'envoy_http_downstream_cx_active', 'envoy_cluster_upstream_cx_length_ms_bucket', 'x', 'a:b'),
          fc.array(fc.tuple(fc.constantFrom('envoy_cluster_name', 'le', 'priority', 'response_code', 'envoy_http_user_agent', 'a'), hostileName), {
            maxLength: 3,
          }),
          edgeNumberText,
        )
        .map(([n, labels, v]) => `${n}{${labels.map(([k, val]) => `${k}="${val}"`).join(',')}} ${v}`),
      fc.constantFrom(
        '# TYPE envoy_cluster_upstream_cx_length_ms histogram',
        '# HELP x y',
        '#',
        '',
        '{',
        '{"stats":',
        'No recorded values',
        'a: No recorded values',
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 40 }), async (lines) => {
        await check([Buffer.from(lines.join('\n'))]);
      }),
      settings(300, 13),
    );
  });

  it('JSON documents of any shape', async () => {
    const entry = fc.oneof(
      fc.record({ name: fc.oneof(hostileName, fc.constant('cluster.a.upstream_cx_total')), value: fc.oneof(fc.jsonValue({ maxDepth: 1 }), edgeNumberText) }),
      fc.record({
        histograms: fc.record({
          supported_quantiles: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
          computed_quantiles: fc.array(fc.record({ name: hostileName, values: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }) }), { maxLength: 3 }),
        }),
      }),
      fc.jsonValue({ maxDepth: 2 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.record({ stats: fc.array(entry, { maxLength: 10 }) }), fc.jsonValue({ maxDepth: 3 })), async (doc) => {
        await check([Buffer.from(JSON.stringify(doc))]);
      }),
      settings(300, 14),
    );
  });

  it('arbitrary bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)),
          fc.string({ unit: 'binary', maxLength: 400 }).map((s) => Buffer.from(s)),
        ),
        async (bytes) => {
          await check([bytes]);
        },
      ),
      settings(300, 15),
    );
  });
});

/** The lines of a stream as the parsers see them: the windows' lines, without a CR before the LF. */
async function linesOf(chunks: AsyncIterable<Buffer>, maxLineBytes?: number): Promise<string[]> {
  const out: string[] = [];
  for await (const window of lineWindows(chunks, SOURCE, () => out.length, maxLineBytes)) {
    for (const line of window.split('\n')) out.push(line.endsWith('\r') ? line.slice(0, -1) : line);
  }
  return out;
}

describe('the pieces stats parsing is made of', () => {
  it('detectKind and splitStatName finish on long adversarial names (dots, repeated families, braces)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('cluster.', 'listener.', 'http.', 'tcp.', 'envoy_cluster_x{', ''),
        fc.constantFrom('a.', 'zone.', 'ssl.', 'http.', 'upstream_', '}', '{a="', ' 1', '.'),
        fc.integer({ min: 1, max: 20_000 }),
        (prefix, piece, times) => {
          const name = `${prefix}${piece.repeat(times)}x`;
          bounded(() => detectKind(Buffer.from(`${name}: 1\n${name} 1\n`)), 1000);
          bounded(() => splitStatName(name, { cluster: new Set(['a', 'zone']), listener: new Set(['http']) }), 1000);
          bounded(() => parseLabels(name), 1000);
        },
      ),
      settings(60, 16),
    );
  });

  it('lineWindows yields every line once, however the stream is cut, and refuses a line over the limit', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => s.replace(/[\r\n\uFEFF]/g, '')),
          { maxLength: 30 },
        ),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 10 }),
        fc.boolean(),
        async (lines, cuts, crlf) => {
          const text = lines.map((l) => `${l}${crlf ? '\r\n' : '\n'}`).join('');
          const read = async () => {
            const out: string[] = [];
            out.push(...(await linesOf(streamOf(chunked(Buffer.from(text), cuts)), 64)));
            return out;
          };
          if (lines.every((l) => Buffer.byteLength(l) + (crlf ? 1 : 0) <= 64)) assert.deepEqual(await read(), lines);
          else await assert.rejects(read(), (err: unknown) => err instanceof InputError && /longer than 64 bytes/.test(err.message));
        },
      ),
      settings(200, 17),
    );
  });

  it('lineWindows keeps every line whole when a chunk holds many decoding windows and lines longer than one', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 90_000 }), fc.constantFrom('a', 'é', '✓', '𝄞')), { minLength: 1, maxLength: 24 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }),
        fc.boolean(),
        async (shapes, cuts, crlf) => {
          const lines = shapes.map(([length, unit], i) => `${i}:${unit.repeat(Math.floor(length / Buffer.byteLength(unit)))}`);
          const text = lines.map((l) => `${l}${crlf ? '\r\n' : '\n'}`).join('');
          const out: string[] = [];
          out.push(...(await linesOf(streamOf(chunked(Buffer.from(text), cuts)))));
          assert.deepEqual(out, lines);
        },
      ),
      settings(40, 18),
    );
  });
});
