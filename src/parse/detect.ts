// Recognising what an input is from its content, never from its file name.

/** What a piece of input looks like. */
export type DetectedKind = 'binary' | 'empty' | 'json' | 'stats-text' | 'stats-prometheus' | 'yaml' | 'unknown';

/** True when the bytes are not text (NUL bytes or mostly invalid UTF-8). */
export function looksBinary(head: Buffer): boolean {
  if (head.includes(0)) return true;
  const text = head.toString('utf8');
  let bad = 0;
  for (const ch of text) if (ch === '\uFFFD') bad++;
  return bad > 8 && bad > text.length / 100;
}

/** Classifies the first bytes of an input. */
export function detectKind(head: Buffer): DetectedKind {
  if (looksBinary(head)) return 'binary';
  const text = head.toString('utf8').replace(/^\uFEFF/, '');
  const trimmed = text.trimStart();
  if (trimmed === '') return 'empty';
  if (trimmed[0] === '{' || trimmed[0] === '[') return 'json';
  const sample = trimmed.split('\n', 40).map((l) => l.trim()).filter((l) => l !== '');
  let text_ = 0;
  let prom = 0;
  let yaml = 0;
  for (const l of sample) {
    if (/^#\s*(TYPE|HELP)\s/.test(l)) prom += 2;
    else if (!l.includes(': ') && /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})?\s+[-+0-9.eEInfNa]+(\s+-?\d+)?$/.test(l)) prom++;
    else if (/^[^\s:#]+\.[^\s:]+: \S/.test(l)) text_++;
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
