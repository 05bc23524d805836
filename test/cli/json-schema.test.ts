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
  it('rejects a report with a root cause missing its fixes', async () => {
    const report = JSON.parse((await run(['analyze', 'samples/home-assistant-websocket-drops', '-o', 'json'])).stdout) as { rootCauses: Array<Record<string, unknown>> };
    delete report.rootCauses[0]?.fixes;
    assert.equal(validate(report), false);
  });
});
