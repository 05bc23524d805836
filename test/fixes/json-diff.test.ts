// The leaves a fix changes in a live object, as JSON pointers: what the reports list under a merged object's diff.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffJson } from '../../src/fixes/json-diff.ts';

describe('diffJson', () => {
  const live = { name: 'c', per_connection_buffer_limit_bytes: 32768, typed: { 'a/b': { '~x': [1, 2] } }, list: [{ k: 'v' }, { k: 'w' }] };
  const cases: Array<[string, unknown, unknown, Array<{ path: string; before?: unknown; after?: unknown }>]> = [
    ['an equal copy', live, structuredClone(live), []],
    [
      'a changed leaf',
      live,
      { ...live, per_connection_buffer_limit_bytes: 1048576 },
      [{ path: '/per_connection_buffer_limit_bytes', before: 32768, after: 1048576 }],
    ],
    ['a new field', { a: 1 }, { a: 1, b: { c: 2 } }, [{ path: '/b', after: { c: 2 } }]],
    ['a removed field', { a: 1, b: 2 }, { a: 1 }, [{ path: '/b', before: 2 }]],
    ['keys escaped as RFC 6901 says', live, { ...live, typed: { 'a/b': { '~x': [1, 3] } } }, [{ path: '/typed/a~1b/~0x/1', before: 2, after: 3 }]],
    [
      'an array element added and one changed',
      live,
      { ...live, list: [{ k: 'v' }, { k: 'z' }, { k: 'y' }] },
      [
        { path: '/list/1/k', before: 'w', after: 'z' },
        { path: '/list/2', after: { k: 'y' } },
      ],
    ],
    ['an array shortened', { l: [1, 2] }, { l: [1] }, [{ path: '/l/1', before: 2 }]],
    ['an object replaced by a number', { a: { b: 1 } }, { a: 5 }, [{ path: '/a', before: { b: 1 }, after: 5 }]],
    ['values JSON writes alike', { a: Number.NaN }, { a: null }, []],
    ['whole values that differ', 1, 2, [{ path: '', before: 1, after: 2 }]],
  ];
  for (const [name, before, after, expected] of cases) it(name, () => assert.deepEqual(diffJson(before, after), expected));
});
