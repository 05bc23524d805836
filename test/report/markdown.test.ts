// The Markdown incident write-up: its sections in order, the numbers in its tables, the fixes as YAML that
// parses, what to verify, and names from the input that cannot inject markup.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { mdCode, mdText } from '../../src/report/markdown.ts';
import { run, ROOT } from '../helpers/cli.ts';
import { HOSTILE_NAME, hostileBundle } from '../helpers/hostile-bundle.ts';

const INCIDENT = 'samples/home-assistant-websocket-drops';
const HA = 'httproute/home/home-assistant-app/rule/0';

async function markdown(target: string): Promise<string> {
  const r = await run(['analyze', target, '-o', 'markdown', '--fail-on', 'none']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  return r.stdout;
}

async function json(target: string): Promise<{ rootCauses: Array<{ id: string; fixes: Array<{ text: string }> }> }> {
  return JSON.parse((await run(['analyze', target, '-o', 'json', '--fail-on', 'none'])).stdout);
}

/** Splits a row of a Markdown table into its cells, honouring `\|`. */
function cells(line: string): string[] {
  return line
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

/** The first table after the line that `heading` matches, as header and rows. */
function tableAfter(md: string, heading: RegExp | string, from = 0): { head: string[]; rows: string[][] } {
  const lines = md.split('\n');
  const start = lines.findIndex((l, i) => i >= from && (typeof heading === 'string' ? l === heading : heading.test(l)));
  assert.ok(start >= 0, `no line ${heading}`);
  const first = lines.findIndex((l, i) => i > start && l.startsWith('|'));
  const block: string[] = [];
  for (let i = first; i < lines.length && (lines[i] ?? '').startsWith('|'); i++) block.push(lines[i] as string);
  const [head, sep, ...rows] = block;
  assert.match(sep ?? '', /^\| ---( \| ---)* \|$/);
  return { head: cells(head ?? ''), rows: rows.map(cells) };
}

function headings(md: string): string[] {
  return md.split('\n').filter((l) => /^#{1,3} /.test(l));
}

describe('-o markdown: the reference incident', async () => {
  const md = await markdown(INCIDENT);

  it('has the sections of an incident write-up, in order', () => {
    const h = headings(md);
    assert.match(h[0] ?? '', /^# Incident: Flow-control stall/);
    const want = [
      '## Summary',
      '### Proxies',
      '## Symptoms',
      '## Root cause 1: flow-control-stall',
      '### Evidence',
      '### Ruled out',
      '### Fix',
      '### Verify',
      '## Root cause 2: policy-overridden',
    ];
    let at = 0;
    for (const w of want) {
      const i = h.indexOf(w, at);
      assert.ok(i >= at, `${w} after ${h[at - 1]}`);
      at = i + 1;
    }
    assert.match(h[h.length - 1] ?? '', /^## Findings \(\d+\)$/);
  });

  it('lists the root causes with severity and confidence', () => {
    const t = tableAfter(md, '## Summary');
    assert.deepEqual(t.head, ['#', 'root cause', 'severity', 'confidence', 'where', 'on']);
    assert.deepEqual(
      t.rows.map((r) => r.slice(0, 4)),
      [
        ['1', '`flow-control-stall`', 'error', 'high (1.00)'],
        ['2', '`policy-overridden`', 'warning', 'high (0.80)'],
        ['3', '`missing-tcp-keepalive`', 'warning', 'medium (0.65)'],
      ],
    );
  });

  it('says when the stats were captured, in human terms', () => {
    const t = tableAfter(md, '### Proxies');
    assert.equal(t.rows[0]?.[4], '2 samples 30s apart');
    assert.match(t.rows[0]?.[3] ?? '', /^(\d+ \w+ ago|in \d+ \w+) \(2026-11-20 21:14:35 UTC\)$/);
  });

  const evidence: Array<{ finding: string; rows: Record<string, string> }> = [
    {
      finding: `#### upstream-reads-paused · cluster \`${HA}\``,
      rows: { '`paused`': '1,242', '`resumed`': '1,221', '`pausedNowUpperBound`': '21', '`windowSeconds`': '30s' },
    },
    {
      finding: `#### upstream-bytes-buffered · cluster \`${HA}\``,
      rows: { '`bufferedBytes`': '458.9 KiB', '`limitBytes`': '32 KiB', '`activeConnections`': '68', '`fullBuffers`': '14.34' },
    },
    { finding: `#### upstream-close-with-active-request · cluster \`${HA}\``, rows: { '`count`': '155', '`totalCloses`': '908', '`share`': '17%' } },
  ];
  for (const e of evidence) {
    it(`evidence table: ${e.finding.replace(/^#+ /, '')}`, () => {
      const t = tableAfter(md, e.finding);
      assert.deepEqual(t.head, ['number', 'value']);
      const got = Object.fromEntries(t.rows.map((r) => [r[0], r[1]]));
      for (const [k, v] of Object.entries(e.rows)) assert.equal(got[k], v, k);
    });
  }

  it('the upgraded-session band shows its window and the timer', () => {
    const t = tableAfter(md, /^#### upgraded-sessions-end-together · route /);
    const rows = t.rows.map((r) => [r[0], r[1]]);
    const got = Object.fromEntries(rows.filter((r) => ['`lowMs`', '`highMs`', '`timerMs`', '`flag`'].includes(r[0] as string)));
    // The first band of the route in the findings' order is one of the two; both carry these keys.
    assert.ok(['UC', 'DC'].includes(got['`flag`'] as string));
    assert.match(got['`lowMs`'] as string, /^(\d+m )?\d+s$/);
  });

  it('rules out the competing timers and limits with their numbers', () => {
    const t = tableAfter(md, '### Ruled out');
    assert.deepEqual(t.head, ['hypothesis', 'on', 'why (numbers)']);
    assert.deepEqual(
      t.rows.map((r) => r[0]),
      ['`stream-idle-timeout`', '`route-timeout-on-upgrade`', '`connection-max-duration`', '`circuit-breaker-saturation`', '`websocket-upgrade-disabled`'],
    );
    const why = Object.fromEntries(t.rows.map((r) => [r[0], r[2]]));
    assert.match(why['`stream-idle-timeout`'] ?? '', /stream\\?_idle\\?_timeout 5m, downstream\\?_rq\\?_idle\\?_timeout 0/);
    assert.match(why['`route-timeout-on-upgrade`'] ?? '', /upstream\\?_rq\\?_timeout 0$/);
  });

  it('prints each fix as YAML that parses to the object the JSON report carries', async () => {
    const fences = [...md.matchAll(/^```yaml\n([\s\S]*?)\n```$/gm)].map((m) => m[1] as string);
    const report = await json(INCIDENT);
    const unique = [...new Set(report.rootCauses.flatMap((r) => r.fixes.map((f) => f.text.trimEnd())))];
    assert.equal(fences.length, unique.length, 'each distinct fix once; repeats refer back');
    for (const f of fences) assert.ok(unique.includes(f));
    const kinds = fences.map((f) => (parse(f) as { kind?: string }).kind).filter(Boolean);
    assert.ok(kinds.includes('BackendTrafficPolicy') && kinds.includes('ClientTrafficPolicy'), kinds.join(','));
    assert.match(md, /The same object as in root cause 1 above\./);
  });

  it('says which stats should stop moving, with what the capture read', () => {
    const t = tableAfter(md, '### Verify');
    assert.deepEqual(t.head, ['stat or setting', 'on', 'at capture', 'change in the window', 'after the fix']);
    const rows = t.rows.map((r) => [r[0], r[2], r[3], r[4]]);
    assert.deepEqual(rows[0], [`\`cluster.${HA}.upstream_flow_control_paused_reading_total\``, '1,242', '+9 in 30s', 'stops growing']);
    assert.deepEqual(rows[1], [
      `\`cluster.${HA}.upstream_flow_control_paused_reading_total\``,
      '1,242 vs 1,221',
      '+9 in 30s',
      `equals cluster.${HA}.upstream_flow_control_resumed_reading_total`,
    ]);
    assert.ok(rows.some((r) => r[0] === '`http.https-10443.downstream_flow_control_paused_reading_total`' && r[1] === '216 vs 214'));
  });
});

describe('-o markdown: every sample', () => {
  const samples = readdirSync(`${ROOT}/samples`, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
  for (const name of samples) {
    it(`${name}: one section per root cause of the JSON report, each with a verify table`, async () => {
      const target = `samples/${name}`;
      const [md, report] = await Promise.all([markdown(target), json(target)]);
      const sections = headings(md).filter((h) => h.startsWith('## Root cause '));
      assert.deepEqual(
        sections,
        report.rootCauses.map((r, i) => `## Root cause ${i + 1}: ${r.id}`),
      );
      if (report.rootCauses.length === 0) assert.match(headings(md)[0] ?? '', /no root cause found/);
      let from = 0;
      for (const s of sections) {
        from = md.split('\n').indexOf(s, from);
        const t = tableAfter(md, '### Verify', from);
        assert.ok(t.rows.length > 0, `${s}: verify rows`);
      }
    });
  }
});

describe('-o markdown: names from the input', () => {
  const cases: Array<[string, string]> = [
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['a|b', 'a\\|b'],
    ['*bold* and [link](http://x)', '\\*bold\\* and \\[link\\](http://x)'],
    ['_under_ snake_case', '\\_under\\_ snake_case'],
    ['two\nlines', 'two lines'],
    ['`tick`', '\\`tick\\`'],
  ];
  for (const [input, want] of cases) {
    it(`mdText(${JSON.stringify(input)})`, () => assert.equal(mdText(input), want));
  }
  it('mdCode keeps names literal in a code span, and escapes what would break out of one', () => {
    assert.equal(mdCode('a|b'), '`a\\|b`');
    assert.equal(mdCode('x`y'), 'x\\`y');
  });

  it('a hostile cluster name appears only escaped or inside code', async () => {
    const dir = await hostileBundle();
    try {
      const md = await markdown(dir);
      assert.ok(md.includes(`\`${HOSTILE_NAME}\``), 'the name in a code span');
      const outsideCode = md.replace(/^(`{3,})[a-z]*\n[\s\S]*?\n\1$/gm, '').replace(/`[^`\n]*`/g, '');
      assert.doesNotMatch(outsideCode, /<script/i);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
