// Shared pieces of the property-based parser tests: fixed seeds, a hard deadline per case, the "a model or the
// documented input error" check, and generators of hostile text (names with dots, slashes, quotes, braces and
// unicode; numbers Envoy and JSON cannot agree on; byte-level damage such as invalid UTF-8, BOMs and CRLF).

import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import fc from 'fast-check';
import { InputError } from '../../src/parse/input-error.ts';

/** The checkout's root directory. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The seed every property runs with, so CI and a developer see the same cases (fast-check prints it on failure). */
export const SEED = 20_261_122;

/** fast-check settings for a property: the fixed seed, a bounded number of runs, and no shrinking time limit surprises. */
export function settings(numRuns: number, seedOffset = 0): fc.Parameters<unknown> {
  return { seed: SEED + seedOffset, numRuns, endOnFailure: false, interruptAfterTimeLimit: 60_000, markInterruptAsFailure: true };
}

/** The longest one parser call may take on a generated case before it counts as a hang. */
export const CASE_DEADLINE_MS = 3000;

const watchdog = vm.createContext({ call: null as null | (() => unknown) });
const invoke = new vm.Script('call()');

/**
 * Runs a synchronous parser call under a hard deadline: V8 interrupts it when the time is up, even inside a
 * runaway loop or a backtracking regular expression, and the case fails instead of hanging the suite.
 */
export function bounded<T>(fn: () => T, deadlineMs = CASE_DEADLINE_MS): T {
  watchdog.call = fn;
  try {
    return invoke.runInContext(watchdog, { timeout: deadlineMs }) as T;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') assert.fail(`parser did not finish within ${deadlineMs} ms`);
    throw err;
  } finally {
    watchdog.call = null;
  }
}

