import { describe, it } from 'node:test';
import { rootCause as rule } from '../../src/diagnose/root-causes/listener-unserved.ts';
import type { Finding } from '../../src/model/finding.ts';
import { type ExpectedRootCause, expectNamed } from '../helpers/root-cause.ts';
import { fixture } from '../helpers/snapshot.ts';

const s = fixture({ listeners: [{ name: 'other', address: { socket_address: { address: '0.0.0.0', port_value: 80 } } }] });
const rejected = (evidence: Finding['evidence']): Finding => ({
  code: 'listener-rejected',
  severity: 'warning',
  snapshot: 'proxy-0',
  entity: { kind: 'listener', name: 'virtualInbound' },
  evidence,
});

describe('listener-unserved rule', () => {
  const cases: Array<{ name: string; rejected: Finding['evidence']; want: ExpectedRootCause | undefined }> = [
    {
      name: 'a rejected listener with an address and no active version: error, high, no changes to render',
      rejected: {
        listener: 'virtualInbound',
        address: '0.0.0.0_15006',
        details: 'Proto constraint validation failed',
        lastUpdateAttempt: '2026-11-30T10:02:03.456Z',
        stillServing: false,
      },
      want: {
        severity: 'error',
        score: 0.85,
        entities: [{ kind: 'listener', name: 'virtualInbound' }],
        explanations: [
          {
            code: 'rejected-listener-not-serving',
            values: {
              listener: 'virtualInbound',
              address: '0.0.0.0_15006',
              lastUpdateAttempt: '2026-11-30T10:02:03.456Z',
              details: 'Proto constraint validation failed',
            },
          },
        ],
        changes: [],
      },
    },
    {
      name: 'without an address: warning, medium',
      rejected: { listener: 'virtualInbound', details: 'x', stillServing: false },
      want: { severity: 'warning', confidence: 'medium' },
    },
    {
      name: 'an earlier version still serves: no root cause, the finding is enough',
      rejected: { listener: 'virtualInbound', address: '0.0.0.0_15006', details: 'x', stillServing: true },
      want: undefined,
    },
  ];
  for (const c of cases) it(c.name, () => expectNamed(rule.diagnose(s, [rejected(c.rejected)]), 'listener-unserved', c.want));
});
