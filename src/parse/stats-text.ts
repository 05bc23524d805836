// Envoy's text /stats: `name: value` lines; histograms as `name: P0(interval,cumulative) ... P100(...)`
// or `name: No recorded values` (source/server/admin/stats_render.cc, docs/root/operations/admin.rst).

import type { Histogram } from '../model/snapshot.ts';
import { plainDecimal } from './decimal.ts';
import { eachLine, type RejectedLine, rejectedLine } from './lines.ts';
import type { StatsBuilder } from './stats-builder.ts';

const QUANTILE = /P(\d+(?:\.\d+)?)\(([^,()]+),([^,()]+)\)/g;

function quantileValue(text: string): number | null {
  const v = Number(text);
  return Number.isFinite(v) ? v : null;
}

/** quantileValue of `text[from, to)`. */
function quantileAt(text: string, from: number, to: number): number | null {
  const v = plainDecimal(text, from, to);
  return Number.isNaN(v) ? quantileValue(text.slice(from, to)) : v;
}

/** Reads the text format a window of lines at a time (see `lineWindows`), counting stat and other lines. */
export class TextStatsParser {
  private readonly into: StatsBuilder;
  /** Lines that are stats, and non-empty lines that are not. */
  parsed = 0;
  rejected = 0;
  /** Lines read so far, empty ones included. */
  lines = 0;
  /** The first line that is not a stat: its number (from 1) and text. */
  firstRejected?: RejectedLine;

  constructor(into: StatsBuilder) {
    this.into = into;
  }

  /**
   * Parses a window of whole lines. A `name: <number>` line, most of any capture, is read in place: no string is cut
   * from the window unless the name starts a new entity.
   */
  window(text: string): void {
    this.lines += eachLine(text, (at, end) => {
      if (textStatAt(text, at, end, this.into)) this.parsed++;
      else {
        this.rejected++;
        this.firstRejected ??= rejectedLine(text, at, end, this.lines);
      }
    });
  }
}

/** Parses the text line `text[start, end)` into the builder; false when the line is not a stat. */
function textStatAt(text: string, start: number, end: number, into: StatsBuilder): boolean {
  const sep = text.indexOf(': ', start);
  if (sep <= start || sep >= end) return false;
  const space = text.indexOf(' ', start);
  if (space < sep) return false;
  // Most lines: a counter or gauge, read in place.
  const plain = plainDecimal(text, sep + 2, end);
  if (!Number.isNaN(plain)) {
    into.addNamedIn(text, start, sep, plain);
    return true;
  }
  const valueText = text.slice(sep + 2, end).trim();
  if (/^-?\d+(?:\.\d+)?(?:e[+-]?\d+)?$/i.test(valueText)) {
    into.addNamedIn(text, start, sep, Number(valueText));
    return true;
  }
  if (valueText === 'nan' || valueText === '-nan' || valueText === 'inf' || valueText === '-inf') {
    into.addNamedIn(text, start, sep, Number.NaN);
    return true;
  }
  if (valueText === 'No recorded values') {
    into.addHistogramIn(text, start, sep, { quantiles: [], buckets: { le: [], count: [] } });
    return true;
  }
  if (valueText.startsWith('P')) {
    const quantiles = quantilesOf(valueText);
    if (quantiles.length === 0) return false;
    into.addHistogramIn(text, start, sep, { quantiles, buckets: { le: [], count: [] } });
    return true;
  }
  // Text readouts (`name: "value"`) carry no number; they are stats all the same.
  return valueText.startsWith('"');
}

/** Whether `text[from, to)` is a quantile as QUANTILE reads one: digits, then optionally a dot and digits. */
function isQuantile(text: string, from: number, to: number): boolean {
  let dot = -1;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 && dot < 0 && i > from) dot = i;
    else if (c < 48 || c > 57) return false;
  }
  return to > from && dot !== to - 1;
}

/** The first of `(`, `)` and `,` in `text` from `from`, or the text's length. */
function nextDelimiter(text: string, from: number): number {
  let i = from;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 40 || c === 41 || c === 44) break;
  }
  return i;
}

/**
 * The quantiles of a histogram line's value, `P0(interval,cumulative) P25(…) …`: read by position when the value is
 * laid out as Envoy writes it, by QUANTILE otherwise (the same result either way).
 */
function quantilesOf(value: string): Histogram['quantiles'] {
  const out: Histogram['quantiles'] = [];
  for (let at = 0; at < value.length; ) {
    const open = value.indexOf('(', at);
    const comma = open > 0 ? nextDelimiter(value, open + 1) : -1;
    const close = comma > open + 1 && value.charCodeAt(comma) === 44 ? nextDelimiter(value, comma + 1) : -1;
    const laidOut =
      close > comma + 1 &&
      value.charCodeAt(close) === 41 &&
      value.charCodeAt(at) === 80 &&
      isQuantile(value, at + 1, open) &&
      (close + 1 === value.length || value.charCodeAt(close + 1) === 32);
    if (!laidOut) return quantilesMatched(value);
    out.push({ quantile: plainDecimal(value, at + 1, open), interval: quantileAt(value, open + 1, comma), cumulative: quantileAt(value, comma + 1, close) });
    at = close + 2;
  }
  return out;
}

/** The quantiles of a histogram line's value, by QUANTILE. */
function quantilesMatched(value: string): Histogram['quantiles'] {
  const out: Histogram['quantiles'] = [];
  for (const m of value.matchAll(QUANTILE)) {
    out.push({ quantile: Number(m[1]), interval: quantileValue(m[2] as string), cumulative: quantileValue(m[3] as string) });
  }
  return out;
}
