// upstream-keepalive-race: the backend closes idle keep-alive connections sooner than Envoy's upstream idle_timeout
// (common_http_protocol_options.idle_timeout, 1 h unless set; api/envoy/config/core/v3/protocol.proto), so a request
// Envoy writes to a pooled connection the backend is closing is reset: 503 UC
// upstream_reset_before_response_started{connection_termination} (source/common/http/codec_client.cc
// CodecClient::onEvent, source/common/router/router.cc). Named from the upstream-keepalive analyzer's finding when
// the resets became 503s or retries and the backend, not Envoy's timer, ends idle connections. The lab reproduced it
// on Envoy 1.36.2 and 1.40.0 (lab/scenarios/upstream-keepalive-race.ts): only an idle_timeout below the backend's
// keep-alive ended the resets; `retry_on: reset` hid them (each one retried), `reset-before-request` and Envoy
// Gateway's and Istio's default retry policies did not retry them. The fix sets the idle timeout to 80 % of the
// backend's keep-alive as the shortest upstream connection bounds it (upstream_cx_length_ms P0), or of Node.js's 5 s
// when no histogram says.

import { explanationType } from '../../model/catalogue-entry.ts';
import { CLUSTER_STATS } from '../../model/envoy-stats.ts';
import type { EvidenceValue, Explanation, Finding } from '../../model/finding.ts';
import type { Snapshot } from '../../model/snapshot.ts';
import { type Diagnosed, defineRootCause, evidenceOf, explain, HIGH_IS_ERROR, scoring } from '../root-cause.ts';

/** Explanation `requests-reset-on-closed-connections`. */
const REQUESTS_RESET_ON_CLOSED_CONNECTIONS = explanationType<{
  resets: EvidenceValue;
  windowResets?: EvidenceValue;
  windowSeconds?: EvidenceValue;
  shareAnswered: EvidenceValue;
}>()(
  'requests-reset-on-closed-connections',
  '{resets} {resets|request was|requests were} sent on pooled connections the backend was closing and reset[?, {windowResets} in {windowSeconds}]; {shareAnswered} of them became a 503 or a retry',
);

/** Explanation `backend-closes-idle-connections-first`. */
const BACKEND_CLOSES_IDLE_CONNECTIONS_FIRST = explanationType<{
  backendIdleCloses: EvidenceValue;
  envoyIdleCloses: EvidenceValue;
  idleTimeoutMs: EvidenceValue;
}>()(
  'backend-closes-idle-connections-first',
  "the backend closed {backendIdleCloses} idle {backendIdleCloses|connection|connections} itself, Envoy {envoyIdleCloses} at its idle_timeout of {idleTimeoutMs}: the backend's keep-alive is the shorter, so Envoy learns of each close only when it uses the connection",
);

/** Explanation `logged-resets-at-once`. */
const LOGGED_RESETS_AT_ONCE = explanationType<{ logResets: EvidenceValue; logResetDurationMsMax: EvidenceValue }>()(
  'logged-resets-at-once',
  '{logResets} {logResets|request was|requests were} logged 503 UC upstream_reset_before_response_started (connection_termination) within {logResetDurationMsMax}: answered as soon as they were sent, not timed out',
);

/** Explanation `backend-keepalive-estimate`. */
const BACKEND_KEEPALIVE_ESTIMATE = explanationType<{ keepAliveMs: EvidenceValue; basis: EvidenceValue; proposedMs: EvidenceValue }>()(
  'backend-keepalive-estimate',
  'the backend keeps idle connections for at most {keepAliveMs} ({basis}): an idle_timeout of {proposedMs} lets Envoy close them first',
);

/** Explanation `retries-hide-resets`. */
const RETRIES_HIDE_RESETS = explanationType<{ retries: EvidenceValue; retriesSucceeded: EvidenceValue }>()(
  'retries-hide-resets',
  '{retries} {retries|retry|retries} ({retriesSucceeded} succeeded) hid some of the resets from clients: each still cost a new connection and a retry',
);

/** Node.js's default keep-alive (http server.keepAliveTimeout), the estimate when no histogram bounds the backend's. */
const NODE_KEEPALIVE_MS = 5000;
/** A shortest connection below this says nothing about a keep-alive timer (failed connects, closed responses). */
const MIN_KEEPALIVE_ESTIMATE_MS = 100;
/** The idle timeout proposed, as a share of the backend's keep-alive: room for the round trip and timer jitter. */
const KEEPALIVE_SHARE = 0.8;

