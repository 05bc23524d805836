// Times and durations as people say them, and the capture time in the table report.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAgo, formatMs, formatUtc } from '../../src/report/format.ts';
import { run } from '../helpers/cli.ts';

const NOW = new Date('2026-11-22T07:40:00Z');

describe('formatAgo', () => {
  const cases: Array<[string, string]> = [
    ['2026-11-22T07:39:30Z', '30 seconds ago'],
    ['2026-11-22T07:37:00Z', '3 minutes ago'],
    ['2026-11-22T05:40:00Z', '2 hours ago'],
    ['2026-11-20T07:40:00Z', '2 days ago'],
    ['2026-11-22T07:40:05Z', 'in 5 seconds'],
    ['2026-11-24T20:31:42Z', "3 days ahead of this machine's clock"],
  ];
  for (const [then, want] of cases) it(`${then} → ${want}`, () => assert.equal(formatAgo(new Date(then), NOW), want));
});

describe('formatMs and formatUtc', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'],
    [250, '250ms'],
    [110_000, '1m 50s'],
    [3_600_000, '1h'],
    [90_061_000, '1d 1h 1m 1s'],
  ];
  for (const [ms, want] of cases) it(`${ms} ms → ${want}`, () => assert.equal(formatMs(ms), want));
  it('UTC to the second', () => assert.equal(formatUtc(new Date('2026-11-20T21:14:35.123Z')), '2026-11-20 21:14:35 UTC'));
});

describe('the table report', () => {
  it('says when the stats were captured, when the bundle recorded it', async () => {
    const r = await run(['analyze', 'samples/home-assistant-websocket-drops', '--fail-on', 'none']);
    const captured = r.stdout.split('\n').find((l) => l.startsWith('  captured'));
    assert.match(captured ?? '', /^ {2}captured (\d+ (second|minute|hour|day|month|year)s? ago|in \d+ \w+) \(2026-11-20 21:14:35 UTC\)$/);
  });
  it('says nothing about it when it is not known', async () => {
    const dir = 'samples/home-assistant-websocket-drops';
    const r = await run(['analyze', '--config-dump', `${dir}/config_dump.json`, '--stats', `${dir}/stats.txt`, '--fail-on', 'none']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /captured/);
  });
});
