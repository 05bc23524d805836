// The fix kinds are one module each: every kind in the registry (src/fixes/kinds/index.ts) has a module of its name
// that exports it, every module of the folder is registered, each flavor renders the kind or says why not, each
// module cites the API it renders, and every kind a root cause of the samples produces is registered.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { FixKind } from '../../src/fixes/fix-kind.ts';
import { FIX_KINDS } from '../../src/fixes/kinds/index.ts';
import { diagnoseSamples } from '../helpers/fix-coverage.ts';

const KINDS = new URL('../../src/fixes/kinds/', import.meta.url);
const FLAVORS = ['envoy', 'envoyGateway', 'istio'] as const;

/** The kind modules of the folder (all but the registry), by file name without .ts. */
function kindFiles(): string[] {
  return readdirSync(KINDS)
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
    .map((f) => f.slice(0, -'.ts'.length))
    .sort();
}

describe('fix kinds', () => {
  it('every registered kind has a module of its name exporting it, and every module is registered once', async () => {
    const kinds = FIX_KINDS.map((k) => k.kind);
    assert.equal(new Set(kinds).size, kinds.length, 'kinds are unique');
    assert.deepEqual([...kinds].sort(), kindFiles());
    for (const k of FIX_KINDS) {
      const mod = (await import(new URL(`${k.kind}.ts`, KINDS).href)) as { fixKind: FixKind };
      assert.equal(mod.fixKind, k, `src/fixes/kinds/${k.kind}.ts exports the registered fixKind`);
    }
  });

  for (const k of FIX_KINDS) {
    it(`${k.kind}: names its target, and every flavor renders it or says why not`, () => {
      assert.equal(typeof k.target, 'function');
      for (const flavor of FLAVORS) {
        const rendering = k[flavor];
        if (typeof rendering === 'function') continue;
        assert.equal(typeof rendering.notRendered, 'string', `${k.kind}: ${flavor} is a function or { notRendered }`);
        assert.ok(rendering.notRendered.length >= 20, `${k.kind}: ${flavor} says why it renders nothing`);
      }
    });
    it(`${k.kind}: cites the API it renders at the top of its module`, () => {
      const text = readFileSync(new URL(`${k.kind}.ts`, KINDS), 'utf8');
      const header = text
        .split('\n')
        .filter((l) => l.startsWith('//'))
        .join('\n');
      assert.ok(header.startsWith(`// ${k.kind}:`), `${k.kind}.ts starts by naming its kind`);
      assert.match(header, /(api\/envoy|\.proto|\.rst|gateway\.envoyproxy\.io|envoyproxy\/gateway|istio)/);
    });
  }

  it('every kind a root cause produces in the samples is registered', async () => {
    const registered = new Set<string>(FIX_KINDS.map((k) => k.kind));
    const produced = new Set<string>();
    for (const { rootCauses } of (await diagnoseSamples()).values()) for (const rc of rootCauses) for (const c of rc.changes) produced.add(c.kind);
    assert.ok(produced.size > 0, 'the samples produce changes');
    for (const kind of produced) assert.ok(registered.has(kind), `${kind} is registered in src/fixes/kinds/index.ts`);
  });
});
