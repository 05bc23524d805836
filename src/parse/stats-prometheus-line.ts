// The syntax of one line of Prometheus' text exposition format (prometheus.io/docs/instrumenting/exposition_formats,
// as Envoy writes it in source/server/admin/prometheus_stats.cc): label sets with their escapes, sample values, and
// the tail of a line (`…="<label>"} <value>`) read in place for the lines that continue a family.

/** Parses `{a="x",b="y"}` label sets with Prometheus escapes; undefined when malformed. */
export function parseLabels(text: string): Map<string, string> | undefined {
  const labels = new Map<string, string>();
  if (!text.includes('\\')) {
    // Fast path: no escapes, so every value runs to the next quote.
    const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"\s*,?/y;
    let at = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      labels.set(m[1] as string, m[2] as string);
      at = re.lastIndex;
    }
    if (text.slice(at).trim() === '') return labels;
    labels.clear();
  }
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === ',') i++;
    if (i >= text.length) break;
    const eq = text.indexOf('=', i);
    if (eq < 0 || text[eq + 1] !== '"') return undefined;
    const key = text.slice(i, eq).trim();
    let value = '';
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\' && j + 1 < text.length) {
        j++;
        value += text[j] === 'n' ? '\n' : text[j];
      } else value += text[j];
    }
    if (j >= text.length) return undefined;
    labels.set(key, value);
    i = j + 1;
  }
  return labels;
}

/** A sample value: a decimal, `NaN`, or an infinity (`+Inf`, `-Inf`). */
export function promNumber(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/**
 * The line up to the value of its entity label, when that label comes last (`name{code="200",cluster="`): every line
 * that starts the same has the same family and other labels, so only its entity and value differ.
 */
export function entityLabelPrefix(line: string, label: string, entity: string): string | undefined {
  const at = line.lastIndexOf(`${label}="`);
  if (at <= 0 || (line.charCodeAt(at - 1) !== 123 && line.charCodeAt(at - 1) !== 44)) return undefined;
  const from = at + label.length + 2;
  const close = line.indexOf('"', from);
  if (close - from !== entity.length || line.slice(from, close) !== entity || line.charCodeAt(close + 1) !== 125) return undefined;
  return line.slice(0, from);
}

/** Where the last label value of the line `text[from, end)` closes, when the line goes on `"} `; -1 otherwise. */
export function tailClose(text: string, from: number, end: number): number {
  const close = text.indexOf('"', from);
  return close >= 0 && close + 2 < end && text.charCodeAt(close + 1) === 125 && text.charCodeAt(close + 2) === 32 ? close : -1;
}

/**
 * The last label's value and the sample's value of a line whose last label value starts at `from`
 * (`…="<label>"} <value>`); undefined when the line is laid out otherwise.
 */
export function labelAndValue(line: string, from: number): { label: string; value: number } | undefined {
  const close = tailClose(line, from, line.length);
  if (close < 0) return undefined;
  const valueText = line.slice(close + 3).trim();
  const value = promNumber(valueText);
  if (Number.isNaN(value) || valueText.includes(' ')) return undefined;
  return { label: line.slice(from, close), value };
}
