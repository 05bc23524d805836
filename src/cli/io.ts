// What the CLI writes to, and the tool's identity.

import { readFileSync } from 'node:fs';

/** Where the CLI writes; tests pass their own. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTTY: boolean;
  /** Whether standard error is a terminal (progress is shown only then). */
  stderrIsTTY?: boolean;
  env: NodeJS.ProcessEnv;
}

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };

/** The tool's name and version, as reports state them. */
export const TOOL = { name: pkg.name, version: pkg.version };
