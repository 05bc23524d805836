import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CATALOGUE } from '../../src/report/catalogue.ts';
import { ROOT, run } from '../helpers/cli.ts';

describe('list and explain', () => {
  it('list -o json names every finding and root cause with its status', async () => {
    const r = await run(['list', '-o', 'json']);
    assert.equal(r.code, 0);
    const ids = (JSON.parse(r.stdout) as Array<{ id: string; status: string }>).map((e) => e.id);
    const expected = CATALOGUE.filter((e) => e.kind === 'finding' || e.kind === 'root-cause').map((e) => e.id);
    assert.deepEqual(ids, expected);
    assert.ok(ids.includes('flow-control-stall') && ids.includes('stream-idle-timeout'));
  });
  it('explain prints the docs page of a root cause and of an analyzer', async () => {
    const r = await run(['explain', 'flow-control-stall']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, readFileSync(`${ROOT}/docs/findings/flow-control-stall.md`, 'utf8'));
    assert.equal((await run(['explain', 'close-patterns'])).stdout, readFileSync(`${ROOT}/docs/analyzers/close-patterns.md`, 'utf8'));
  });
  it('explain of an id not shipped (reserved or retired) says so; of an unknown id, suggests', async () => {
    for (const e of CATALOGUE.filter((x) => x.status !== 'active')) {
      const r = await run(['explain', e.id]);
      assert.equal(r.code, 64, e.id);
      assert.match(r.stderr, e.status === 'reserved' ? /is reserved for a coming release/ : /is retired/);
    }
    // Once reserved, now shipped: its page.
    const shipped = await run(['explain', 'listener-drain']);
    assert.equal(shipped.code, 0);
    assert.equal(shipped.stdout, readFileSync(`${ROOT}/docs/findings/listener-drain.md`, 'utf8'));
    const unknown = await run(['explain', 'keepalive']);
    assert.equal(unknown.code, 64);
    assert.match(unknown.stderr, /no finding, root cause or analyzer named keepalive; did you mean /);
    assert.equal((await run(['explain', '../package'])).code, 64);
  });
});

describe('README', () => {
  it('lists every root cause envoy-doctor names, with its docs page', () => {
    const readme = readFileSync(`${ROOT}/README.md`, 'utf8');
    for (const e of CATALOGUE.filter((x) => x.kind === 'root-cause' && x.status === 'active')) {
      assert.ok(readme.includes(`[\`${e.id}\`](docs/findings/${e.id}.md)`), e.id);
    }
  });
});
