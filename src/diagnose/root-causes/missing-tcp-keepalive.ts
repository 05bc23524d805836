// missing-tcp-keepalive: WebSocket traffic is flowing (upgrades counted on the connection managers) through
// clusters or listeners without TCP keepalive. Cluster: upstream_connection_options.tcp_keepalive
// (api/envoy/config/core/v3/address.proto TcpKeepalive); listener: SO_KEEPALIVE socket options.
// Envoy Gateway: BackendTrafficPolicy / ClientTrafficPolicy `tcpKeepalive`.

import { explanationType } from '../../model/catalogue-entry.ts';
import type { EvidenceValue, EntityRef, Finding, FixChange } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { type Diagnosed, defineRootCause, explain, scoring } from '../root-cause.ts';

/** Explanation `dead-peers-undetected`. */
const DEAD_PEERS_UNDETECTED = explanationType<{ upgradesTotal: EvidenceValue }>()(
  'dead-peers-undetected',
  'without keepalive a connection whose peer vanished stays open until an application timer notices ({upgradesTotal} {upgradesTotal|upgrade|upgrades} so far)',
);

/** Keepalive proposed: first probe after 60 s idle, then every 20 s, 3 probes: a dead peer is found in 2 minutes. */
export const PROPOSED_KEEPALIVE = { probes: 3, timeSeconds: 60, intervalSeconds: 20 } as const;

export const rootCause = defineRootCause({
  id: 'missing-tcp-keepalive',
  title: 'Long-lived connections without TCP keepalive',
  message: 'quiet WebSocket connections have no TCP keepalive, so dead peers and idle middleboxes go unnoticed',
  uses: ['cluster-tcp-keepalive-missing', 'listener-tcp-keepalive-missing', 'upstream-close-with-active-request'],
  explanations: [DEAD_PEERS_UNDETECTED],
  verify: [
    { scope: 'cluster', setting: 'upstream_connection_options.tcp_keepalive', expect: 'present' },
    { scope: 'listener', setting: 'socket_options SO_KEEPALIVE (level 1, name 9, value 1)', expect: 'present' },
  ],
  diagnose(s: Snapshot, findings: Finding[]): Diagnosed[] {
    const missing = findings.filter(
      (f) => (f.code === 'cluster-tcp-keepalive-missing' || f.code === 'listener-tcp-keepalive-missing') && f.severity !== 'info',
    );
    if (missing.length === 0) return [];
    const entities: EntityRef[] = missing.map((f) => f.entity);
    const changes: FixChange[] = missing.map((f) =>
      f.code === 'cluster-tcp-keepalive-missing'
        ? { kind: 'cluster-tcp-keepalive', cluster: f.entity.name, ...PROPOSED_KEEPALIVE }
        : { kind: 'listener-tcp-keepalive', listener: f.entity.name, ...PROPOSED_KEEPALIVE },
    );
    const clusterNames = new Set(missing.filter((f) => f.entity.kind === 'cluster').map((f) => f.entity.name));
    const closes = findings.filter((f) => f.code === 'upstream-close-with-active-request' && clusterNames.has(f.entity.name) && f.severity !== 'info');
    const score = closes.length > 0 ? 0.65 : 0.55;
    const upgrades = Math.max(...missing.map((f) => (typeof f.evidence.upgradesTotal === 'number' ? f.evidence.upgradesTotal : 0)));
    return [
      {
        id: 'missing-tcp-keepalive',
        ...scoring(s, score, () => 'warning'),
        entities,
        evidence: [...missing, ...closes],
        explains: [explain(DEAD_PEERS_UNDETECTED, { upgradesTotal: upgrades })],
        checks: [],
        changes,
      },
    ];
  },
});
