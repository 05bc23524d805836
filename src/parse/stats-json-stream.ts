// Envoy's /stats?format=json read as a stream (source/server/admin/stats_render.cc, StatsJsonRender): the
// `stats` array's `{"name","value"}` elements are parsed in batches and dropped once added, and the histograms
// element is walked so each `computed_quantiles` entry is parsed on its own. Memory follows the entities kept.

import { InputError } from './input-error.ts';
import { scanJsonChunks } from './json-stream.ts';
import type { Decision, JsonStreamHandler, PathPart, ValueKind } from './json-stream-handler.ts';
import type { StatsBuilder } from './stats-builder.ts';
import { isObj } from './proto-json.ts';
import { jsonHistogram, jsonStatEntry, supportedQuantiles } from './stats-json.ts';

const EXPECTED = 'expected Envoy /stats?format=json output';
const HISTOGRAMS = new Set(['histograms']);
const SUPPORTED = new Set(['supported_quantiles', 'supportedQuantiles']);
const COMPUTED = new Set(['computed_quantiles', 'computedQuantiles']);

/** Adds the stats of a streamed JSON document to a builder. */
class JsonStatsHandler implements JsonStreamHandler {
  private readonly into: StatsBuilder;
  sawStats = false;
  private quantiles: number[] | undefined;
  /** computed_quantiles elements seen before supported_quantiles (not Envoy's order, but valid JSON). */
  private early: unknown[] = [];
  /** `name` and `value` of an element walked because it starts with `histograms`. */
  private partial: Record<string, unknown> = {};

  constructor(into: StatsBuilder) {
    this.into = into;
  }

  decide(path: readonly PathPart[], kind: ValueKind): Decision {
    switch (path.length) {
      case 0:
        return kind === 'object' ? 'descend' : 'skip';
      case 1:
        if (path[0] !== 'stats') return 'skip';
        // A later `stats` replaces an earlier one, as in JSON.parse; a non-array one leaves none.
        this.sawStats = kind === 'array';
        return kind === 'array' ? 'descend' : 'skip';
      case 2:
        return kind === 'object' ? 'peek' : 'skip';
      case 3:
        if (HISTOGRAMS.has(path[2] as string)) return kind === 'object' ? 'descend' : 'skip';
        return 'emit';
      case 4:
        if (SUPPORTED.has(path[3] as string)) return 'emit';
        if (COMPUTED.has(path[3] as string)) return kind === 'array' ? 'descend' : 'skip';
        return 'skip';
      default:
        return 'emit';
    }
  }

  decidePeeked(_path: readonly PathPart[], firstKey: string | undefined): 'descend' | 'emit' | 'skip' {
    // The histograms element is walked; every other element is small and parsed whole.
    return firstKey === 'histograms' ? 'descend' : 'emit';
  }

  enter(path: readonly PathPart[]): void {
    if (path.length === 3) {
      this.quantiles = undefined;
      this.early = [];
    }
  }

  value(path: readonly PathPart[], value: unknown): void {
    if (path.length === 2) {
      jsonStatEntry(value, this.into);
    } else if (path.length === 4) {
      this.quantiles = supportedQuantiles(value);
      for (const computed of this.early) jsonHistogram(computed, this.quantiles, this.into);
      this.early = [];
    } else if (path.length === 5) {
      if (this.quantiles === undefined) this.early.push(value);
      else jsonHistogram(value, this.quantiles, this.into);
    } else if (path.length === 3 && typeof path[2] === 'string' && path[2] !== 'histograms') {
      // A histograms element that also has a `name`: added as the named stat it claims to be.
      if (path[2] === 'name' || path[2] === 'value') this.partial[path[2]] = value;
    }
  }

  leave(path: readonly PathPart[]): void {
    if (path.length === 3) {
      for (const computed of this.early) jsonHistogram(computed, this.quantiles ?? [], this.into);
      this.early = [];
    } else if (path.length === 2) {
      if (this.partial.name !== undefined) jsonStatEntry(this.partial, this.into);
      this.partial = {};
    }
  }
}

