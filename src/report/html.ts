// The incident write-up as one self-contained HTML file: inline CSS and inline SVG charts, no script and no
// external request (a Content-Security-Policy forbids both). Charts: bytes buffered against the buffer limit
// per cluster or connection manager, reads paused against resumed, and the distribution of WebSocket session
// durations from the access log with the suspected timer marked. Every string from the input is escaped: names
// come from config dumps that are not trusted.
// The charts are drawn in html-charts.ts.

import type { Diagnosis } from '../diagnose/diagnose.ts';
import type { EntityRef } from '../model/finding.ts';
import { applyCommand, asSentence } from './format.ts';
import { bufferedChart, pausesChart, sessionsChart } from './html-charts.ts';
import { esc } from './html-escape.ts';
import { liveChanges } from './live-changes.ts';
import { backsText, type CheckRow, expectationText, incident, type ReportContext, type RootCauseSection, verifyNowText, verifyWindowText } from './incident.ts';

function table(head: string[], rows: string[][], cls = ''): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table>`;
}

function code(s: string): string {
  return `<code>${esc(s)}</code>`;
}

function entityHtml(e: EntityRef): string {
  return `${esc(e.kind)} ${code(e.name)}`;
}

function checksHtml(title: string, rows: CheckRow[], third: string, cls: string): string {
  if (rows.length === 0) return '';
  return `<h3>${esc(title)}</h3>\n${table(
    ['hypothesis', 'on', third],
    rows.map((c) => [code(c.hypothesis), entityHtml(c.entity), esc(c.why)]),
    cls,
  )}`;
}

function rootCauseHtml(s: RootCauseSection): string {
  const r = s.rootCause;
  const out: string[] = [
    `<section class="root-cause sev-${esc(r.severity)}" id="root-cause-${s.index}" data-root-cause="${esc(r.id)}">`,
    `<h2>Root cause ${s.index}: ${esc(r.id)}</h2>`,
    `<p class="meta"><strong>${esc(s.title)}</strong> · <span class="sev">${esc(r.severity)}</span> · confidence ${esc(r.confidence)} (${r.score.toFixed(2)}) · ${esc(s.where)}</p>`,
    `<p>${esc(asSentence(s.sentence))}</p>`,
    `<p>On ${r.entities.map(entityHtml).join(', ')}.</p>`,
  ];
  if (s.explains.length > 0) out.push(`<p>It explains:</p><ul>${s.explains.map((e) => `<li>${esc(e)}</li>`).join('')}</ul>`);
  out.push('<h3>Evidence</h3>');
  for (const f of s.evidence) {
    out.push(`<h4>${esc(f.code)} · ${entityHtml(f.entity)}</h4><p>${esc(asSentence(f.sentence))}</p>`);
    out.push(
      table(
        ['number', 'value'],
        f.rows.map((row) => [code(row.label), esc(row.value)]),
        'evidence',
      ),
    );
  }
  out.push(
    checksHtml('Ruled out', s.ruledOut, 'why (numbers)', 'ruled-out'),
    checksHtml('Also possible', s.alsoPossible, 'numbers', 'possible'),
    checksHtml('Not assessed', s.unknown, 'for lack of', 'unknown'),
  );
  if (s.fixes.length > 0) {
    out.push('<h3>Fix</h3>');
    for (const f of s.fixes) {
      out.push(`<h4>${esc(f.flavorName)}: ${esc(f.fix.target)}</h4>`);
      if (f.sameAs !== undefined) {
        out.push(`<p>The same object as in root cause ${f.sameAs} above.</p>`);
        continue;
      }
      const command = applyCommand(f.fix);
      out.push(`<p>${command ? `Apply with <code>${esc(command)}</code>:` : 'Merge into the Envoy configuration:'}</p>`);
      out.push(`<pre class="fix" data-flavor="${esc(f.fix.flavor)}"><code>${esc(f.fix.text.trimEnd())}</code></pre>`);
      const live = liveChanges(f.fix);
      if (live) {
        out.push(`<p>Against the live ${esc(live.against)}:</p>`);
        const cell = (v: string | undefined, none: string) => (v === undefined ? esc(none) : code(v));
        out.push(
          table(
            ['field', 'live', 'after the fix'],
            live.changes.map((c) => [code(c.path), cell(c.before, '(none)'), cell(c.after, '(removed)')]),
            'live-changes',
          ),
        );
      }
      if (f.notes.length > 0) out.push(`<ul class="notes">${f.notes.map((note) => `<li>Note: ${esc(note)}</li>`).join('')}</ul>`);
    }
  }
  out.push('<h3>Verify</h3><p>After applying the fix, read <code>/stats</code> twice a few minutes apart (or run envoy-doctor again) and check:</p>');
  out.push(
    table(
      ['stat or setting', 'on', 'at capture', 'change in the window', 'after the fix'],
      s.verify.map((v) => [
        v.kind === 'stat' ? code(v.subject) : esc(v.subject),
        v.entity ? entityHtml(v.entity) : '',
        esc(verifyNowText(v)),
        esc(verifyWindowText(v)),
        esc(expectationText(v)),
      ]),
      'verify',
    ),
  );
  out.push(
    `<p>Then envoy-doctor no longer names ${code(r.id)} for these entities.${s.docs ? ` More: <a href="${esc(s.docs.url)}">${esc(s.docs.page)}</a>.` : ''}</p>`,
    '</section>',
  );
  return out.filter((x) => x !== '').join('\n');
}

const CSS = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#fff;margin:0 auto;max-width:64rem;padding:1.5rem}
h1{font-size:1.6rem;margin:0 0 .2rem}h2{border-bottom:1px solid #d8dde6;padding-bottom:.2rem;margin-top:2rem}
.byline{color:#5b6475;margin:0}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}th,td{border:1px solid #d8dde6;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f4f8}code{font:.85em ui-monospace,SFMono-Regular,Menlo,monospace;background:#f2f4f8;padding:0 .2em;word-break:break-all}
pre{background:#1d2330;color:#e8ecf3;padding:.75rem;overflow:auto;border-radius:4px}pre code{background:none;color:inherit;word-break:normal}
.sev-error .sev{color:#b3261e;font-weight:600}.sev-warning .sev{color:#8a5a00;font-weight:600}.sev-info .sev{color:#1f5fa8;font-weight:600}
figure{margin:1rem 0 1.5rem}figcaption{margin-bottom:.4rem;color:#3b4252}svg{max-width:100%;height:auto;background:#fbfcfe;border:1px solid #e3e7ee}
svg text{font:12px system-ui,sans-serif;fill:#1d2330}svg .note,svg .axis{fill:#5b6475}
.track{fill:#e8ecf3}.bar.buffered{fill:#d9822b}.limit{stroke:#b3261e;stroke-width:2}
.bar.paused{fill:#d9822b}.bar.resumed{fill:#3b7dd8}
.flag-UC{fill:#b3261e}.flag-DC{fill:#d9822b}.flag-other{fill:#7a5ab8}.flag-none{fill:#3b7dd8}
.band{fill:#f6d365;fill-opacity:.35}.timer{stroke:#1d2330;stroke-width:2;stroke-dasharray:5 3}.timer-label{font-weight:600}.axis-line{stroke:#8a93a5}
`;

