// The root-cause registry: every root-cause module, imported by name, and what is derived from them: the rule list,
// their catalogue entries and explanation types, and their verify checks. Adding a root cause is adding its module and
// its line here.

import { rootCause as alpnH2WebSocket } from './alpn-h2-websocket.ts';
import { rootCause as circuitBreakerSaturation } from './circuit-breaker-saturation.ts';
import { rootCause as configDrift } from './config-drift.ts';
import { rootCause as connectionMaxDuration } from './connection-max-duration.ts';
import { rootCause as flowControlStall } from './flow-control-stall.ts';
import { rootCause as intermediaryIdleTimeout } from './intermediary-idle-timeout.ts';
import { rootCause as listenerDrain } from './listener-drain.ts';
import { rootCause as listenerUnserved } from './listener-unserved.ts';
import { rootCause as missingTcpKeepalive } from './missing-tcp-keepalive.ts';
import { rootCause as overloadManagerShedding } from './overload-manager-shedding.ts';
import { rootCause as passthroughIdleTimeout } from './passthrough-idle-timeout.ts';
import { rootCause as policyOverridden } from './policy-overridden.ts';
import { rootCause as requestBufferBlocksUpgrade } from './request-buffer-blocks-upgrade.ts';
import { rootCause as routeTimeoutOnStream } from './route-timeout-on-stream.ts';
import { rootCause as routeTimeoutOnUpgrade } from './route-timeout-on-upgrade.ts';
import { rootCause as streamIdleTimeout } from './stream-idle-timeout.ts';
import { rootCause as upstreamHttp2WebSocket } from './upstream-http2-websocket.ts';
import { rootCause as upstreamKeepaliveRace } from './upstream-keepalive-race.ts';
import { rootCause as websocketUpgradeDisabled } from './websocket-upgrade-disabled.ts';
import { rootCause as statsUnavailable } from './stats-unavailable.ts';
import type { CatalogueEntry, ExplanationType } from '../../model/catalogue-entry.ts';
import { type RootCauseModule, rootCauseEntry, type VerifyCheck } from '../root-cause.ts';

/** The root causes, in no particular order (they are ranked after diagnosis). */
export const RULES: readonly RootCauseModule[] = [
  flowControlStall,
  missingTcpKeepalive,
  overloadManagerShedding,
  policyOverridden,
  configDrift,
  streamIdleTimeout,
  routeTimeoutOnUpgrade,
  routeTimeoutOnStream,
  connectionMaxDuration,
  circuitBreakerSaturation,
  websocketUpgradeDisabled,
  upstreamHttp2WebSocket,
  requestBufferBlocksUpgrade,
  alpnH2WebSocket,
  passthroughIdleTimeout,
  upstreamKeepaliveRace,
  listenerDrain,
  intermediaryIdleTimeout,
  listenerUnserved,
  statsUnavailable,
];

/** The catalogue entries of the root causes. */
export const ROOT_CAUSE_ENTRIES: readonly CatalogueEntry[] = RULES.map(rootCauseEntry);

/** Every explanation type the root causes declare. */
export const EXPLANATION_TYPES: readonly ExplanationType<object>[] = RULES.flatMap((r) => r.explanations);

const byId = new Map(RULES.map((r) => [r.id, r]));

/** The verify checks of a root cause, or undefined when its module declares none. */
export function verifyChecksOf(id: string): readonly VerifyCheck[] | undefined {
  return byId.get(id)?.verify;
}
