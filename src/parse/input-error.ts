// An error about what the user gave us: it names the input and what was expected, and maps to exit code 65.

/** Bad or unrecognised input. The message is one line: `<source>: <what was wrong>; expected <what>`. */
export class InputError extends Error {
  readonly source: string;
  constructor(source: string, problem: string) {
    // Parser messages quote the input (JSON.parse shows the text around the error), which may span lines.
    super(`${source}: ${problem}`.replace(/\s*[\r\n]+\s*/g, ' '));
    this.name = 'InputError';
    this.source = source;
  }
}
