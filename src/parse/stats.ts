// Reading a /stats capture in any of Envoy's three formats, detected from its content.

import type { StatsSample } from '../model/snapshot.ts';
import { InputError } from './input-error.ts';
import { peek } from './peek.ts';
import { detectKind, kindName } from './detect.ts';
import { lineWindows } from './lines.ts';
import { type KeptStats, StatsBuilder } from './stats-builder.ts';
import { jsonStatsChunks } from './stats-json-stream.ts';
import type { KnownEntities } from './stat-names.ts';
import { PrometheusStatsParser } from './stats-prometheus.ts';
import { TextStatsParser } from './stats-text.ts';

const EXPECTED = 'expected Envoy /stats output (text, ?format=json or /stats/prometheus)';

/**
 * Parses a stats capture from a byte stream (any format, read as a stream); throws InputError naming `source` when it
 * is not stats. Lines that are not stats, in a capture that is mostly stats, are skipped and told to `note`, counted.
 * With `kept`, only those stats of each entity are held (all are counted).
 */
export async function parseStats(
  chunks: AsyncIterable<Buffer>,
  source: string,
  known: KnownEntities = {},
  note?: (text: string) => void,
  kept?: KeptStats,
): Promise<StatsSample> {
  const { head, rest } = await peek(chunks);
  const kind = detectKind(head);
  if (kind === 'json') {
    // Streamed: the stats array's elements are parsed in batches, never the whole document at once.
    const builder = new StatsBuilder('json', known, kept);
    await jsonStatsChunks(rest, builder, source);
    return builder.sample;
  }
  if (kind === 'html') throw new InputError(source, 'expected Envoy /stats output, got an HTML page (an error or login page answered with 200)');
  if (kind !== 'stats-text' && kind !== 'stats-prometheus') {
    throw new InputError(source, `${kindName(kind)}; ${EXPECTED}`);
  }
  const builder = new StatsBuilder(kind === 'stats-text' ? 'text' : 'prometheus', known, kept);
  const parser = kind === 'stats-text' ? new TextStatsParser(builder) : new PrometheusStatsParser(builder);
  for await (const window of lineWindows(rest, source, () => parser.lines)) parser.window(window);
  const { parsed, rejected } = parser;
  if (parsed === 0 || builder.sample.count === 0) throw new InputError(source, `no stats found; ${EXPECTED}`);
  if (rejected > parsed) {
    throw new InputError(source, `${rejected} of ${parsed + rejected} lines are not stats; ${EXPECTED}`);
  }
  const first = parser.firstRejected;
  if (rejected > 0 && first) {
    const total = (parsed + rejected).toLocaleString('en-US');
    const lines = rejected === 1 ? `1 of ${total} lines is not a stat and was` : `${rejected.toLocaleString('en-US')} of ${total} lines are not stats and were`;
    note?.(`${source}: ${lines} skipped (${rejected === 1 ? '' : 'first: '}line ${first.line}, ${JSON.stringify(first.text)})`);
  }
  return builder.sample;
}
