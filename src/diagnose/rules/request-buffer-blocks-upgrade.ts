// request-buffer-blocks-upgrade: the buffer filter runs on a route that carries WebSocket upgrades, so upgrade
// requests wait for a body that never ends (envoyproxy/gateway#8578). Configuration alone settles it: the route
// accepts upgrades and buffers requests. The fix turns buffering off for that route.

import type { Finding, FixChange } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { type DiagnosisRule, type Diagnosed, evidenceOf } from './rule.ts';

export const rule: DiagnosisRule = {
  id: 'request-buffer-blocks-upgrade',
  uses: ['websocket-route-buffers-requests'],
  diagnose(s: Snapshot, findings: Finding[]): Diagnosed[] {
    const buffered = findings.filter((f) => f.code === 'websocket-route-buffers-requests');
    if (buffered.length === 0) return [];
    return [
      {
        id: 'request-buffer-blocks-upgrade',
        severity: 'error',
        confidence: 'high',
        score: 0.85,
        snapshot: s.id,
        entities: buffered.map((f) => f.entity),
        evidence: buffered,
        explains: buffered.map((f) => ({ code: 'upgrade-waits-for-body', values: { route: f.entity.name, ...evidenceOf(f, ['connectionManager', 'enabledBy']) } })),
        checks: [],
        changes: buffered.map((f): FixChange => ({ kind: 'route-disable-request-buffer', route: f.entity.name })),
      },
    ];
  },
};
