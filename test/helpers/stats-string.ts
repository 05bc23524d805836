// Stats held in a string, read by the real stats parser as one chunk.

import { Readable } from 'node:stream';
import type { StatsSample } from '../../src/model/snapshot.ts';
import type { KnownEntities } from '../../src/parse/stat-names.ts';
import { parseStats } from '../../src/parse/stats.ts';

/** Parses stats held in a string. */
export function parseStatsString(text: string, source: string, known: KnownEntities = {}): Promise<StatsSample> {
  return parseStats(Readable.from([Buffer.from(text, 'utf8')]), source, known);
}
