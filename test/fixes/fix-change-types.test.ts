// FixChange is derived from the kind modules (declaration merging into FixChangeKinds, src/model/fix-change.ts), and
// a root cause's change literal is still checked against its kind's fields: a wrong, missing or mistyped field, or an
// unknown kind, is a type error. `tsc -p tsconfig.json` checks this file: each `@ts-expect-error` line must be an
// error, or the typecheck fails.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FIX_KINDS } from '../../src/fixes/kinds/index.ts';
import type { FixChange } from '../../src/model/finding.ts';

const ROUTES = ['r0', 'r1'];

/** Literals as the root causes write them. */
const accepted: FixChange[] = [
  { kind: 'cluster-buffer-limit', cluster: 'c', bytes: 1_048_576 },
  { kind: 'tcp-proxy-idle-timeout', listener: 'l', statPrefix: 'tcp', ms: 0 },
  ...ROUTES.map((route): FixChange => ({ kind: 'route-timeout', route, ms: 0 })),
];

const rejected: FixChange[] = [
  // @ts-expect-error `millis` is not a field of route-timeout
  ...ROUTES.map((route): FixChange => ({ kind: 'route-timeout', route, millis: 0 })),
  // @ts-expect-error `listener` is not a field of cluster-buffer-limit
  { kind: 'cluster-buffer-limit', listener: 'l', bytes: 1 },
  // @ts-expect-error bytes is a number
  { kind: 'listener-buffer-limit', listener: 'l', bytes: '1Mi' },
  // @ts-expect-error tcp-proxy-idle-timeout needs its statPrefix
  { kind: 'tcp-proxy-idle-timeout', listener: 'l', ms: 0 },
  // @ts-expect-error no such kind
  { kind: 'route-timeouts', route: 'r', ms: 0 },
];

describe('FixChange from the kind modules', () => {
  it('every kind a literal may name is registered', () => {
    const registered = new Set<string>(FIX_KINDS.map((k) => k.kind));
    for (const c of [...accepted, ...rejected]) assert.equal(registered.has(c.kind), (c.kind as string) !== 'route-timeouts', c.kind);
  });
});
