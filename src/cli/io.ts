// What the CLI writes to, and the tool's identity.

import { readFileSync } from 'node:fs';

/** Where the CLI writes; tests pass their own. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTTY: boolean;
  /** Whether standard error is a terminal (progress is shown only then). */
  stderrIsTTY?: boolean;
  /** The terminal's width in columns, when standard output is a terminal. */
  columns?: number;
  env: NodeJS.ProcessEnv;
}

/** The width reports fit: the terminal's columns, else COLUMNS, else undefined (the report's default). */
export function outputWidth(io: CliIO): number | undefined {
  if (io.isTTY && io.columns !== undefined && io.columns > 0) return io.columns;
  const columns = Number(io.env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : undefined;
}

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };

/** The tool's name and version, as reports state them. */
export const TOOL = { name: pkg.name, version: pkg.version };
