// The order in which proxies are contacted: at most n at once, first samples before second contacts until a
// second contact has waited its slack, then that second contact before any first one.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Slots } from '../../src/collect/contact-slots.ts';

/** A slot user that records when it starts and ends only when told to. */
function holder(log: string[], name: string): { task: () => Promise<void>; finish: () => void } {
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    task: async () => {
      log.push(name);
      await done;
    },
    finish: () => finish(),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('Slots', () => {
  const cases: Array<{ name: string; advanceMs: number; expected: string[] }> = [
    {
      name: 'lets first contacts in before second contacts that have not waited their slack',
      advanceMs: 50,
      expected: ['busy', 'first-a', 'first-b', 'second'],
    },
    { name: 'lets a second contact in first once it has waited its slack', advanceMs: 100, expected: ['busy', 'second', 'first-a', 'first-b'] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      let now = 1000;
      const slots = new Slots(1, 100, () => now);
      const log: string[] = [];
      const busy = holder(log, 'busy');
      const second = holder(log, 'second');
      const firstA = holder(log, 'first-a');
      const firstB = holder(log, 'first-b');
      const running = [slots.run(busy.task), slots.run(second.task, true), slots.run(firstA.task), slots.run(firstB.task)];
      await tick();
      now += c.advanceMs;
      for (const h of [busy, second, firstA, firstB]) {
        h.finish();
        await tick();
      }
      await Promise.all(running);
      assert.deepEqual(log, c.expected);
    });
  }

  it('never runs more than n tasks at once, and a slot given back twice counts once', async () => {
    const slots = new Slots(2);
    let running = 0;
    let most = 0;
    const work = async () => {
      running++;
      most = Math.max(most, running);
      await tick();
      running--;
    };
    const release = await slots.acquire();
    release();
    release();
    await Promise.all(Array.from({ length: 10 }, (_, i) => slots.run(work, i % 2 === 0)));
    assert.equal(most, 2);
  });
});
