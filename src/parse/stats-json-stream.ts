// Envoy's /stats?format=json read as a stream (source/server/admin/stats_render.cc, StatsJsonRender): the
// `stats` array's `{"name","value"}` elements are parsed in batches and dropped once added, and the histograms
// element is walked so each `computed_quantiles` entry is parsed on its own. Memory follows the entities kept.

import { InputError } from './input-error.ts';
import { type Decision, type JsonStreamHandler, type PathPart, scanJsonChunks, type ValueKind } from './json-stream.ts';
import type { StatsBuilder } from './stats-builder.ts';
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

/** Reads a streamed `/stats?format=json` document into the builder; throws InputError naming `source`. */
export async function jsonStatsChunks(chunks: AsyncIterable<Buffer>, into: StatsBuilder, source: string): Promise<void> {
  const handler = new JsonStatsHandler(into);
  await scanJsonChunks(chunks, source, handler, { expected: EXPECTED });
  if (!handler.sawStats) throw new InputError(source, `JSON without a stats[] array; ${EXPECTED}`);
}
