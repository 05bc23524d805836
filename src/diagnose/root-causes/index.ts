// The root-cause registry: every root-cause module of this folder, imported by name (the list is written by
// `npm run registries`, never read from the folder at run time), and what is derived from them: their catalogue
// entries and explanation types, and their verify checks. Adding a root cause is adding its module.

import type { CatalogueEntry, ExplanationType } from '../../model/catalogue-entry.ts';
import { type RootCauseModule, rootCauseEntry, type VerifyCheck } from '../root-cause.ts';
// registry: the modules of this folder, written by `npm run registries`
import { rootCause as alpnH2Websocket } from './alpn-h2-websocket.ts';
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
import { rootCause as statsUnavailable } from './stats-unavailable.ts';
import { rootCause as streamIdleTimeout } from './stream-idle-timeout.ts';
import { rootCause as upstreamHttp2Websocket } from './upstream-http2-websocket.ts';
import { rootCause as upstreamKeepaliveRace } from './upstream-keepalive-race.ts';
import { rootCause as websocketUpgradeDisabled } from './websocket-upgrade-disabled.ts';
// registry end

/** The root causes, by id (they are ranked after diagnosis, whatever their order here). */
export const ROOT_CAUSES: readonly RootCauseModule[] = [
  // registry: the modules of this folder, written by `npm run registries`
  alpnH2Websocket,
  circuitBreakerSaturation,
  configDrift,
  connectionMaxDuration,
  flowControlStall,
  intermediaryIdleTimeout,
  listenerDrain,
  listenerUnserved,
  missingTcpKeepalive,
  overloadManagerShedding,
  passthroughIdleTimeout,
  policyOverridden,
  requestBufferBlocksUpgrade,
  routeTimeoutOnStream,
  routeTimeoutOnUpgrade,
  statsUnavailable,
  streamIdleTimeout,
  upstreamHttp2Websocket,
  upstreamKeepaliveRace,
  websocketUpgradeDisabled,
  // registry end
];

/** The catalogue entries of the root causes. */
export const ROOT_CAUSE_ENTRIES: readonly CatalogueEntry[] = ROOT_CAUSES.map(rootCauseEntry);

/** Every explanation type the root causes declare. */
export const EXPLANATION_TYPES: readonly ExplanationType<object>[] = ROOT_CAUSES.flatMap((r) => r.explanations);

const byId = new Map(ROOT_CAUSES.map((r) => [r.id, r]));

/** The verify checks of a root cause, or undefined when its module declares none. */
export function verifyChecksOf(id: string): readonly VerifyCheck[] | undefined {
  return byId.get(id)?.verify;
}
