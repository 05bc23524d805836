// The table report: it fits the width it is given (the terminal's, else COLUMNS, else 100) without cutting a number
// or a name, never wraps fix YAML, leads with a summary, and lists the findings behind no root cause only with --all
// (or -o wide), at most MAX_FINDING_ROWS of them.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Diagnosis } from '../../src/diagnose/diagnose.ts';
import type { Finding } from '../../src/model/finding.ts';
import { MAX_FINDING_ROWS, renderTable } from '../../src/report/table.ts';
import { run } from '../helpers/cli.ts';

const INCIDENT = 'samples/home-assistant-websocket-drops';

function diagnosisWith(count: number): Diagnosis {
  const findings: Finding[] = Array.from({ length: count }, (_, i) => ({
    code: 'optional-read-failed',
    severity: 'info',
    snapshot: 'envoy-0',
    entity: { kind: 'cluster', name: `httproute/default/app-${String(i).padStart(4, '0')}/rule/0` },
    evidence: { read: `/clusters of cluster ${i} answered with a body that was cut short after a long while` },
  }));
  const snapshot = { id: 'envoy-0', flavor: 'envoy', clusters: new Map(), listeners: [], routes: [], inputs: {} } as unknown as Diagnosis['snapshots'][number];
  return { snapshots: [snapshot], findings, rootCauses: [], notCollected: [] };
}

/** Lines of fix YAML (`     | ...`): printed whole, whatever the width. */
const isYaml = (l: string) => /^ {5}\| /.test(l);
/** A line that holds one name or link alone (`   https://...`): a name longer than the width is never cut. */
const isName = (l: string) => /^\s*(- )?\S+$/.test(l);
/** Prose lines: those that must fit. */
const prose = (text: string) => text.split('\n').filter((l) => !isYaml(l) && !isName(l));

/** The numbers and names of the incident's report: each must appear whole on one line. */
const WHOLE = [
  '1,242',
  '1,221',
  '458.9 KiB',
  'httproute/home/home-assistant-app/rule/0',
  'per_connection_buffer_limit_bytes',
  'upstream_connection_options.tcp_keepalive',
];

describe('the table report fits the terminal', () => {
  for (const columns of [60, 80, 100, 200]) {
    it(`COLUMNS=${columns}: no prose line is wider, no number or name is cut, fix YAML is whole`, async () => {
      const r = await run(['analyze', INCIDENT, '--all'], { env: { COLUMNS: String(columns) } });
      assert.equal(r.code, 79);
      const lines = r.stdout.split('\n');
      for (const l of prose(r.stdout)) assert.ok(l.length <= columns, `${l.length} > ${columns}: ${l}`);
      for (const whole of WHOLE)
        assert.ok(
          lines.some((l) => l.includes(whole)),
          `${whole} on one line`,
        );
      assert.ok(lines.includes('     |       requestTimeout: 0s'), 'YAML as rendered');
      assert.doesNotMatch(r.stdout, /[│┌└]/, 'no boxes that cut cells');
    });
  }
  it("a terminal's own width wins over COLUMNS; piped without COLUMNS, 100", async () => {
    const tty = await run(['analyze', INCIDENT, '--all', '--no-color'], { isTTY: true, columns: 70, env: { COLUMNS: '150' } });
    const widest = (text: string) => Math.max(...prose(text).map((l) => l.length));
    assert.ok(widest(tty.stdout) <= 70, String(widest(tty.stdout)));
    const piped = await run(['analyze', INCIDENT, '--all']);
    assert.ok(widest(piped.stdout) <= 100 && widest(piped.stdout) > 90, String(widest(piped.stdout)));
  });
});

