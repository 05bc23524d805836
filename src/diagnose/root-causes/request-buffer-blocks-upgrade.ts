// request-buffer-blocks-upgrade: the buffer filter runs on a route that carries WebSocket upgrades, so upgrade
// requests wait for a body that never ends (envoyproxy/gateway#8578; source/extensions/filters/http/buffer/
// buffer_filter.cc decodeHeaders stops iteration until end of stream). Configuration alone settles it: the route
// accepts upgrades and buffers requests. The fix turns buffering off for that route.

import { explanationType } from '../../model/catalogue-entry.ts';
import { HTTP_STATS } from '../../model/envoy-stats.ts';
import type { EvidenceValue, Finding, FixChange } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { type Diagnosed, defineRootCause, explain } from '../root-cause.ts';

/** Upgrade requests on a route wait in the buffer filter. */
const UPGRADE_WAITS_FOR_BODY = explanationType<{ route: string; connectionManager: EvidenceValue; enabledBy: EvidenceValue }>()(
  'upgrade-waits-for-body',
  'upgrade requests on {route} wait in the buffer filter for a request body that only ends with the connection, so the 101 never comes',
);

/** The finding this root cause rests on (src/analyzers/request-buffering.ts). */
const BUFFERS_REQUESTS = 'websocket-route-buffers-requests';

export const rootCause = defineRootCause({
  id: 'request-buffer-blocks-upgrade',
  title: 'Request buffering blocks the WebSocket upgrade',
  message: 'the buffer filter holds upgrade requests on {route} for a body that never ends',
  uses: [BUFFERS_REQUESTS],
  explanations: [UPGRADE_WAITS_FOR_BODY],
  verify: [
    {
      scope: 'route',
      setting: 'typed_per_filter_config envoy.filters.http.buffer with disabled: true (or no requestBuffer in the winning policy)',
      expect: 'present',
    },
    { scope: 'connection-manager', stat: HTTP_STATS.cxUpgradesTotal, expect: 'keeps-growing' },
  ],
  diagnose(s: Snapshot, findings: Finding[]): Diagnosed[] {
    const buffered = findings.filter((f) => f.code === BUFFERS_REQUESTS);
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
        explains: buffered.map((f) =>
          explain(UPGRADE_WAITS_FOR_BODY, {
            route: f.entity.name,
            connectionManager: f.evidence.connectionManager ?? null,
            enabledBy: f.evidence.enabledBy ?? null,
          }),
        ),
        checks: [],
        changes: buffered.map((f): FixChange => ({ kind: 'route-disable-request-buffer', route: f.entity.name })),
      },
    ];
  },
});
