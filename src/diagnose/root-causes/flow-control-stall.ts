// flow-control-stall: a slow client's connection fills its write buffer (the listener's
// per_connection_buffer_limit_bytes; the lab measured that the cluster's does not move the pause), Envoy pauses
// reading from the upstream (source/common/router/upstream_codec_filter.cc, UpstreamCodecFilter::
// onAboveWriteBufferHighWatermark, and upstream_request.cc), the upstream's send queue fills, its
// heartbeat never leaves, and it closes the connection with the request active (UC). Evidence, strongest first:
// pauses without resumes during a window, buffered bytes worth at least half a buffer per connection that may be
// paused now, upstream closes with an active request, a small buffer limit, clients giving up (DC). Closes of a client
// whose upgraded sessions end in a band at one age (a `DC` band of upgraded-sessions-end-together on the cluster)
// are that client's own timer, not the stall: a stall ends a session when that client falls behind, not at the same
// age for every session. Such an agent's closes are neither evidence nor explained here.

import { explanationType } from '../../model/catalogue-entry.ts';
import { CLUSTER_STATS, HTTP_STATS } from '../../model/envoy-stats.ts';
import type { EvidenceValue, EntityRef, Explanation, Finding, FixChange } from '../../model/finding.ts';
import type { Cluster, Snapshot } from '../../model/snapshot.ts';
import { managersForCluster, type PlacedConnectionManager } from '../../model/topology.ts';
import { longLivedStreamChecks } from '../hypotheses.ts';
import { type Diagnosed, defineRootCause, evidenceOf, explain, findingsAbout, proposedBufferLimit, scoring } from '../root-cause.ts';

/** Explanation `pauses-in-window`. */
const PAUSES_IN_WINDOW = explanationType<{ windowPaused: EvidenceValue; windowResumed: EvidenceValue; windowSeconds: EvidenceValue }>()(
  'pauses-in-window',
  '{windowPaused} {windowPaused|pause|pauses} and {windowResumed} {windowResumed|resume|resumes} in {windowSeconds}: streams are pausing now and not recovering',
);

/** Explanation `buffers-full-at-limit`. */
const BUFFERS_FULL_AT_LIMIT = explanationType<{
  bufferedBytes: EvidenceValue;
  bufferedOn: EvidenceValue;
  fullBuffers: EvidenceValue;
  limitBytes: EvidenceValue;
  buffersPerPaused?: EvidenceValue;
  pausedNowUpperBound?: EvidenceValue;
}>()(
  'buffers-full-at-limit',
  '{bufferedBytes} buffered on {bufferedOn} is {fullBuffers} {fullBuffers|full buffer|full buffers} of {limitBytes}[?, {buffersPerPaused} {buffersPerPaused|buffer|buffers} for each of the up to {pausedNowUpperBound} {pausedNowUpperBound|connection|connections} that may be paused now] (a connection stalled at the limits holds about a listener limit plus a cluster limit, one on each side)',
);

/** Explanation `upstream-closes-active`. */
const UPSTREAM_CLOSES_ACTIVE = explanationType<{ count: EvidenceValue; share: EvidenceValue }>()(
  'upstream-closes-active',
  '{count} {count|upstream close|upstream closes} with a request active ({share} of closes): the UC pattern',
);

/** Explanation `client-closes-active`. */
const CLIENT_CLOSES_ACTIVE = explanationType<{ count: EvidenceValue; agent: EvidenceValue }>()(
  'client-closes-active',
  '{count} {count|close|closes} by {agent} clients with a request active: the DC pattern of clients giving up',
);

/** Explanation `upstream-closes-after-missed-heartbeat`. */
const UPSTREAM_CLOSES_AFTER_MISSED_HEARTBEAT = explanationType<{
  count: EvidenceValue;
  lowMs: EvidenceValue;
  highMs: EvidenceValue;
  medianMs: EvidenceValue;
  heartbeatMs: EvidenceValue;
}>()(
  'upstream-closes-after-missed-heartbeat',
  '{count} {count|upgraded session was|upgraded sessions were} closed by the upstream (UC) between {lowMs} and {highMs} (median {medianMs}): a backend that pings every {heartbeatMs} and closes half a heartbeat after an unanswered ping, whose ping or pong sat behind paused reads',
);

