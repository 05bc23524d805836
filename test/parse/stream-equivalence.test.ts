// Every config dump and JSON stats file in samples/ and the shared corpus: the streamed reader gives exactly the
// model of the whole-document parse (or the same kind of input error), whatever the chunk size.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfigDocument } from '../../src/parse/config-document.ts';
import { parseConfigDumpChunks } from '../../src/parse/config-stream.ts';
import { detectKind } from '../../src/parse/detect.ts';
import { InputError } from '../../src/parse/input-error.ts';
import { StatsBuilder } from '../../src/parse/stats-builder.ts';
import { arr, isObj } from '../../src/parse/proto-json.ts';
import { jsonHistogram, jsonStatEntry, supportedQuantiles } from '../../src/parse/stats-json.ts';
import { jsonStatsChunks } from '../../src/parse/stats-json-stream.ts';

/** Reads a whole parsed JSON stats document into the builder, with the entry readers the streamed reader uses. */
function jsonStats(doc: unknown, into: StatsBuilder): void {
  assert.ok(isObj(doc) && Array.isArray(doc.stats), 'a stats[] array');
  for (const entry of doc.stats) {
    if (!isObj(entry)) continue;
    if (jsonStatEntry(entry, into)) continue;
    const histograms = entry.histograms;
    if (!isObj(histograms)) continue;
    const quantiles = supportedQuantiles(arr(histograms, 'supported_quantiles'));
    for (const computed of arr(histograms, 'computed_quantiles')) jsonHistogram(computed, quantiles, into);
  }
}

const SAMPLES = new URL('../../samples/', import.meta.url);
const CORPUS = new URL('../../../shared/corpus/', import.meta.url);
const FIXTURES = new URL('../fixtures/formats/', import.meta.url);

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

async function* chunks(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

const all = [...files(SAMPLES.pathname), ...files(CORPUS.pathname), ...files(FIXTURES.pathname)].filter(
  (f) => /\.(json|ya?ml)$/.test(f) && !/manifest\.json$|kubernetes\.json$|server_info/.test(f),
);
const isStatsJson = (bytes: Buffer): boolean =>
  /^\s*\{\s*"stats"\s*:/.test(
    bytes
      .subarray(0, 200)
      .toString('utf8')
      .replace(/^\uFEFF/, ''),
  );
const configFiles = all.filter((f) => {
  const bytes = readFileSync(f);
  const kind = detectKind(bytes.subarray(0, 65536));
  return (kind === 'json' || kind === 'yaml') && !isStatsJson(bytes);
});
const statsFiles = all.filter((f) => isStatsJson(readFileSync(f)));

describe('streamed config dumps equal the whole-document parse', () => {
  it('covers the samples and the corpus', () => {
    assert.ok(configFiles.filter((f) => f.startsWith(SAMPLES.pathname)).length >= 20, `${configFiles.length} config files`);
  });
  for (const path of configFiles) {
    const name = path.replace(/.*\/(samples|corpus|formats)\//, '$1/');
    it(name, async () => {
      const bytes = readFileSync(path);
      let whole: unknown;
      let wholeError: unknown;
      try {
        whole = parseConfigDocument(bytes, name, 'proxy');
      } catch (err) {
        wholeError = err;
      }
      for (const size of [1 << 20, 4096, 61]) {
        if (wholeError !== undefined) {
          // Resource lists and other documents the model cannot read fail alike.
          assert.ok(wholeError instanceof InputError, String(wholeError));
          await assert.rejects(parseConfigDumpChunks(chunks(bytes, size), name, 'proxy'), InputError);
        } else {
          assert.deepEqual(await parseConfigDumpChunks(chunks(bytes, size), name, 'proxy'), whole, `chunks of ${size} bytes`);
          // Read as a file is: EDS and secrets skipped by their layout, the document read again if that fails.
          const reread = () => chunks(bytes, size);
          assert.deepEqual(await parseConfigDumpChunks(chunks(bytes, size), name, 'proxy', { reread }), whole, `chunks of ${size} bytes, by layout`);
        }
      }
    });
  }
});

describe('streamed JSON stats equal the whole-document parse', () => {
  // Samples carry text stats; JSON stats come from the corpus and from a document built here.
  const built = Buffer.from(
    JSON.stringify({
      stats: [
        { name: 'cluster.httproute/a/b/rule/0.upstream_cx_active', value: 3 },
        { name: 'http.https-8443.downstream_cx_upgrades_total', value: 7 },
        { name: 'listener.0.0.0.0_8443.downstream_cx_active', value: 2 },
        { name: 'server.version_\u00e9', value: 1 },
        {
          histograms: {
            supported_quantiles: [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100],
            computed_quantiles: [
              {
                name: 'cluster.httproute/a/b/rule/0.upstream_cx_length_ms',
                values: [
                  { interval: null, cumulative: 1.5 },
                  { interval: 2, cumulative: 3 },
                ],
              },
              { name: 'http.https-8443.downstream_rq_time', values: [{ interval: 4, cumulative: null }] },
            ],
          },
        },
      ],
    }),
  );
  const cases: Array<[string, Buffer]> = [
    ['built', built],
    ...statsFiles.map((f): [string, Buffer] => [f.replace(/.*\/(samples|corpus|formats)\//, '$1/'), readFileSync(f)]),
  ];
  for (const [name, bytes] of cases) {
    it(name, async () => {
      const whole = new StatsBuilder('json');
      jsonStats(JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, '')), whole);
      assert.ok(whole.sample.count > 0);
      const sizes = bytes.length < 4096 ? Array.from({ length: 40 }, (_, i) => i + 1) : [1 << 20, 4096, 61];
      for (const size of sizes) {
        const streamed = new StatsBuilder('json');
        await jsonStatsChunks(chunks(bytes, size), streamed, name);
        assert.deepEqual(streamed.sample, whole.sample, `chunks of ${size} bytes`);
      }
    });
  }

  it('reads computed_quantiles given before supported_quantiles', async () => {
    const doc = {
      stats: [
        { histograms: { computed_quantiles: [{ name: 'cluster.c.upstream_rq_time', values: [{ interval: 1, cumulative: 2 }] }], supported_quantiles: [50] } },
      ],
    };
    const bytes = Buffer.from(JSON.stringify(doc));
    const whole = new StatsBuilder('json');
    jsonStats(doc, whole);
    const streamed = new StatsBuilder('json');
    await jsonStatsChunks(chunks(bytes, 9), streamed, 'x');
    assert.deepEqual(streamed.sample, whole.sample);
    assert.equal([...streamed.sample.histograms.values()][0]?.quantiles[0]?.quantile, 50);
  });
});