/** A value rounded down to two significant digits (208.8 → 200, 4000 → 4000, 1680 → 1600). */
function floorTwoDigits(v: number): number {
  if (v <= 0) return 0;
  const step = 10 ** Math.max(0, Math.floor(Math.log10(v)) - 1);
  return Math.floor(v / step) * step;
}

function num(f: Finding, key: string): number | undefined {
  const v = f.evidence[key];
  return typeof v === 'number' ? v : undefined;
}

/** The backend's keep-alive as the evidence bounds it, and the idle timeout that closes first. */
function proposedIdleTimeout(f: Finding): { keepAliveMs: number; basis: string; proposedMs: number } {
  const shortest = num(f, 'shortestConnectionMs');
  const measured = shortest !== undefined && shortest >= MIN_KEEPALIVE_ESTIMATE_MS;
  const keepAliveMs = measured ? shortest : NODE_KEEPALIVE_MS;
  let proposedMs = floorTwoDigits(keepAliveMs * KEEPALIVE_SHARE);
  // A timeout already set at or below that did not close first: the backend's keep-alive is shorter still.
  const current = num(f, 'idleTimeoutMs');
  if (f.evidence.idleTimeoutSet === true && current !== undefined && current > 0 && current <= proposedMs) proposedMs = floorTwoDigits(current / 2);
  return {
    keepAliveMs,
    basis: measured ? 'the shortest upstream connection, upstream_cx_length_ms P0' : "Node.js's default keep-alive; no connection length histogram",
    proposedMs,
  };
}

export const rootCause = defineRootCause({
  id: 'upstream-keepalive-race',
  title: 'The backend closes idle keep-alive connections before Envoy does',
  message:
    "the backend closes idle keep-alive connections sooner than Envoy's upstream idle_timeout, so requests Envoy sends on a pooled connection the backend is closing are reset and answered 503 UC; set the cluster's idle timeout below the backend's keep-alive",
  uses: ['upstream-keepalive-resets'],
  explanations: [
    REQUESTS_RESET_ON_CLOSED_CONNECTIONS,
    BACKEND_CLOSES_IDLE_CONNECTIONS_FIRST,
    LOGGED_RESETS_AT_ONCE,
    BACKEND_KEEPALIVE_ESTIMATE,
    RETRIES_HIDE_RESETS,
  ],
  verify: [
    { scope: 'cluster', stat: CLUSTER_STATS.cxDestroyRemoteWithActiveRq, expect: 'stops-growing' },
    { scope: 'cluster', stat: CLUSTER_STATS.cxIdleTimeout, expect: 'keeps-growing' },
    { scope: 'cluster', setting: "common_http_protocol_options.idle_timeout below the backend's keep-alive", expect: 'present' },
  ],
  diagnose(s: Snapshot, findings: Finding[]): Diagnosed[] {
    return findings
      .filter((f) => f.code === 'upstream-keepalive-resets' && f.severity !== 'info')
      .map((f) => {
        const explains: Explanation[] = [
          explain(REQUESTS_RESET_ON_CLOSED_CONNECTIONS, evidenceOf(f, ['resets', 'windowResets', 'windowSeconds', 'shareAnswered'])),
          explain(BACKEND_CLOSES_IDLE_CONNECTIONS_FIRST, evidenceOf(f, ['backendIdleCloses', 'envoyIdleCloses', 'idleTimeoutMs'])),
        ];
        let score = 0.5;
        if ((num(f, 'windowResets') ?? 0) > 0) score += 0.2;
        if ((num(f, 'logResets') ?? 0) > 0) {
          score += 0.2;
          explains.push(explain(LOGGED_RESETS_AT_ONCE, evidenceOf(f, ['logResets', 'logResetDurationMsMax'])));
        }
        if (f.evidence.idleTimeoutSet !== true) score += 0.1;
        const proposal = proposedIdleTimeout(f);
        explains.push(explain(BACKEND_KEEPALIVE_ESTIMATE, proposal));
        if ((num(f, 'retries') ?? 0) > 0) explains.push(explain(RETRIES_HIDE_RESETS, evidenceOf(f, ['retries', 'retriesSucceeded'])));
        return {
          id: 'upstream-keepalive-race',
          ...scoring(s, score, HIGH_IS_ERROR),
          entities: [f.entity],
          evidence: [f],
          explains,
          checks: [],
          changes: [{ kind: 'cluster-idle-timeout', cluster: f.entity.name, ms: proposal.proposedMs }],
        };
      });
  },
});