/** Explanation `heartbeat-behind-paused-reads`. */
const HEARTBEAT_BEHIND_PAUSED_READS = explanationType<{ pausedNowUpperBound: EvidenceValue; bufferedBytes: EvidenceValue }>()(
  'heartbeat-behind-paused-reads',
  'a backend that pings N seconds after the last frame it received and gives up N/2 later (aiohttp: 82.5 s at heartbeat=55) closes its WebSockets while its ping or the pong sits behind reads Envoy paused (up to {pausedNowUpperBound} {pausedNowUpperBound|connection|connections} paused now, {bufferedBytes} buffered)',
);

function num(f: Finding | undefined, key: string): number | undefined {
  const v = f?.evidence[key];
  return typeof v === 'number' ? v : undefined;
}

/** What a cluster's paused reads are found with: its buffers, closes, limits and clients. */
interface StallEvidence {
  cluster: Cluster | undefined;
  clusterName: string;
  managers: PlacedConnectionManager[];
  /** Buffered bytes on either side, the side with more full buffers first. */
  bufferedSides: Finding[];
  buffered: Finding | undefined;
  /** Pauses that did not move during the window, with their connections still held paused. */
  stillHeld: boolean;
  upstreamCloses: Finding | undefined;
  lowLimit: Finding | undefined;
  listenerLimits: Finding[];
  downstreamPaused: Finding[];
  clientCloses: Finding[];
}

/** The findings every stall looks through, picked out of all findings once. */
interface Around {
  /** Agents' sessions that ended together, closed by the client (DC). */
  clientBands: Finding[];
  /** Agents' closes with a request active. */
  agentCloses: Finding[];
  /** Sessions the upstream closed together (UC) at a time a missed heartbeat explains. */
  heartbeats: Finding[];
}

function around(findings: Finding[]): Around {
  return {
    clientBands: findings.filter((f) => f.code === 'upgraded-sessions-end-together' && f.evidence.flag === 'DC'),
    agentCloses: findings.filter((f) => f.code === 'downstream-close-with-active-request' && f.entity.kind === 'user-agent'),
    heartbeats: findings.filter((f) => f.code === 'upgraded-sessions-end-together' && f.evidence.flag === 'UC' && typeof f.evidence.heartbeatMs === 'number'),
  };
}

/** The evidence around one cluster's paused reads, or undefined when they are history rather than a stall now. */
function stallEvidence(s: Snapshot, findings: Finding[], { clientBands, agentCloses }: Around, paused: Finding): StallEvidence | undefined {
  const cluster = s.clusters.get(paused.entity.name);
  const clusterName = cluster?.name ?? paused.entity.name;
  const about = (code: string): Finding | undefined => findingsAbout(findings, code, 'cluster', [clusterName])[0];
  const managers = cluster ? managersForCluster(s, cluster.name) : [];
  const prefixes = new Set(managers.map((m) => m.connectionManager.statPrefix));
  // A stalled connection holds about a listener limit in its client connection's write buffer and up to a
  // cluster limit on the upstream connection (the lab): count whichever side holds more; the other side is
  // evidence too.
  const bufferedSides = [about('upstream-bytes-buffered'), ...findingsAbout(findings, 'downstream-bytes-buffered', 'connection-manager', prefixes)]
    .filter((f): f is Finding => f !== undefined)
    .sort((a, b) => (num(b, 'fullBuffers') ?? 0) - (num(a, 'fullBuffers') ?? 0));
  const buffered = bufferedSides[0];
  // Totals that did not move during a window are history, not a stall now, unless the connections are still held
  // paused: no resume in the window and the bytes waiting for their clients fill their buffers.
  const stillHeld =
    paused.severity === 'info' &&
    paused.evidence.windowResumed === 0 &&
    (num(buffered, 'fullBuffers') ?? 0) >= Math.max(1, (num(paused, 'pausedNowUpperBound') ?? 0) * 0.5);
  if (paused.severity === 'info' && !stillHeld) return undefined;
  // Agents whose sessions on this cluster end at one age: a client timer, left unexplained.
  const timedAgents = new Set(clientBands.filter((f) => f.evidence.cluster === clusterName).map((f) => String(f.evidence.agent)));
  return {
    cluster,
    clusterName,
    managers,
    bufferedSides,
    buffered,
    stillHeld,
    upstreamCloses: about('upstream-close-with-active-request'),
    lowLimit: about('websocket-buffer-limit-low'),
    // The listeners' limits are the ones that pause upstream reads (the lab), and the fix raises them too.
    listenerLimits: findingsAbout(findings, 'websocket-buffer-limit-low', 'listener', new Set(managers.map((m) => m.listener.name))),
    downstreamPaused: findingsAbout(findings, 'downstream-reads-paused', 'connection-manager', prefixes),
    clientCloses: [
      ...findingsAbout(findings, 'downstream-close-with-active-request', 'connection-manager', prefixes),
      ...agentCloses.filter((f) => prefixes.has(String(f.evidence.connectionManager)) && !timedAgents.has(String(f.evidence.agent))),
    ].filter((f) => f.severity !== 'info'),
  };
}

