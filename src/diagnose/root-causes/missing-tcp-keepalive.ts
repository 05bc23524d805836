// missing-tcp-keepalive: WebSocket traffic is flowing (upgrades counted on the connection managers) through
// clusters or listeners without TCP keepalive. Cluster: upstream_connection_options.tcp_keepalive
// (api/envoy/config/core/v3/address.proto TcpKeepalive); listener: SO_KEEPALIVE socket options.
// Envoy Gateway: BackendTrafficPolicy / ClientTrafficPolicy `tcpKeepalive`.

import type { EntityRef, Finding, FixChange } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { type DiagnosisRule, type Diagnosed, scoring } from '../root-cause.ts';

/** Keepalive proposed: first probe after 60 s idle, then every 20 s, 3 probes: a dead peer is found in 2 minutes. */
export const PROPOSED_KEEPALIVE = { probes: 3, timeSeconds: 60, intervalSeconds: 20 } as const;

export const rule: DiagnosisRule = {
  id: 'missing-tcp-keepalive',
  uses: ['cluster-tcp-keepalive-missing', 'listener-tcp-keepalive-missing', 'upstream-close-with-active-request'],
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
        explains: [{ code: 'dead-peers-undetected', values: { upgradesTotal: upgrades } }],
        checks: [],
        changes,
      },
    ];
  },
};
