// The incident write-up's inline SVG charts (html.ts): bytes buffered against the buffer limit per cluster or
// connection manager (per_connection_buffer_limit_bytes, api/envoy/config/cluster/v3/cluster.proto and
// listener/v3/listener.proto), reads paused against resumed (the *_flow_control_paused_reading_total and
// *_resumed_reading_total stats, docs/root/configuration/upstream/cluster_manager/cluster_stats.rst), and the
// distribution of WebSocket session durations from the access log by response flag (UC, DC: %RESPONSE_FLAGS% in
// docs/root/configuration/observability/access_log/usage.rst) with the suspected timer marked.

import type { SnapshotSummary } from '../diagnose/diagnose.ts';
import type { AccessLogEntry } from '../model/access-log.ts';
import type { EntityRef, Finding } from '../model/finding.ts';
import { formatBytes, formatMs } from './format.ts';
import { esc } from './html-escape.ts';

const W = 760;
const LABEL_H = 18;
const num = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));
const n = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function entityText(e: EntityRef): string {
  return `${e.kind} ${e.name}`;
}

/**
 * The findings with one of `codes` that carry both numbers `a` and `b` in their evidence: upstream findings before
 * client-side ones, otherwise in the diagnosis' order.
 */
function evidenceRows(findings: Finding[], codes: readonly string[], a: string, b: string): Array<{ f: Finding; a: number; b: number }> {
  return [...findings]
    .sort((x, y) => Number(!x.code.startsWith('upstream-')) - Number(!y.code.startsWith('upstream-')))
    .filter((f) => codes.includes(f.code))
    .map((f) => ({ f, a: n(f.evidence[a]), b: n(f.evidence[b]) }))
    .filter((r): r is { f: Finding; a: number; b: number } => r.a !== undefined && r.b !== undefined);
}

/** Chart: bytes buffered per entity against the per-connection buffer limit; empty when no finding has the numbers. */
export function bufferedChart(findings: Finding[]): string {
  const rows = evidenceRows(findings, ['upstream-bytes-buffered', 'downstream-bytes-buffered'], 'bufferedBytes', 'limitBytes').map(({ f, a, b }) => ({
    f,
    buffered: a,
    limit: b,
  }));
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
    "The red line is one connection's buffer limit (per_connection_buffer_limit_bytes); a bar many limits long means that many connections have a full buffer.",
  );
}