/** The score, the findings it rests on and what it explains, from the evidence around one cluster's paused reads. */
function weigh(paused: Finding, stall: StallEvidence, { heartbeats }: Around): { score: number; evidence: Finding[]; explains: Explanation[] } {
  const { buffered, upstreamCloses, lowLimit, clientCloses } = stall;
  const upper = num(paused, 'pausedNowUpperBound') ?? 0;
  const explains: Explanation[] = [];
  const evidence: Finding[] = [paused];
  let score = 0.35;
  if (stall.stillHeld) score += 0.25;
  if (paused.severity === 'error') {
    score += 0.25;
    explains.push(explain(PAUSES_IN_WINDOW, evidenceOf(paused, ['windowPaused', 'windowResumed', 'windowSeconds'])));
  }
  const fullBuffers = num(buffered, 'fullBuffers');
  if (buffered && fullBuffers !== undefined && fullBuffers >= Math.max(1, upper * 0.5)) {
    score += 0.2;
    evidence.push(buffered);
    // What the bytes are per connection that may be paused now, not a match: paused - resumed only bounds those
    // connections from above, and a connection stalled at the limits holds about a listener limit plus a
    // cluster limit (the lab), one on each side.
    explains.push(
      explain(BUFFERS_FULL_AT_LIMIT, {
        bufferedBytes: buffered.evidence.bufferedBytes ?? null,
        bufferedOn: buffered.code === 'upstream-bytes-buffered' ? 'upstream-connections' : 'client-connections',
        fullBuffers,
        limitBytes: buffered.evidence.limitBytes ?? null,
        pausedNowUpperBound: upper,
        buffersPerPaused: upper > 0 ? Math.round((fullBuffers / upper) * 100) / 100 : null,
      }),
    );
  }
  if (upstreamCloses && upstreamCloses.severity !== 'info') {
    score += 0.15;
    evidence.push(upstreamCloses);
    explains.push(explain(UPSTREAM_CLOSES_ACTIVE, evidenceOf(upstreamCloses, ['count', 'share'])));
  }
  if (lowLimit) {
    score += 0.05;
    evidence.push(lowLimit);
  }
  if (clientCloses.length > 0) {
    score += 0.05;
    evidence.push(...clientCloses);
    for (const c of clientCloses.filter((f) => f.entity.kind === 'user-agent')) explains.push(explain(CLIENT_CLOSES_ACTIVE, evidenceOf(c, ['agent', 'count'])));
  }
  // Access logs: upgraded sessions the upstream closed together, at a time a missed heartbeat explains.
  const heartbeat = heartbeats.find((f) => f.evidence.cluster === stall.clusterName);
  if (heartbeat) {
    score += 0.1;
    evidence.push(heartbeat);
    explains.push(explain(UPSTREAM_CLOSES_AFTER_MISSED_HEARTBEAT, evidenceOf(heartbeat, ['count', 'lowMs', 'highMs', 'medianMs', 'heartbeatMs'])));
  }
  evidence.push(...stall.downstreamPaused);
  // Supporting, unscored: the other side's buffered bytes, and the listeners' low limits the fix raises.
  if (buffered && evidence.includes(buffered)) evidence.push(...stall.bufferedSides.filter((f) => f !== buffered && f.severity !== 'info'));
  evidence.push(...stall.listenerLimits);
  explains.unshift(explain(HEARTBEAT_BEHIND_PAUSED_READS, { pausedNowUpperBound: upper, bufferedBytes: buffered?.evidence.bufferedBytes ?? null }));
  return { score, evidence, explains };
}

