// The incident write-up as one self-contained HTML file: inline CSS and inline SVG charts, no script and no
// external request (a Content-Security-Policy forbids both). Charts: bytes buffered against the buffer limit
// per cluster or connection manager, reads paused against resumed, and the distribution of WebSocket session
// durations from the access log with the suspected timer marked. Every string from the input is escaped: names
// come from config dumps that are not trusted.

import type { Diagnosis, SnapshotSummary } from '../diagnose/diagnose.ts';
import type { AccessLogEntry } from '../model/access-log.ts';
import type { EntityRef, Finding } from '../model/finding.ts';
import { applyCommand, asSentence, formatBytes, formatMs } from './format.ts';
import { backsText, type CheckRow, expectationText, incident, type ReportContext, type RootCauseSection, verifyNowText, verifyWindowText } from './incident.ts';

/** Escapes text for HTML element content and quoted attribute values. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const W = 760;
const LABEL_H = 18;
const num = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));
const n = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function entityText(e: EntityRef): string {
  return `${e.kind} ${e.name}`;
}

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

/** Upstream findings before client-side ones, otherwise in the diagnosis' order. */
function upstreamFirst(findings: Finding[]): Finding[] {
  return [...findings].sort((a, b) => Number(!a.code.startsWith('upstream-')) - Number(!b.code.startsWith('upstream-')));
}

/** Chart: bytes buffered per entity against the per-connection buffer limit. */
function bufferedChart(findings: Finding[]): string {
  const rows = upstreamFirst(findings)
    .filter((f) => f.code === 'upstream-bytes-buffered' || f.code === 'downstream-bytes-buffered')
    .map((f) => ({ f, buffered: n(f.evidence.bufferedBytes), limit: n(f.evidence.limitBytes) }))
    .filter((r): r is { f: Finding; buffered: number; limit: number } => r.buffered !== undefined && r.limit !== undefined);
  if (rows.length === 0) return '';
  const left = 10;
  const plot = W - left - 10;
  const max = Math.max(...rows.map((r) => Math.max(r.buffered, r.limit))) * 1.05;
  const x = (v: number) => left + (v / max) * plot;
  const rowH = LABEL_H + 34;
  const h = rows.length * rowH + 10;
  const parts = rows.map((r, i) => {
    const y = 10 + i * rowH;
    const { f } = r;
    const full = n(f.evidence.fullBuffers);
    const active = n(f.evidence.activeConnections);
    const side = f.code === 'upstream-bytes-buffered' ? 'upstream' : 'client';
    const caption = `${formatBytes(r.buffered)} buffered (${side} connections${active !== undefined ? `: ${active}` : ''})${full !== undefined ? ` = ${num(full)} full buffers` : ''} · limit ${formatBytes(r.limit)} per connection`;
    return [
      `<text x="${left}" y="${y + 12}" class="label">${esc(entityText(f.entity))}</text>`,
      `<rect class="track" x="${left}" y="${y + LABEL_H}" width="${plot}" height="14"/>`,
      `<rect class="bar buffered" x="${left}" y="${y + LABEL_H}" width="${(x(r.buffered) - left).toFixed(1)}" height="14" data-code="${esc(f.code)}" data-entity-kind="${esc(f.entity.kind)}" data-entity="${esc(f.entity.name)}" data-buffered-bytes="${r.buffered}" data-limit-bytes="${r.limit}"${active !== undefined ? ` data-active-connections="${active}"` : ''}${full !== undefined ? ` data-full-buffers="${full}"` : ''}><title>${esc(caption)}</title></rect>`,
      `<line class="limit" x1="${x(r.limit).toFixed(1)}" x2="${x(r.limit).toFixed(1)}" y1="${y + LABEL_H - 3}" y2="${y + LABEL_H + 17}" data-limit-bytes="${r.limit}"/>`,
      `<text x="${left}" y="${y + LABEL_H + 28}" class="note">${esc(caption)}</text>`,
    ].join('');
  });
  return figure(
    'buffered-bytes',
    'Bytes buffered against the buffer limit',
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="img" data-chart="buffered-bytes" data-rows="${rows.length}"><title>Bytes buffered against the per-connection buffer limit</title>${parts.join('')}</svg>`,
    'The red line is one connection\'s buffer limit (per_connection_buffer_limit_bytes); a bar many limits long means that many connections have a full buffer.',
  );
}

/** Chart: flow-control pauses against resumes per entity. */
function pausesChart(findings: Finding[]): string {
  const rows = upstreamFirst(findings)
    .filter((f) => f.code === 'upstream-reads-paused' || f.code === 'downstream-reads-paused')
    .map((f) => ({ f, paused: n(f.evidence.paused), resumed: n(f.evidence.resumed) }))
    .filter((r): r is { f: Finding; paused: number; resumed: number } => r.paused !== undefined && r.resumed !== undefined);
  if (rows.length === 0) return '';
  const left = 80;
  const plot = W - left - 10;
  const max = Math.max(1, ...rows.map((r) => Math.max(r.paused, r.resumed))) * 1.05;
  const rowH = LABEL_H + 52;
  const h = rows.length * rowH + 10;
  const parts = rows.map((r, i) => {
    const y = 10 + i * rowH;
    const { f } = r;
    const windowPaused = n(f.evidence.windowPaused);
    const windowResumed = n(f.evidence.windowResumed);
    const windowSeconds = n(f.evidence.windowSeconds);
    const still = Math.max(0, r.paused - r.resumed);
    const window = windowPaused !== undefined && windowResumed !== undefined && windowSeconds !== undefined ? ` · ${windowPaused} paused and ${windowResumed} resumed in the last ${formatMs(windowSeconds * 1000)}` : '';
    const bar = (series: 'paused' | 'resumed', v: number, dy: number) =>
      `<text x="${left - 6}" y="${y + dy + 11}" class="axis" text-anchor="end">${series}</text><rect class="bar ${series}" x="${left}" y="${y + dy}" width="${((v / max) * plot).toFixed(1)}" height="13" data-series="${series}" data-value="${v}" data-entity-kind="${esc(f.entity.kind)}" data-entity="${esc(f.entity.name)}"><title>${esc(`${series} ${v.toLocaleString('en-US')}`)}</title></rect><text x="${left + (v / max) * plot + 4}" y="${y + dy + 11}" class="value">${v.toLocaleString('en-US')}</text>`;
    return [
      `<text x="10" y="${y + 12}" class="label">${esc(`${f.code === 'upstream-reads-paused' ? 'reads from upstream' : 'reads from clients'} · ${entityText(f.entity)}`)}</text>`,
      bar('paused', r.paused, LABEL_H),
      bar('resumed', r.resumed, LABEL_H + 16),
      `<text x="${left}" y="${y + LABEL_H + 44}" class="note">${esc(`${still.toLocaleString('en-US')} not resumed${window}`)}</text>`,
    ].join('');
  });
  return figure(
    'flow-control',
    'Reads paused against resumed',
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="img" data-chart="flow-control" data-rows="${rows.length}"><title>Flow-control pauses against resumes</title>${parts.join('')}</svg>`,
    'Every pause should be followed by a resume; pauses that outnumber resumes are connections whose reads are still stopped.',
  );
}