/** Awaits an asynchronous parser call, failing the case when it does not settle before the deadline. */
export async function boundedAsync<T>(fn: () => Promise<T>, deadlineMs = CASE_DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new assert.AssertionError({ message: `parser did not settle within ${deadlineMs} ms` })), deadlineMs);
  });
  try {
    return await Promise.race([fn(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Asserts an error is the documented input error: an `InputError` naming the source, on one line. */
export function assertInputError(err: unknown, source: string): asserts err is InputError {
  if (!(err instanceof InputError)) {
    const e = err as Error;
    assert.fail(`expected an InputError, got ${e?.name}: ${e?.message}\n${e?.stack ?? ''}`);
  }
  assert.equal(err.source, source);
  assert.ok(err.message.startsWith(`${source}: `), err.message);
  assert.ok(!/[\r\n]/.test(err.message), `one line: ${JSON.stringify(err.message)}`);
}

/** Runs a synchronous parser: its model, or undefined when it refused the input with the documented error. */
export function modelOrInputError<T>(source: string, fn: () => T): T | undefined {
  try {
    return bounded(fn);
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    assertInputError(err, source);
    return undefined;
  }
}

/** The asynchronous counterpart of `modelOrInputError`. */
export async function modelOrInputErrorAsync<T>(source: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await boundedAsync(fn);
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    assertInputError(err, source);
    return undefined;
  }
}

/** Pieces of real Envoy, Istio and Envoy Gateway names, and the characters that break naive splitting and escaping. */
const NAME_PIECES = [
  'outbound|80||web.shop.svc.cluster.local',
  'inbound|8080||',
  'httproute/home/ha/rule/0',
  'envoy-gateway/eg/https',
  '0.0.0.0_10443',
  '[__]_443',
  'upstream_cx_total',
  'zone.a.b',
  'ssl.ciphers',
  'a.b.c',
  '"quoted"',
  "it's",
  '{braces}',
  'x{le="1"}',
  '\\back\\slash',
  'ünïcödé',
  '名前',
  '🚀',
  '\u200b',
  '..',
  '../../etc/passwd',
  '/abs/path',
  '<script>alert(1)</script>',
  '%2e%2e',
  ' spaced ',
  '\t',
  '#',
  '=',
  ',',
  '-',
  '_',
];

/** A name built from hostile pieces and random unicode: dots, slashes, quotes, braces, escapes, markup. */
export const hostileName: fc.Arbitrary<string> = fc
  .array(fc.oneof(fc.constantFrom(...NAME_PIECES), fc.string({ unit: 'grapheme', maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 4 })), {
    minLength: 1,
    maxLength: 5,
  })
  .map((parts) => parts.join(''));

/** A name Envoy can really print in a stat name: hostile, but without whitespace, colons or control characters. */
export const statEntityName: fc.Arbitrary<string> = hostileName
  .map((n) => n.replace(/[\s:\p{Cc}\p{Cs}\u200b]/gu, '_'))
  .filter((n) => n !== '' && !n.startsWith('.') && !n.endsWith('.') && !n.includes('..'));

/** Numbers at and past the edges: huge, tiny, negative zero, beyond 2^53, and the tokens JSON has no word for. */
export const edgeNumberText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '0',
    '-0',
    '1e308',
    '1e309',
    '-1e400',
    '9007199254740993',
    '123456789012345678901234567890',
    '4.9e-324',
    '0.1',
    '1.5e3',
    'NaN',
    '-NaN',
    'nan',
    'Infinity',
    '-Infinity',
    'inf',
    '+Inf',
    '-inf',
    '0x10',
    '1_000',
    '',
    '.',
    '-',
  ),
  fc.double().map(String),
  fc.integer().map(String),
  fc.bigInt({ min: -(1n << 80n), max: 1n << 80n }).map(String),
);

/** Damage done to a document's bytes: truncation, invalid UTF-8, a BOM, CRLF line ends, NUL bytes, or a spliced run. */
export type ByteDamage =
  | { kind: 'truncate'; at: number }
  | { kind: 'invalid-utf8'; at: number; bytes: number[] }
  | { kind: 'bom' }
  | { kind: 'crlf' }
  | { kind: 'nul'; at: number }
  | { kind: 'splice'; at: number; text: string }
  | { kind: 'delete'; at: number; length: number };

/** One piece of byte damage, positions as fractions of the document's length. */
export const byteDamage: fc.Arbitrary<ByteDamage> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({
    kind: fc.constant('invalid-utf8' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    bytes: fc.array(fc.constantFrom(0x80, 0xbf, 0xc0, 0xc3, 0xe2, 0xed, 0xf0, 0xf4, 0xf5, 0xfe, 0xff), { minLength: 1, maxLength: 4 }),
  }),
  fc.constant({ kind: 'bom' as const }),
  fc.constant({ kind: 'crlf' as const }),
  fc.record({ kind: fc.constant('nul' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({
    kind: fc.constant('splice' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    text: fc.oneof(
      fc.constantFrom('{', '}', '[', ']', '"', ',', ':', '\\', '\n', ': ', '# TYPE x histogram\n', '- ', '&a ', '*a', '<<: *a', '!!binary '),
      hostileName,
    ),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), length: fc.integer({ min: 1, max: 64 }) }),
);

/** Applies byte damage to a document. */
export function damage(bytes: Buffer, d: ByteDamage): Buffer {
  const pos = (at: number) => Math.min(bytes.length, Math.floor(at * bytes.length));
  switch (d.kind) {
    case 'truncate':
      return bytes.subarray(0, pos(d.at));
    case 'invalid-utf8':
      return Buffer.concat([bytes.subarray(0, pos(d.at)), Buffer.from(d.bytes), bytes.subarray(pos(d.at))]);
    case 'bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
    case 'crlf':
      return Buffer.from(bytes.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
    case 'nul':
      return Buffer.concat([bytes.subarray(0, pos(d.at)), Buffer.from([0]), bytes.subarray(pos(d.at))]);
    case 'splice':
      return Buffer.concat([bytes.subarray(0, pos(d.at)), Buffer.from(d.text), bytes.subarray(pos(d.at))]);
    case 'delete':
      return Buffer.concat([bytes.subarray(0, pos(d.at)), bytes.subarray(pos(d.at) + d.length)]);
  }
}

/** Splits bytes into chunks at the given fractions, as a stream read in pieces would deliver them (mid-character too). */
export function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of at) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  out.push(bytes.subarray(from));
  return out;
}

/** A list of buffers as the async stream parsers read. */
export async function* streamOf(chunks: Buffer[]): AsyncGenerator<Buffer> {
  for (const c of chunks) yield c;
}
