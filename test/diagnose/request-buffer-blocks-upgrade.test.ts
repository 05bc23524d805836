import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { run } from '../helpers/cli.ts';

const ID = 'request-buffer-blocks-upgrade';
const SAMPLE = `samples/${ID}`;

interface Report {
  rootCauses: Array<{
    id: string;
    severity: string;
    confidence: string;
    entities: Array<{ name: string }>;
    fixes: Array<{ flavor: string; target: string; text: string; notes: Array<{ code: string; values: Record<string, unknown> }> }>;
  }>;
}

interface Case {
  name: string;
  /** What `analyze` reads. */
  args: string[];
  code?: number;
  /** Nothing named. */
  none?: true;
  /** The root cause: named first (or at any rank), its fields, and what its fixes set per flavor. */
  named?: {
    first: boolean;
    severity?: string;
    confidence?: string;
    entities?: string[];
    /** Fields of the plain Envoy fix. */
    envoy?: Record<string, unknown>;
    /** The Envoy Gateway fix: its target, fields of the policy's spec (undefined: removed from it), a note it carries. */
    envoyGateway?: { target?: string; spec?: Record<string, unknown>; note?: { code: string; field: string } };
  };
}

describe(ID, () => {
  const cases: Case[] = [
    {
      name: `${SAMPLE}: error, high, the route named, buffering turned off per flavor`,
      args: [SAMPLE],
      named: {
        first: true,
        severity: 'error',
        confidence: 'high',
        entities: ['httproute/home/home-assistant-app/rule/0/match/0/ha_example_com'],
        envoy: {
          typed_per_filter_config: {
            'envoy.filters.http.buffer': { '@type': 'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute', disabled: true },
          },
        },
        // requestBuffer removed from the winning policy, its other fields kept.
        envoyGateway: {
          target: 'BackendTrafficPolicy home/home-assistant-buffering',
          spec: { requestBuffer: undefined, timeout: { http: { requestTimeout: '30s' } } },
        },
      },
    },
    {
      name: 'without the live policies, the Envoy Gateway fix is a note to remove requestBuffer',
      args: ['--config-dump', `${SAMPLE}/config_dump.json`, '--stats', `${SAMPLE}/stats.txt`],
      named: { first: false, envoyGateway: { note: { code: 'remove-policy-field', field: 'requestBuffer' } } },
    },
    { name: `${SAMPLE}-healthy names nothing`, args: [`${SAMPLE}-healthy`], code: 0, none: true },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await run(['analyze', ...c.args, '-o', 'json']);
      if (c.code !== undefined) assert.equal(r.code, c.code);
      const report = JSON.parse(r.stdout) as Report;
      if (c.none) assert.deepEqual(report.rootCauses, []);
      const want = c.named;
      if (!want) return;
      const rc = want.first ? report.rootCauses[0] : report.rootCauses.find((x) => x.id === ID);
      if (want.first) assert.equal(rc?.id, ID);
      if (want.severity) assert.equal(rc?.severity, want.severity);
      if (want.confidence) assert.equal(rc?.confidence, want.confidence);
      if (want.entities)
        assert.deepEqual(
          rc?.entities.map((e) => e.name),
          want.entities,
        );
      const fix = (flavor: string) => rc?.fixes.find((f) => f.flavor === flavor);
      const envoy = parse(fix('envoy')?.text ?? '');
      for (const [field, value] of Object.entries(want.envoy ?? {})) assert.deepEqual(envoy[field], value);
      const eg = fix('envoy-gateway');
      if (want.envoyGateway?.target) assert.equal(eg?.target, want.envoyGateway.target);
      const policy = parse(eg?.text ?? '');
      for (const [field, value] of Object.entries(want.envoyGateway?.spec ?? {})) assert.deepEqual(policy.spec[field], value, `spec.${field}`);
      const note = want.envoyGateway?.note;
      if (note) assert.ok(eg?.notes.some((n) => n.code === note.code && n.values.field === note.field));
    });
  }
});