/** Duration bin widths a person reads easily. */
const NICE_STEPS_MS = [1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000];

/** A bin width that splits 0..maxMs into at most about `bins` bins. */
export function binWidthMs(maxMs: number, bins = 30): number {
  return NICE_STEPS_MS.find((s) => maxMs / s <= bins) ?? Math.ceil(maxMs / bins / 86_400_000) * 86_400_000;
}

/** Upgraded sessions (101) of an access log that logged their duration. */
export function upgradedSessions(entries: readonly AccessLogEntry[]): Array<{ durationMs: number; flag: string }> {
  return entries
    .filter((e) => e.responseCode === 101 && e.durationMs !== undefined && Number.isFinite(e.durationMs) && e.durationMs >= 0)
    .map((e) => ({ durationMs: e.durationMs as number, flag: e.responseFlags.includes('UC') ? 'UC' : e.responseFlags.includes('DC') ? 'DC' : e.responseFlags.length > 0 ? 'other' : 'none' }));
}

const FLAG_ORDER = ['UC', 'DC', 'other', 'none'] as const;

/** Chart: the distribution of WebSocket session durations, bands of sessions ending together, and their timer. */
function sessionsChart(s: SnapshotSummary, findings: Finding[]): string {
  const sessions = upgradedSessions(s.accessLog?.entries ?? []);
  if (sessions.length === 0) return '';
  const bands = findings.filter((f) => f.snapshot === s.id && f.code === 'upgraded-sessions-end-together');
  const marks = bands.flatMap((b) => [n(b.evidence.highMs), n(b.evidence.timerMs)]).filter((v): v is number => v !== undefined);
  const sorted = sessions.map((x) => x.durationMs).sort((a, b) => a - b);
  const longest = sorted[sorted.length - 1] ?? 1;
  // The range shown: twice the latest band or timer when there is one, else the 90th percentile; longer sessions
  // share one overflow bar so the interesting part is not squeezed by a few hour-long sessions.
  const focus = marks.length > 0 ? Math.max(...marks) * 2 : (sorted[Math.floor(sorted.length * 0.9)] ?? longest) * 1.2;
  const step = binWidthMs(Math.max(1, Math.min(longest, focus)), 24);
  const binCount = Math.max(1, Math.floor(Math.min(longest, focus) / step) + 1);
  const rangeMs = binCount * step;
  const overflow = sessions.some((x) => x.durationMs >= rangeMs);
  const slots = binCount + (overflow ? 1.5 : 0);
  const counts = Array.from({ length: binCount + 1 }, () => ({ UC: 0, DC: 0, other: 0, none: 0 }));
  for (const x of sessions) {
    const bin = counts[x.durationMs >= rangeMs ? binCount : Math.floor(x.durationMs / step)];
    if (bin) bin[x.flag as (typeof FLAG_ORDER)[number]] += 1;
  }
  const left = 44;
  const top = 28;
  const plotW = W - left - 16;
  const plotH = 200;
  const h = top + plotH + 50;
  const yMax = Math.max(1, ...counts.map((c) => c.UC + c.DC + c.other + c.none));
  const slotW = plotW / slots;
  const xOf = (ms: number) => left + (Math.min(ms, rangeMs) / step) * slotW;
  const yOf = (count: number) => top + plotH - (count / yMax) * plotH;
  const parts: string[] = [];
  for (const b of bands) {
    const low = n(b.evidence.lowMs);
    const high = n(b.evidence.highMs);
    if (low === undefined || high === undefined) continue;
    const flag = typeof b.evidence.flag === 'string' ? b.evidence.flag : '';
    parts.push(
      `<rect class="band" x="${xOf(low).toFixed(1)}" y="${top}" width="${Math.max(2, xOf(high) - xOf(low)).toFixed(1)}" height="${plotH}" data-band="" data-flag="${esc(flag)}" data-agent="${esc(String(b.evidence.agent ?? ''))}" data-low-ms="${low}" data-high-ms="${high}" data-count="${n(b.evidence.count) ?? 0}"><title>${esc(`${n(b.evidence.count) ?? 0} sessions ended with ${flag} between ${formatMs(low)} and ${formatMs(high)}`)}</title></rect>`,
    );
  }
  counts.forEach((c, i) => {
    let base = 0;
    for (const flag of FLAG_ORDER) {
      const v = c[flag];
      if (v === 0) continue;
      const y0 = yOf(base);
      const y1 = yOf(base + v);
      base += v;
      const over = i === binCount;
      const x0 = over ? left + (binCount + 0.5) * slotW : xOf(i * step);
      const width = Math.max(1, slotW - 1);
      const range = over ? `${formatMs(rangeMs)} or longer` : `${formatMs(i * step)} to ${formatMs((i + 1) * step)}`;
      parts.push(
        `<rect class="bar flag-${flag}" x="${x0.toFixed(1)}" y="${y1.toFixed(1)}" width="${width.toFixed(1)}" height="${(y0 - y1).toFixed(1)}" data-bin-start-ms="${i * step}" ${over ? 'data-overflow=""' : `data-bin-end-ms="${(i + 1) * step}"`} data-flag="${flag}" data-count="${v}"><title>${esc(`${v} sessions ${flag === 'none' ? 'without a flag' : `with ${flag}`}, ${range}`)}</title></rect>`,
      );
    }
  });
  for (const b of bands) {
    const timerMs = n(b.evidence.timerMs);
    const timer = b.evidence.timer;
    if (timerMs === undefined || typeof timer !== 'string') continue;
    const x = xOf(timerMs).toFixed(1);
    parts.push(
      `<line class="timer" x1="${x}" x2="${x}" y1="${top - 14}" y2="${top + plotH}" data-timer="${esc(timer)}" data-timer-ms="${timerMs}"/>`,
      `<text class="timer-label" x="${x}" y="${top - 16}" text-anchor="middle">${esc(`${timer} ${formatMs(timerMs)}`)}</text>`,
    );
  }
  // Axes: five duration ticks and the count scale.
  parts.push(`<line class="axis-line" x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}"/>`);
  const tickEvery = Math.max(1, Math.ceil(binCount / 6));
  for (let i = 0; i <= binCount - (overflow ? 1 : 0); i += tickEvery) {
    parts.push(`<text class="axis" x="${xOf(i * step).toFixed(1)}" y="${top + plotH + 16}" text-anchor="middle">${esc(formatMs(i * step))}</text>`);
  }
  if (overflow) parts.push(`<text class="axis" x="${(left + (binCount + 1) * slotW).toFixed(1)}" y="${top + plotH + 16}" text-anchor="middle">${esc(`≥ ${formatMs(rangeMs)}`)}</text>`);
  parts.push(`<text class="axis" x="${left - 6}" y="${top + 10}" text-anchor="end">${yMax}</text><text class="axis" x="${left - 6}" y="${top + plotH}" text-anchor="end">0</text>`);
  parts.push(`<text class="axis" x="${left}" y="${top + plotH + 36}">session duration (bins of ${esc(formatMs(step))})</text>`);
  const legend: Array<[string, string]> = [['UC', 'UC: upstream closed'], ['DC', 'DC: client closed'], ['other', 'other flags'], ['none', 'no flag']];
  let lx = left + 220;
  legend.forEach(([flag, text]) => {
    parts.push(`<rect class="swatch flag-${flag}" x="${lx}" y="${top + plotH + 27}" width="10" height="10"/><text class="axis" x="${lx + 14}" y="${top + plotH + 36}">${text}</text>`);
    lx += 14 + text.length * 6.5 + 18;
  });
  return figure(
    'session-durations',
    `WebSocket session durations · proxy ${s.id}`,
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="img" data-chart="session-durations" data-proxy="${esc(s.id)}" data-sessions="${sessions.length}" data-bin-ms="${step}"><title>Distribution of WebSocket session durations</title>${parts.join('')}</svg>`,
    `${sessions.length} upgraded sessions (101) in the access log. Shaded: sessions that ended together; the dashed line is the timer that matches them best.`,
  );
}

function figure(id: string, title: string, svg: string, caption: string): string {
  return `<figure id="chart-${id}"><figcaption><strong>${esc(title)}</strong> ${esc(caption)}</figcaption>\n${svg}\n</figure>`;
}

function checksHtml(title: string, rows: CheckRow[], third: string, cls: string): string {
  if (rows.length === 0) return '';
  return `<h3>${esc(title)}</h3>\n${table(['hypothesis', 'on', third], rows.map((c) => [code(c.hypothesis), entityHtml(c.entity), esc(c.why)]), cls)}`;
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
    out.push(table(['number', 'value'], f.rows.map((row) => [code(row.label), esc(row.value)]), 'evidence'));
  }
  out.push(checksHtml('Ruled out', s.ruledOut, 'why (numbers)', 'ruled-out'), checksHtml('Also possible', s.alsoPossible, 'numbers', 'possible'), checksHtml('Not assessed', s.unknown, 'for lack of', 'unknown'));
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
      if (f.notes.length > 0) out.push(`<ul class="notes">${f.notes.map((note) => `<li>Note: ${esc(note)}</li>`).join('')}</ul>`);
    }
  }
  out.push('<h3>Verify</h3><p>After applying the fix, read <code>/stats</code> twice a few minutes apart (or run envoy-doctor again) and check:</p>');
  out.push(
    table(
      ['stat or setting', 'on', 'at capture', 'change in the window', 'after the fix'],
      s.verify.map((v) => [v.kind === 'stat' ? code(v.subject) : esc(v.subject), v.entity ? entityHtml(v.entity) : '', esc(verifyNowText(v)), esc(verifyWindowText(v)), esc(expectationText(v))]),
      'verify',
    ),
  );
  out.push(`<p>Then envoy-doctor no longer names ${code(r.id)} for these entities.${s.docs ? ` More: <a href="${esc(s.docs.url)}">${esc(s.docs.page)}</a>.` : ''}</p>`, '</section>');
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
  if (inc.proxies.length > 0) body.push('<h3>Proxies</h3>', table(['proxy', 'flavor', 'Envoy', 'captured', 'stats'], inc.proxies.map((p) => [code(p.proxy), esc(p.flavor), esc(p.envoy), esc(p.captured), esc(p.stats)]), 'proxies'));
  if (inc.notCollected.length > 0) body.push(`<p>${inc.nothingDiagnosed ? 'Not collected:' : 'Not collected (diagnosed without them):'}</p>`, table(['proxy', 'reason'], inc.notCollected.map((x) => [code(x.proxy), esc(x.reason)]), 'not-collected'));
  body.push('</section>');
  if (charts.length > 0) body.push('<section id="charts"><h2>Charts</h2>', ...charts, '</section>');
  if (inc.symptoms.length > 0) body.push(`<section id="symptoms"><h2>Symptoms</h2><ul>${inc.symptoms.map((s) => `<li>${esc(s)}</li>`).join('')}</ul></section>`);
  for (const s of inc.rootCauses) body.push(rootCauseHtml(s));
  if (inc.findings.length > 0) {
    body.push(
      `<section id="findings"><h2>Findings (${inc.findings.length})</h2>`,
      table(['severity', 'finding', 'entity', 'numbers', 'backs'], inc.findings.map((f) => [esc(f.severity), code(f.code), entityHtml(f.entity), esc(f.numbers), esc(backsText(f.backs))]), 'findings'),
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
