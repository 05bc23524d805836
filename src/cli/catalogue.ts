// `envoy-doctor list` and `envoy-doctor explain ID`: the catalogue of findings and root causes, and their docs pages.

import { readFile } from 'node:fs/promises';
import Table from 'cli-table3';
import { CATALOGUE } from '../model/catalogue.ts';
import { UsageError } from '../parse/input-error.ts';
import type { CliIO } from './io.ts';

/** Prints the catalogue: every id with its kind, status and title. */
export function listCatalogue(io: CliIO, output: 'table' | 'json', all: boolean): number {
  const entries = CATALOGUE.filter((e) => (e.kind === 'finding' || e.kind === 'root-cause') && (all || e.status !== 'retired'));
  if (output === 'json') {
    io.stdout(`${JSON.stringify(entries.map((e) => ({ id: e.id, kind: e.kind, status: e.status, title: e.title, docs: e.docs ?? null })), null, 2)}\n`);
    return 0;
  }
  const table = new Table({ head: ['id', 'kind', 'status', 'title'], colWidths: [34, 12, 10, 41], wordWrap: true, wrapOnWordBoundary: false, style: { head: [], border: [] } });
  for (const e of entries) table.push([e.id, e.kind, e.status, e.title]);
  io.stdout(`${table.toString()}\n`);
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
  throw new UsageError(`no finding, root cause or analyzer named ${id}${near.length > 0 ? `; did you mean ${near.slice(0, 3).join(', ')}?` : '; envoy-doctor list shows them all'}`);
}
