// What a fix changes against the live object it was computed from, as the table and Markdown reports list it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changeLine, liveChanges } from '../../src/report/live-changes.ts';
import { run } from '../helpers/cli.ts';

const SAMPLE = 'samples/home-assistant-websocket-drops';

describe('live changes of a fix', () => {
  const cases: Array<{ name: string; fix: Parameters<typeof liveChanges>[0]; against?: string; lines?: string[] }> = [
    { name: 'no live object: nothing to list', fix: {} },
    {
      name: 'plain Envoy: the merged resource diff',
      fix: { merged: { kind: 'listener', name: 'l1', object: {}, diff: [{ path: '/per_connection_buffer_limit_bytes', before: 32768, after: 1048576 }] } },
      against: 'listener l1',
      lines: ['/per_connection_buffer_limit_bytes: 32768 → 1048576'],
    },
    {
      name: 'Kubernetes: a new field and a removed one',
      fix: {
        liveDiff: {
          object: 'BackendTrafficPolicy ns/p',
          changes: [
            { path: '/tcpKeepalive', after: { probes: 3 } },
            { path: '/requestBuffer', before: { limit: '4Mi' } },
          ],
        },
      },
      against: 'BackendTrafficPolicy ns/p',
      lines: ['/tcpKeepalive: (new) {"probes":3}', '/requestBuffer: {"limit":"4Mi"} (removed)'],
    },
    {
      name: 'a long value is cut, the YAML has it whole',
      fix: { liveDiff: { object: 'X a/b', changes: [{ path: '/v', after: 'x'.repeat(100) }] } },
      against: 'X a/b',
      lines: [`/v: (new) ${'x'.repeat(59)}…`],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const live = liveChanges(c.fix);
      assert.equal(live?.against, c.against);
      assert.deepEqual(live?.changes.map(changeLine), c.lines);
    });
  }

  it('the table lists them under the fix', async () => {
    const r = await run(['analyze', SAMPLE, '--fail-on', 'none']);
    assert.match(r.stdout, /against the live listener home\/eg\/https: 2 changes\n {7}\/per_connection_buffer_limit_bytes: 32768 → 1048576/);
  });

  it('Markdown has them as a table of field, live value and value after the fix', async () => {
    const r = await run(['analyze', SAMPLE, '-o', 'markdown', '--fail-on', 'none']);
    assert.match(
      r.stdout,
      /Against the live listener home\/eg\/https:\n\n\| field \| live \| after the fix \|\n[^\n]+\n\| `\/per_connection_buffer_limit_bytes` \| `32768` \| `1048576` \|/,
    );
  });
});