/** Chart: flow-control pauses against resumes per entity; empty when no finding has the numbers. */
export function pausesChart(findings: Finding[]): string {
  const rows = evidenceRows(findings, ['upstream-reads-paused', 'downstream-reads-paused'], 'paused', 'resumed').map(({ f, a, b }) => ({
    f,
    paused: a,
    resumed: b,
  }));
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
    const window =
      windowPaused !== undefined && windowResumed !== undefined && windowSeconds !== undefined
        ? ` · ${windowPaused} paused and ${windowResumed} resumed in the last ${formatMs(windowSeconds * 1000)}`
        : '';
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
const NICE_STEPS_MS = [
  1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000,
];

/** A bin width that splits 0..maxMs into at most about `bins` bins. */
function binWidthMs(maxMs: number, bins = 30): number {
  return NICE_STEPS_MS.find((s) => maxMs / s <= bins) ?? Math.ceil(maxMs / bins / 86_400_000) * 86_400_000;
}

/** Upgraded sessions (101) of an access log that logged their duration. */
export function upgradedSessions(entries: readonly AccessLogEntry[]): Array<{ durationMs: number; flag: string }> {
  return entries
    .filter((e) => e.responseCode === 101 && e.durationMs !== undefined && Number.isFinite(e.durationMs) && e.durationMs >= 0)
    .map((e) => ({
      durationMs: e.durationMs as number,
      flag: e.responseFlags.includes('UC') ? 'UC' : e.responseFlags.includes('DC') ? 'DC' : e.responseFlags.length > 0 ? 'other' : 'none',
    }));
}

const FLAG_ORDER = ['UC', 'DC', 'other', 'none'] as const;

type SessionFlag = (typeof FLAG_ORDER)[number];

/** How the sessions chart bins durations: the bin width, the bins shown, and the overflow bar of longer sessions. */
interface SessionBins {
  step: number;
  binCount: number;
  rangeMs: number;
  overflow: boolean;
  /** Sessions per bin and flag, the overflow bar last. */
  counts: Array<Record<SessionFlag, number>>;
}

/**
 * The range shown: twice the latest band or timer when there is one, else the 90th percentile; longer sessions
 * share one overflow bar so the interesting part is not squeezed by a few hour-long sessions.
 */
function sessionBins(sessions: Array<{ durationMs: number; flag: string }>, marks: number[]): SessionBins {
  const sorted = sessions.map((x) => x.durationMs).sort((a, b) => a - b);
  const longest = sorted[sorted.length - 1] ?? 1;
  const focus = marks.length > 0 ? Math.max(...marks) * 2 : (sorted[Math.floor(sorted.length * 0.9)] ?? longest) * 1.2;
  const step = binWidthMs(Math.max(1, Math.min(longest, focus)), 24);
  const binCount = Math.max(1, Math.floor(Math.min(longest, focus) / step) + 1);
  const rangeMs = binCount * step;
  const overflow = sessions.some((x) => x.durationMs >= rangeMs);
  const counts = Array.from({ length: binCount + 1 }, () => ({ UC: 0, DC: 0, other: 0, none: 0 }));
  for (const x of sessions) {
    const bin = counts[x.durationMs >= rangeMs ? binCount : Math.floor(x.durationMs / step)];
    if (bin) bin[x.flag as SessionFlag] += 1;
  }
  return { step, binCount, rangeMs, overflow, counts };
}

/** Where the sessions chart draws: its plot area, the width of a bin, and a duration's x and a count's y. */
interface SessionsPlot {
  left: number;
  top: number;
  plotW: number;
  plotH: number;
  slotW: number;
  yMax: number;
  xOf: (ms: number) => number;
  yOf: (count: number) => number;
}

function sessionsPlot(bins: SessionBins): SessionsPlot {
  const left = 44;
  const top = 28;
  const plotW = W - left - 16;
  const plotH = 200;
  const yMax = Math.max(1, ...bins.counts.map((c) => c.UC + c.DC + c.other + c.none));
  const slotW = plotW / (bins.binCount + (bins.overflow ? 1.5 : 0));
  const xOf = (ms: number) => left + (Math.min(ms, bins.rangeMs) / bins.step) * slotW;
  const yOf = (count: number) => top + plotH - (count / yMax) * plotH;
  return { left, top, plotW, plotH, slotW, yMax, xOf, yOf };
}

/** The shaded bands of sessions that ended together. */
function bandRects(bands: Finding[], plot: SessionsPlot): string[] {
  const { top, plotH, xOf } = plot;
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
  return parts;
}

/** One bar per bin, stacked by response flag. */
function binBars(bins: SessionBins, plot: SessionsPlot): string[] {
  const { step, binCount, rangeMs } = bins;
  const { left, slotW, xOf, yOf } = plot;
  const parts: string[] = [];
  bins.counts.forEach((c, i) => {
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
  return parts;
}

/** The dashed line of each band's timer, with its name and value. */
function timerMarks(bands: Finding[], plot: SessionsPlot): string[] {
  const { top, plotH, xOf } = plot;
  const parts: string[] = [];
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
  return parts;
}

/** Axes (five duration ticks and the count scale) and the legend of the flags. */
function sessionsAxes(bins: SessionBins, plot: SessionsPlot): string[] {
  const { step, binCount, rangeMs, overflow } = bins;
  const { left, top, plotW, plotH, slotW, yMax, xOf } = plot;
  const parts: string[] = [];
  parts.push(`<line class="axis-line" x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}"/>`);
  const tickEvery = Math.max(1, Math.ceil(binCount / 6));
  for (let i = 0; i <= binCount - (overflow ? 1 : 0); i += tickEvery) {
    parts.push(`<text class="axis" x="${xOf(i * step).toFixed(1)}" y="${top + plotH + 16}" text-anchor="middle">${esc(formatMs(i * step))}</text>`);
  }
  if (overflow)
    parts.push(
      `<text class="axis" x="${(left + (binCount + 1) * slotW).toFixed(1)}" y="${top + plotH + 16}" text-anchor="middle">${esc(`≥ ${formatMs(rangeMs)}`)}</text>`,
    );
  parts.push(
    `<text class="axis" x="${left - 6}" y="${top + 10}" text-anchor="end">${yMax}</text><text class="axis" x="${left - 6}" y="${top + plotH}" text-anchor="end">0</text>`,
  );
  parts.push(`<text class="axis" x="${left}" y="${top + plotH + 36}">session duration (bins of ${esc(formatMs(step))})</text>`);
  const legend: Array<[string, string]> = [
    ['UC', 'UC: upstream closed'],
    ['DC', 'DC: client closed'],
    ['other', 'other flags'],
    ['none', 'no flag'],
  ];
  let lx = left + 220;
  legend.forEach(([flag, text]) => {
    parts.push(
      `<rect class="swatch flag-${flag}" x="${lx}" y="${top + plotH + 27}" width="10" height="10"/><text class="axis" x="${lx + 14}" y="${top + plotH + 36}">${text}</text>`,
    );
    lx += 14 + text.length * 6.5 + 18;
  });
  return parts;
}

/** Chart: the distribution of WebSocket session durations, bands of sessions ending together, and their timer; empty without upgraded sessions. */
export function sessionsChart(s: SnapshotSummary, findings: Finding[]): string {
  const sessions = upgradedSessions(s.accessLog?.entries ?? []);
  if (sessions.length === 0) return '';
  const bands = findings.filter((f) => f.snapshot === s.id && f.code === 'upgraded-sessions-end-together');
  const marks = bands.flatMap((b) => [n(b.evidence.highMs), n(b.evidence.timerMs)]).filter((v): v is number => v !== undefined);
  const bins = sessionBins(sessions, marks);
  const plot = sessionsPlot(bins);
  const h = plot.top + plot.plotH + 50;
  const parts = [...bandRects(bands, plot), ...binBars(bins, plot), ...timerMarks(bands, plot), ...sessionsAxes(bins, plot)];
  return figure(
    'session-durations',
    `WebSocket session durations · proxy ${s.id}`,
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="img" data-chart="session-durations" data-proxy="${esc(s.id)}" data-sessions="${sessions.length}" data-bin-ms="${bins.step}"><title>Distribution of WebSocket session durations</title>${parts.join('')}</svg>`,
    `${sessions.length} upgraded sessions (101) in the access log. Shaded: sessions that ended together; the dashed line is the timer that matches them best.`,
  );
}

function figure(id: string, title: string, svg: string, caption: string): string {
  return `<figure id="chart-${id}"><figcaption><strong>${esc(title)}</strong> ${esc(caption)}</figcaption>\n${svg}\n</figure>`;
}
