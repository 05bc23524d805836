// The incident write-up as Markdown (CommonMark with GitHub tables): title, summary, symptoms, then per root cause
// the evidence as tables of numbers, what was ruled out and why, the fix per flavor in fenced YAML, and which stats
// should stop moving once it is applied. Every name from the input is escaped: config dumps are not trusted.

import type { Diagnosis } from '../diagnose/diagnose.ts';
import type { EntityRef } from '../model/finding.ts';
import { backsText, type CheckRow, expectationText, incident, type ReportContext, type RootCauseSection, verifyNowText, verifyWindowText } from './incident.ts';
import { applyCommand, asSentence } from './format.ts';
import { liveChanges } from './live-changes.ts';

/** The most entities named inline, and in a table cell; the most rows of a long list. `-o json` has them all. */
const MAX_INLINE = 20;
const MAX_CELL = 5;
const MAX_ROWS = 100;

/** Names joined, the first `max` of a longer list and how many more. */
function listed(names: string[], max = MAX_INLINE): string {
  if (names.length <= max) return names.join(', ');
  return `${names.slice(0, max).join(', ')} and ${(names.length - max).toLocaleString('en-US')} more`;
}

/** The line under a list cut at MAX_ROWS. */
function more(left: number, what: string): string[] {
  return left > 0 ? [`… and ${left.toLocaleString('en-US')} more ${what}s (\`-o json\` lists them all).`, ''] : [];
}
/** Escapes text for Markdown: no HTML, links, emphasis or table breaks can come from it. */
export function mdText(s: string): string {
  return (
    s
      .replace(/[\r\n]+/g, ' ')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/([\\`*[\]|~])/g, '\\$1')
      // `_` inside a word never starts emphasis; elsewhere it could.
      .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_')
  );
}

/** Escaped text that starts a block (a paragraph or list item): no heading, list or rule can start it either. */
function mdBlock(s: string): string {
  return mdText(s)
    .replace(/^([#+=-])/, '\\$1')
    .replace(/^(\d+)([.)])(?=\s|$)/, '$1\\$2');
}

/** A sentence from the catalogue: capital first letter, full stop, escaped. */
function mdSentence(s: string): string {
  return mdBlock(asSentence(s));
}

/** A code span for a name (kept literal), escaped plain text when the name could break out of one. */
export function mdCode(s: string): string {
  if (/[`\r\n]/.test(s) || s.trim() === '') return mdText(s);
  return `\`${s.replace(/\|/g, '\\|')}\``;
}

/** A Markdown table from a header and rows of already-escaped cells. */
function mdTable(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A fenced block longer than any run of backticks inside it. */
function fence(lang: string, text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const f = '`'.repeat(Math.max(3, longest + 1));
  return `${f}${lang}\n${text.trimEnd()}\n${f}`;
}

function entity(e: EntityRef): string {
  return `${e.kind} ${mdCode(e.name)}`;
}

function checks(title: string, rows: CheckRow[], third: string): string[] {
  if (rows.length === 0) return [];
  return [
    `### ${title}`,
    '',
    mdTable(
      ['hypothesis', 'on', third],
      rows.map((c) => [mdCode(c.hypothesis), entity(c.entity), mdText(c.why)]),
    ),
    '',
  ];
}

function rootCauseMd(s: RootCauseSection): string[] {
  const r = s.rootCause;
  const out: string[] = [
    `## Root cause ${s.index}: ${mdText(r.id)}`,
    '',
    `**${mdText(s.title)}** · ${r.severity} · confidence ${r.confidence} (${r.score.toFixed(2)}) · ${mdText(s.where)}`,
    '',
    mdSentence(s.sentence),
    '',
    `On ${listed(r.entities.map(entity))}.`,
    '',
  ];
  if (s.explains.length > 0) out.push('It explains:', '', ...s.explains.map((e) => `- ${mdBlock(e)}`), '');
  out.push('### Evidence', '');
  for (const f of s.evidence) {
    out.push(`#### ${mdText(f.code)} · ${entity(f.entity)}`, '', mdSentence(f.sentence), '');
    out.push(
      mdTable(
        ['number', 'value'],
        f.rows.map((row) => [mdCode(row.label), mdText(row.value)]),
      ),
      '',
    );
  }
  out.push(
    ...checks('Ruled out', s.ruledOut, 'why (numbers)'),
    ...checks('Also possible', s.alsoPossible, 'numbers'),
    ...checks('Not assessed', s.unknown, 'for lack of'),
  );
  if (s.fixes.length > 0) {
    out.push('### Fix', '');
    for (const f of s.fixes) {
      const command = applyCommand(f.fix);
      const how = command ? `apply with \`${command}\`` : 'merge into the Envoy configuration';
      out.push(`#### ${mdText(f.flavorName)}: ${mdText(f.fix.target)}`, '');
      if (f.sameAs !== undefined) {
        out.push(`The same object as in root cause ${f.sameAs} above.`, '');
        continue;
      }
      out.push(`${how[0]?.toUpperCase()}${how.slice(1)}:`, '', fence('yaml', f.fix.text), '');
      const live = liveChanges(f.fix);
      if (live) {
        out.push(`Against the live ${mdText(live.against)}:`, '');
        out.push(
          mdTable(
            ['field', 'live', 'after the fix'],
            live.changes.map((c) => [
              mdCode(c.path),
              c.before === undefined ? '(none)' : mdCode(c.before),
              c.after === undefined ? '(removed)' : mdCode(c.after),
            ]),
          ),
          '',
        );
      }
      for (const n of f.notes) out.push(`- Note: ${mdText(n)}`);
      if (f.notes.length > 0) out.push('');
    }
  }
  out.push('### Verify', '');
  out.push(
    'After applying the fix, read `/stats` twice a few minutes apart (or run envoy-doctor again) and check:',
    '',
    mdTable(
      ['stat or setting', 'on', 'at capture', 'change in the window', 'after the fix'],
      s.verify.map((v) => [
        v.kind === 'stat' ? mdCode(v.subject) : mdText(v.subject),
        v.entity ? entity(v.entity) : '',
        mdText(verifyNowText(v)),
        mdText(verifyWindowText(v)),
        mdText(expectationText(v)),
      ]),
    ),
    '',
    `Then envoy-doctor no longer names ${mdCode(r.id)} for these entities.`,
    '',
  );
  if (s.docs) out.push(`More: [${mdText(s.docs.page)}](${s.docs.url})`, '');
  return out;
}

/** Renders the incident write-up as Markdown. */
export function renderMarkdown(d: Diagnosis, ctx: ReportContext): string {
  const inc = incident(d, ctx);
  const out: string[] = [`# ${mdText(inc.title)}`, '', mdBlock(inc.byline), '', '## Summary', '', mdBlock(inc.summary), ''];
  if (inc.rootCauses.length > 0) {
    out.push(
      mdTable(
        ['#', 'root cause', 'severity', 'confidence', 'where', 'on'],
        inc.rootCauses.map((s) => [
          String(s.index),
          mdCode(s.rootCause.id),
          s.rootCause.severity,
          `${s.rootCause.confidence} (${s.rootCause.score.toFixed(2)})`,
          mdText(s.where),
          listed(s.rootCause.entities.map(entity), MAX_CELL),
        ]),
      ),
      '',
    );
  }
  if (inc.notAssessed.length > 0) out.push(`Not assessed for lack of input: ${inc.notAssessed.map(mdText).join('; ')}.`, '');
  if (inc.proxies.length > 0)
    out.push(
      '### Proxies',
      '',
      mdTable(
        ['proxy', 'flavor', 'Envoy', 'captured', 'stats'],
        inc.proxies.map((p) => [mdCode(p.proxy), p.flavor, mdText(p.envoy), mdText(p.captured), mdText(p.stats)]),
      ),
      '',
    );
  if (inc.notCollected.length > 0) {
    out.push(
      inc.nothingDiagnosed ? 'Not collected:' : 'Not collected (diagnosed without them):',
      '',
      mdTable(
        ['proxy', 'reason'],
        inc.notCollected.map((n) => [mdCode(n.proxy), mdText(n.reason)]),
      ),
      '',
    );
  }
  if (inc.symptoms.length > 0)
    out.push('## Symptoms', '', ...inc.symptoms.slice(0, MAX_ROWS).map((s) => `- ${mdBlock(s)}`), ...more(inc.symptoms.length - MAX_ROWS, 'symptom'), '');
  for (const s of inc.rootCauses) out.push(...rootCauseMd(s));
  if (inc.findings.length > 0) {
    out.push(
      `## Findings (${inc.findings.length})`,
      '',
      mdTable(
        ['severity', 'finding', 'entity', 'numbers', 'backs'],
        inc.findings.slice(0, MAX_ROWS).map((f) => [f.severity, mdCode(f.code), entity(f.entity), mdText(f.numbers), backsText(f.backs)]),
      ),
      '',
      ...more(inc.findings.length - MAX_ROWS, 'finding'),
    );
  }
  return `${out.join('\n').trimEnd()}\n`;
}
