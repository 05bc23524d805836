// The states of the streaming JSON scanner (json-stream.ts): where it stands in the structure, what it is reading,
// and the stack of open containers.

import type { PathPart } from './json-stream-handler.ts';
import type { ARR, OBJ } from './json-value-extent.ts';

/** Structural states: what the next token may be. */
export const ROOT_VALUE = 0;
export const ROOT_DONE = 1;
export const O_KEY_OR_END = 2;
export const O_KEY = 3;
export const O_COLON = 4;
export const O_VALUE = 5;
export const O_COMMA_OR_END = 6;
export const A_VALUE_OR_END = 7;
export const A_VALUE = 8;
export const A_COMMA_OR_END = 9;
/** Modes: what the bytes being read are. */
export const STRUCT = 0;
export const KEY = 1;
export const VALUE = 2;
/** Skipping a value up to its closing line (JsonStreamOptions.skipByLayout). */
export const SKIP_LINES = 3;

/** An open container. */
export interface Frame {
  kind: typeof OBJ | typeof ARR;
  /** The current member's key, or the current element's index. */
  slot: PathPart;
  /** Next element index (arrays). */
  next: number;
  /** Waiting for the first key before deciding (peeked objects). */
  peek: boolean;
  /**
   * Arrays whose every element is emitted: the close mark of their elements (json-layout.ts), `undefined` until
   * learned, `null` when runs are not read (not every element is emitted, the JSON is not laid out in lines, or a
   * run did not parse).
   */
  closeMark: Buffer | null | undefined;
}

/** The path of the container a truncated document stops in, from the path to its current slot. */
export function openContainerPath(path: PathPart[], state: number): PathPart[] {
  // Between a container's slots (or before its first), the last path part is not a value yet.
  const between = [O_KEY_OR_END, A_VALUE_OR_END, O_KEY, A_VALUE, O_COMMA_OR_END, A_COMMA_OR_END];
  if (path.length > 0 && between.includes(state)) path.pop();
  return path;
}