/** A document that opens with its `stats` array, as Envoy writes it (a byte-order mark and JSON whitespace allowed). */
const OPENS_WITH_STATS = /^\uFEFF?[ \t\n\r]*\{[ \t\n\r]*"stats"[ \t\n\r]*:[ \t\n\r]*\[/;
/** Bytes of the head in which the opening is looked for. */
const OPENING_BYTES = 256;
/** The opening the scanner is given when it takes over part way through the `stats` array. */
const RESUME = Buffer.from('{"stats":[');
/** Elements are parsed in slabs of about this many bytes. */
const SLAB_BYTES = 1 << 20;
/** Where a slab may end: after an element that is an object, before the comma. */
const ELEMENT_END = Buffer.from('},');

/**
 * Reads the plain `{"name","value"}` elements at the start of the `stats` array in slabs: a slab is cut after the last
 * `},` in its first 1 MiB and read by one JSON.parse. A cut inside a string or inside the histograms element
 * leaves a slab that does not parse (its last string or bracket is open), so a slab that parses is whole elements.
 * From the first slab that does not parse, or holds an element with `histograms`, the scanner takes over, given the
 * array's opening again and the bytes from that slab on.
 */
class StatsSlabs {
  private readonly into: StatsBuilder;
  /** Input bytes read as slabs (and the opening), less the opening given to the scanner: its first byte's offset. */
  scannerOffset = 0;

  constructor(into: StatsBuilder) {
    this.into = into;
  }

  /** Reads what slabs it can and yields the bytes left for the scanner. */
  async *rest(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    const input = chunks[Symbol.asyncIterator]();
    let pending: Buffer = Buffer.alloc(0);
    let consumed = 0;
    let inArray = false;
    for (let next = await input.next(); !next.done; next = await input.next()) {
      pending = pending.length > 0 ? Buffer.concat([pending, next.value]) : next.value;
      if (!inArray) {
        const opening = OPENS_WITH_STATS.exec(pending.toString('utf8', 0, Math.min(pending.length, OPENING_BYTES)));
        if (!opening) {
          if (pending.length < OPENING_BYTES) continue;
          break;
        }
        consumed = Buffer.byteLength(opening[0]);
        pending = pending.subarray(consumed);
        inArray = true;
      }
      let stopped = false;
      while (pending.length >= SLAB_BYTES) {
        const cut = pending.lastIndexOf(ELEMENT_END, SLAB_BYTES);
        if (cut < 0 || !this.slab(pending.toString('utf8', 0, cut + 1))) {
          stopped = true;
          break;
        }
        consumed += cut + 2;
        pending = pending.subarray(cut + 2);
      }
      if (stopped) break;
    }
    if (inArray) {
      this.scannerOffset = consumed - RESUME.length;
      yield RESUME;
    }
    if (pending.length > 0) yield pending;
    for (let next = await input.next(); !next.done; next = await input.next()) yield next.value;
  }

  /** Adds a slab's elements; false, adding none, when it does not parse or holds an element the scanner walks. */
  private slab(text: string): boolean {
    let elements: unknown[];
    try {
      elements = JSON.parse(`[${text}]`) as unknown[];
    } catch {
      return false;
    }
    // The scanner walks an element that opens with `histograms`; any element that has one is left to it.
    if (elements.some((e) => isObj(e) && Object.hasOwn(e, 'histograms'))) return false;
    for (const element of elements) jsonStatEntry(element, this.into);
    return true;
  }
}

/** Reads a streamed `/stats?format=json` document into the builder; throws InputError naming `source`. */
export async function jsonStatsChunks(chunks: AsyncIterable<Buffer>, into: StatsBuilder, source: string): Promise<void> {
  const handler = new JsonStatsHandler(into);
  const slabs = new StatsSlabs(into);
  await scanJsonChunks(slabs.rest(chunks), source, handler, () => ({ expected: EXPECTED, startOffset: slabs.scannerOffset }));
  if (!handler.sawStats) throw new InputError(source, `JSON without a stats[] array; ${EXPECTED}`);
}
