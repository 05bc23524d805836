// `envoy-doctor list` and `envoy-doctor explain ID`: the catalogue of findings and root causes, and their docs pages.

import { readFile } from 'node:fs/promises';
import { CATALOGUE } from '../report/catalogue.ts';
import { type CliIO, outputWidth } from './io.ts';
import { UsageError } from './usage-error.ts';

/** The width of `list` when neither the terminal nor COLUMNS gives one. */
const DEFAULT_LIST_WIDTH = 100;

/** Words of `text` in lines of at most `width` characters (a longer word stands alone). */
function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

/** Prints the catalogue: every id with its kind, status and title, in columns that fit the terminal (the title
 * wraps in its column). Plain text, drawn here: a table module would take longer to load than the list to print. */
export function listCatalogue(io: CliIO, output: 'table' | 'json', all: boolean): number {
  const entries = CATALOGUE.filter((e) => (e.kind === 'finding' || e.kind === 'root-cause') && (all || e.status !== 'retired'));
  if (output === 'json') {
    io.stdout(
      `${JSON.stringify(
        entries.map((e) => ({ id: e.id, kind: e.kind, status: e.status, title: e.title, docs: e.docs ?? null })),
        null,
        2,
      )}\n`,
    );
    return 0;
  }
  const rows = [['id', 'kind', 'status', 'title'], ...entries.map((e) => [e.id, e.kind, e.status, e.title])];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  const indent = widths.reduce((sum, w) => sum + w + 2, 0);
  const titleWidth = Math.max(20, (outputWidth(io) ?? DEFAULT_LIST_WIDTH) - indent);
  const lines: string[] = [];
  for (const r of rows) {
    const [first, ...rest] = wrapWords(r[3] as string, titleWidth);
    lines.push(`${widths.map((w, i) => (r[i] as string).padEnd(w)).join('  ')}  ${first}`, ...rest.map((l) => `${' '.repeat(indent)}${l}`));
  }
  io.stdout(`${lines.join('\n')}\n`);
  return 0;
}

/** Prints the docs page of a finding, root cause or analyzer. */
export async function explain(id: string, io: CliIO): Promise<number> {
  const entry = CATALOGUE.find((e) => e.id === id);
  const candidates = entry?.docs ? [entry.docs] : [`docs/findings/${id}.md`, `docs/analyzers/${id}.md`];
  for (const page of candidates) {
    if (!/^[a-z0-9-]+$/.test(id)) break;
    try {
      io.stdout(await readFile(new URL(`../../${page}`, import.meta.url), 'utf8'));
      return 0;
    } catch {
      // try the next place
    }
  }
  if (entry) throw new UsageError(`${id} is ${entry.status === 'reserved' ? 'reserved for a coming release' : 'retired'}: ${entry.title}`);
  const near = CATALOGUE.filter((e) => e.id.includes(id) || id.includes(e.id)).map((e) => e.id);
  throw new UsageError(
    `no finding, root cause or analyzer named ${id}${near.length > 0 ? `; did you mean ${near.slice(0, 3).join(', ')}?` : '; envoy-doctor list shows them all'}`,
  );
}