/** Renders the incident write-up as one self-contained HTML document. */
export function renderHtml(d: Diagnosis, ctx: ReportContext): string {
  const inc = incident(d, ctx);
  const charts = [bufferedChart(d.findings), pausesChart(d.findings), ...d.snapshots.map((s) => sessionsChart(s, d.findings))].filter((c) => c !== '');
  const body: string[] = [`<header><h1>${esc(inc.title)}</h1><p class="byline">${esc(inc.byline)}</p></header>`];
  body.push('<section id="summary"><h2>Summary</h2>', `<p>${esc(inc.summary)}</p>`);
  if (inc.rootCauses.length > 0) {
    body.push(
      table(
        ['#', 'root cause', 'severity', 'confidence', 'where', 'on'],
        inc.rootCauses.map((s) => [
          `<a href="#root-cause-${s.index}">${s.index}</a>`,
          code(s.rootCause.id),
          esc(s.rootCause.severity),
          `${esc(s.rootCause.confidence)} (${s.rootCause.score.toFixed(2)})`,
          esc(s.where),
          s.rootCause.entities.map(entityHtml).join(', '),
        ]),
        'root-causes',
      ),
    );
  }
  if (inc.notAssessed.length > 0) body.push(`<p>Not assessed for lack of input: ${esc(inc.notAssessed.join('; '))}.</p>`);
  if (inc.proxies.length > 0)
    body.push(
      '<h3>Proxies</h3>',
      table(
        ['proxy', 'flavor', 'Envoy', 'captured', 'stats'],
        inc.proxies.map((p) => [code(p.proxy), esc(p.flavor), esc(p.envoy), esc(p.captured), esc(p.stats)]),
        'proxies',
      ),
    );
  if (inc.notCollected.length > 0)
    body.push(
      `<p>${inc.nothingDiagnosed ? 'Not collected:' : 'Not collected (diagnosed without them):'}</p>`,
      table(
        ['proxy', 'reason'],
        inc.notCollected.map((x) => [code(x.proxy), esc(x.reason)]),
        'not-collected',
      ),
    );
  body.push('</section>');
  if (charts.length > 0) body.push('<section id="charts"><h2>Charts</h2>', ...charts, '</section>');
  if (inc.symptoms.length > 0)
    body.push(`<section id="symptoms"><h2>Symptoms</h2><ul>${inc.symptoms.map((s) => `<li>${esc(s)}</li>`).join('')}</ul></section>`);
  for (const s of inc.rootCauses) body.push(rootCauseHtml(s));
  if (inc.findings.length > 0) {
    body.push(
      `<section id="findings"><h2>Findings (${inc.findings.length})</h2>`,
      table(
        ['severity', 'finding', 'entity', 'numbers', 'backs'],
        inc.findings.map((f) => [esc(f.severity), code(f.code), entityHtml(f.entity), esc(f.numbers), esc(backsText(f.backs))]),
        'findings',
      ),
      '</section>',
    );
  }
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>${esc(inc.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