export const rootCause = defineRootCause({
  id: 'flow-control-stall',
  title: 'Flow-control stall: slow clients pause upstream reads and long-lived streams starve',
  message:
    'a slow reader filled the {limitBytes} buffer, Envoy paused reads from the upstream, and the upstream closed connections it could no longer write to',
  uses: [
    'upstream-reads-paused',
    'upstream-bytes-buffered',
    'upstream-close-with-active-request',
    'websocket-buffer-limit-low',
    'downstream-reads-paused',
    'downstream-close-with-active-request',
    'upgraded-sessions-end-together',
  ],
  explanations: [
    PAUSES_IN_WINDOW,
    BUFFERS_FULL_AT_LIMIT,
    UPSTREAM_CLOSES_ACTIVE,
    CLIENT_CLOSES_ACTIVE,
    UPSTREAM_CLOSES_AFTER_MISSED_HEARTBEAT,
    HEARTBEAT_BEHIND_PAUSED_READS,
  ],
  verify: [
    { scope: 'cluster', stat: CLUSTER_STATS.flowControlPausedReading, expect: 'stops-growing' },
    { scope: 'cluster', stat: CLUSTER_STATS.flowControlPausedReading, expect: 'matches', other: CLUSTER_STATS.flowControlResumedReading },
    { scope: 'cluster', stat: CLUSTER_STATS.cxRxBytesBuffered, expect: 'falls' },
    { scope: 'cluster', stat: CLUSTER_STATS.cxDestroyRemoteWithActiveRq, expect: 'stops-growing' },
    { scope: 'connection-manager', stat: HTTP_STATS.flowControlPausedReading, expect: 'matches', other: HTTP_STATS.flowControlResumedReading },
    { scope: 'cluster', setting: 'per_connection_buffer_limit_bytes of at least 1 MiB', expect: 'present' },
    { scope: 'listener', setting: 'per_connection_buffer_limit_bytes of at least 1 MiB', expect: 'present' },
  ],
  diagnose(s: Snapshot, findings: Finding[]): Diagnosed[] {
    const out: Diagnosed[] = [];
    // Picked out once, not per stall: a mesh can stall hundreds of clusters among tens of thousands of findings.
    const shared = around(findings);
    for (const paused of findings.filter((f) => f.code === 'upstream-reads-paused')) {
      const stall = stallEvidence(s, findings, shared, paused);
      if (!stall) continue;
      const { score, evidence, explains } = weigh(paused, stall, shared);
      const entities: EntityRef[] = [{ kind: 'cluster', name: stall.clusterName }];
      // Only the listeners' limits: the lab measured that the cluster's does not move the pause (docs/lab.md), it
      // only adds what a paused connection holds.
      const changes: FixChange[] = [];
      for (const listener of new Set(stall.managers.map((m) => m.listener))) {
        entities.push({ kind: 'listener', name: listener.name });
        changes.push({ kind: 'listener-buffer-limit', listener: listener.name, bytes: proposedBufferLimit(listener.bufferLimitBytes.value) });
      }
      out.push({
        id: 'flow-control-stall',
        ...scoring(s, score, (confidence) => (confidence === 'low' ? 'warning' : 'error')),
        entities,
        evidence,
        explains,
        checks: stall.cluster ? longLivedStreamChecks(s, stall.cluster, stall.managers) : [],
        changes,
      });
    }
    return out;
  },
});
