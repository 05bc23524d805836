import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers/rejected-listeners.ts';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { parseConfigDocument } from '../../src/parse/config-document.ts';
import { assembleSnapshot } from '../../src/parse/assemble.ts';
import { expectFindings } from '../helpers/expect.ts';

const V3 = 'type.googleapis.com/envoy.admin.v3';
const failed = (name: string, port: number) => ({
  '@type': 'type.googleapis.com/envoy.config.listener.v3.Listener',
  name,
  address: { socket_address: { address: '0.0.0.0', port_value: port } },
});

function snapshot(dynamicListeners: object[]): Snapshot {
  const [config] = parseConfigDocument(
    Buffer.from(JSON.stringify({ configs: [{ '@type': `${V3}.ListenersConfigDump`, dynamic_listeners: dynamicListeners }] })),
    'dump.json',
    'p',
  );
  const s = assembleSnapshot({ id: 'p', ...(config ? { config } : {}), inputs: { configDump: 'dump.json' } });
  return s;
}

describe('rejected-listeners analyzer', () => {
  it('a rejected listener with no active version: the listener, its address, the error and when', () => {
    const s = snapshot([
      {
        name: 'virtualInbound',
        error_state: {
          failed_configuration: failed('virtualInbound', 15006),
          last_update_attempt: '2026-11-30T10:02:03.456Z',
          details: 'Proto constraint validation failed',
          version_info: 'v42',
        },
      },
    ]);
    expectFindings(analyze(s), [
      {
        code: 'listener-rejected',
        entity: 'virtualInbound',
        severity: 'warning',
        evidence: {
          listener: 'virtualInbound',
          address: '0.0.0.0_15006',
          port: 15006,
          details: 'Proto constraint validation failed',
          lastUpdateAttempt: '2026-11-30T10:02:03.456Z',
          versionInfo: 'v42',
          stillServing: false,
        },
      },
    ]);
  });
  it('a rejected update of a listener that still serves: stillServing', () => {
    const s = snapshot([
      {
        name: 'http',
        active_state: { listener: failed('http', 8080) },
        error_state: { failed_configuration: failed('http', 8080), details: 'duplicate filter chain match' },
      },
    ]);
    expectFindings(analyze(s), [{ code: 'listener-rejected', entity: 'http', severity: 'warning', evidence: { stillServing: true, address: '0.0.0.0_8080' } }]);
    assert.equal(s.listeners.length, 1);
  });
  it('no error_state: nothing', () => {
    expectFindings(analyze(snapshot([{ name: 'http', active_state: { listener: failed('http', 8080) } }])), []);
  });
});
