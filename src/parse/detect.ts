// Recognising what an input is from its content, never from its file name.

/** What a piece of input looks like. */
type DetectedKind = 'binary' | 'empty' | 'html' | 'json' | 'stats-text' | 'stats-prometheus' | 'yaml' | 'unknown';

/** True when the bytes are not text (NUL bytes or mostly invalid UTF-8). */
function looksBinary(head: Buffer): boolean {
  if (head.includes(0)) return true;
  const text = head.toString('utf8');
  // Replacement characters counted with the native search: a character loop over 64 KiB costs a fleet run dearly.
  let bad = 0;
  for (let i = text.indexOf('\uFFFD'); i >= 0 && bad <= text.length; i = text.indexOf('\uFFFD', i + 1)) bad++;
  return bad > 8 && bad > text.length / 100;
}

/**
 * True for an Envoy text stat line, `a.b: value`: a name without whitespace or colons with a dot inside it, before
 * any `#`. Checked without backtracking: a regular expression with two greedy runs around the dot took time
 * quadratic in the line's length (seconds for one 64 KiB line of dots).
 */
function looksLikeTextStat(line: string): boolean {
  const m = /^([^\s:]+): \S/.exec(line);
  if (!m) return false;
  const name = m[1] as string;
  const dot = name.indexOf('.', 1);
  const hash = name.indexOf('#');
  return dot > 0 && dot < name.length - 1 && (hash < 0 || dot < hash);
}

/** Classifies the first bytes of an input. */
export function detectKind(head: Buffer): DetectedKind {
  if (looksBinary(head)) return 'binary';
  const text = head.toString('utf8').replace(/^\uFEFF/, '');
  const trimmed = text.trimStart();
  if (trimmed === '') return 'empty';
  if (trimmed[0] === '{' || trimmed[0] === '[') return 'json';
  // Error and login pages that proxies and gateways in front of the admin port answer with 200.
  if (/^<(!doctype\s+html|html|head|body|title)[\s>]/i.test(trimmed) || /^<\?xml[^>]*>\s*<(!doctype\s+)?html/i.test(trimmed)) return 'html';
  const sample = trimmed
    .split('\n', 40)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  let text_ = 0;
  let prom = 0;
  let yaml = 0;
  for (const l of sample) {
    if (/^#\s*(TYPE|HELP)\s/.test(l)) prom += 2;
    else if (!l.includes(': ') && /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})?\s+[-+0-9.eEInfNa]+(\s+-?\d+)?$/.test(l)) prom++;
    else if (looksLikeTextStat(l)) text_++;
    if (/^(-\s|---|[A-Za-z_@"'][\w@".'-]*:(\s|$))/.test(l)) yaml++;
  }
  if (prom > 0 && prom >= text_) return 'stats-prometheus';
  if (text_ > 0 && text_ >= sample.length / 2) return 'stats-text';
  if (yaml > 0) return 'yaml';
  return 'unknown';
}

/** A person's name for a detected kind, for error messages. */
export function kindName(kind: DetectedKind): string {
  switch (kind) {
    case 'binary':
      return 'binary data';
    case 'empty':
      return 'an empty input';
    case 'html':
      return 'an HTML page';
    case 'json':
      return 'JSON';
    case 'stats-text':
      return 'Envoy /stats text';
    case 'stats-prometheus':
      return 'Prometheus text';
    case 'yaml':
      return 'YAML';
    default:
      return 'unrecognised text';
  }
}