describe('the table report leads with a summary', () => {
  it('one line per root cause and the exit code, before any detail; the rest of the findings only with --all or -o wide', async () => {
    const r = await run(['analyze', INCIDENT], { env: { COLUMNS: '100' } });
    const lines = r.stdout.split('\n');
    const summary = lines.findIndex((l) => l.startsWith('SUMMARY: 3 root causes'));
    assert.ok(summary >= 0 && summary < 6, `summary at line ${summary}`);
    assert.match(lines[summary + 1] ?? '', /^1\. ERROR {4}flow-control-stall {5}Flow-control stall/);
    assert.match(lines[summary + 3] ?? '', /^2\. WARNING {2}policy-overridden {6}A gateway-level policy/);
    assert.match(lines[summary + 4] ?? '', /^3\. WARNING {2}missing-tcp-keepalive {2}Long-lived connections/);
    assert.equal(lines[summary + 5], 'exit 79: an error is at or above --fail-on error');
    const rest = Number(/^(\d+) findings back no root cause \(.*\): --all lists them$/.exec(lines[summary + 6] ?? '')?.[1]);
    const json = JSON.parse((await run(['analyze', INCIDENT, '-o', 'json'])).stdout) as { findings: unknown[]; rootCauses: Array<{ evidence: unknown[] }> };
    assert.ok(rest > 0 && rest < json.findings.length, String(rest));
    assert.doesNotMatch(r.stdout, /FINDINGS BEHIND NO ROOT CAUSE/);
    for (const args of [['--all'], ['-o', 'wide']]) {
      const all = (await run(['analyze', INCIDENT, ...args])).stdout;
      assert.match(all, new RegExp(`FINDINGS BEHIND NO ROOT CAUSE \\(${rest}\\)`));
      assert.equal(all.split('\n').filter((l) => /^(ERROR|WARNING|INFO) /.test(l)).length, rest, args.join(' '));
    }
    // Each finding that backs a root cause is under it: the Android close pattern is evidence of flow-control-stall.
    // The iOS closes (all of that app's sessions end at 8-10 s: its own timer) back none, and are listed as such.
    const details = r.stdout.slice(r.stdout.indexOf('ROOT CAUSES'));
    const stall = details.slice(0, details.indexOf('\n2. '));
    assert.match(stall, /- downstream-close-with-active-request \(user-agent https-10443\/android\)/);
    assert.doesNotMatch(r.stdout, /https-10443\/ios|ios clients/);
    const unexplained = (await run(['analyze', INCIDENT, '--all'])).stdout.split('FINDINGS BEHIND NO ROOT CAUSE')[1] ?? '';
    assert.match(unexplained, /WARNING {2}downstream-close-with-active-request · user-agent https-10443\/ios/);
    assert.match(unexplained.replace(/\s+/g, ' '), /48 upgraded sessions of ios clients ended with flag DC/);
  });
  it('an input that was not given is said in the summary, even when root causes were found', async () => {
    const r = await run(['analyze', '--stats', `${INCIDENT}/stats.txt`], { env: { COLUMNS: '100' } });
    const summary = r.stdout.slice(r.stdout.indexOf('SUMMARY'), r.stdout.indexOf('ROOT CAUSES'));
    assert.match(summary.replace(/\n/g, ' '), /Not assessed for lack of input: no config dump/);
  });
  it('the exit line says what --fail-on and --force-exit-zero made of it', async () => {
    const exitLine = async (args: string[]) => (await run(['analyze', INCIDENT, ...args])).stdout.split('\n').find((l) => l.startsWith('exit '));
    assert.equal(await exitLine(['--fail-on', 'none']), 'exit 0: nothing fails the run (--fail-on none)');
    assert.equal(await exitLine(['--force-exit-zero']), 'exit 0: an error is at or above --fail-on error; --force-exit-zero makes it 0 (79 without it)');
    assert.equal(await exitLine(['--fail-on', 'warning']), 'exit 79: an error is at or above --fail-on warning');
  });
});

describe('the findings list', () => {
  const cases = [
    { findings: 3, rows: 3, more: undefined },
    { findings: MAX_FINDING_ROWS + 37, rows: MAX_FINDING_ROWS, more: 37 },
  ];
  for (const c of cases) {
    it(`${c.findings} findings: ${c.rows} listed${c.more ? `, and ${c.more} more named` : ''}`, () => {
      const text = renderTable(diagnosisWith(c.findings), { color: false, width: 80, version: 'test', policy: { failOn: 'error' }, all: true });
      assert.equal(text.split('\n').filter((l) => l.startsWith('INFO ')).length, c.rows);
      for (const i of [0, c.rows - 1]) assert.ok(text.includes(`app-${String(i).padStart(4, '0')}/rule/0`), `row ${i} is shown whole`);
      assert.equal(text.includes(`app-${String(c.rows).padStart(4, '0')}`), false);
      const more = /and (\d+) more findings/.exec(text)?.[1];
      assert.equal(more === undefined ? undefined : Number(more), c.more);
      for (const l of text.split('\n')) assert.ok(l.length <= 80, l);
    });
  }
});
