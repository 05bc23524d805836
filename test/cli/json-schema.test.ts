// The JSON report matches its published schema (docs/json-schema.json), for real reports and only for them.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ROOT, run } from '../helpers/cli.ts';

const schema = JSON.parse(readFileSync(`${ROOT}/docs/json-schema.json`, 'utf8')) as object;
const validate = new Ajv2020({ allErrors: true, allowUnionTypes: true }).compile(schema);

describe('docs/json-schema.json', () => {
  const inputs: string[][] = [
    ...readdirSync(`${ROOT}/samples`).map((d) => [`samples/${d}`]),
    ['samples/home-assistant-websocket-drops', '--manifests', 'test/fixtures/manifests'],
    ['--config-dump', 'test/fixtures/formats/two-pods.egctl.json'],
    ['--stats', 'test/fixtures/formats/home-assistant.istio.stats.prom'],
  ];
  for (const args of inputs) {
    it(`validates the report of ${args.join(' ')}`, async () => {
      const r = await run(['analyze', ...args, '-o', 'json']);
      const report: unknown = JSON.parse(r.stdout);
      assert.ok(validate(report), JSON.stringify(validate.errors));
    });
  }
  it('plain Envoy fixes carry the merged live resource, and a merged resource without its object is rejected', async () => {
    type Fix = { flavor: string; target: string; merged?: { kind: string; name: string; object?: Record<string, unknown>; diff: unknown[] } };
    const report = JSON.parse((await run(['analyze', 'samples/home-assistant-websocket-drops', '-o', 'json'])).stdout) as {
      rootCauses: Array<{ fixes: Fix[] }>;
    };
    const fix = report.rootCauses.flatMap((r) => r.fixes).find((f) => f.flavor === 'envoy' && f.target === 'listener home/eg/https');
    assert.equal(fix?.merged?.kind, 'listener');
    assert.equal(fix?.merged?.object?.per_connection_buffer_limit_bytes, 1_048_576);
    assert.equal(fix?.merged?.object?.name, 'home/eg/https');
    assert.ok(validate(report));
    delete fix?.merged?.object;
    assert.equal(validate(report), false);
  });
  it('rejects a report with a root cause missing its fixes', async () => {
    const report = JSON.parse((await run(['analyze', 'samples/home-assistant-websocket-drops', '-o', 'json'])).stdout) as {
      rootCauses: Array<Record<string, unknown>>;
    };
    delete report.rootCauses[0]?.fixes;
    assert.equal(validate(report), false);
  });
});
