// Every diagnosis rule, one per shipped root-cause id.

import { rule as alpnH2WebSocket } from './alpn-h2-websocket.ts';
import { rule as circuitBreakerSaturation } from './circuit-breaker-saturation.ts';
import { rule as configDrift } from './config-drift.ts';
import { rule as connectionMaxDuration } from './connection-max-duration.ts';
import { rule as flowControlStall } from './flow-control-stall.ts';
import { rule as listenerDrain } from './listener-drain.ts';
import { rule as listenerUnserved } from './listener-unserved.ts';
import { rule as missingTcpKeepalive } from './missing-tcp-keepalive.ts';
import { rule as passthroughIdleTimeout } from './passthrough-idle-timeout.ts';
import { rule as policyOverridden } from './policy-overridden.ts';
import { rule as requestBufferBlocksUpgrade } from './request-buffer-blocks-upgrade.ts';
import { rule as routeTimeoutOnUpgrade } from './route-timeout-on-upgrade.ts';
import { rule as streamIdleTimeout } from './stream-idle-timeout.ts';
import { rule as upstreamHttp2WebSocket } from './upstream-http2-websocket.ts';
import { rule as websocketUpgradeDisabled } from './websocket-upgrade-disabled.ts';
import { rule as statsUnavailable } from './stats-unavailable.ts';
import type { DiagnosisRule } from './rule.ts';

/** The rules, in no particular order (root causes are ranked after diagnosis). */
export const RULES: readonly DiagnosisRule[] = [
  flowControlStall,
  missingTcpKeepalive,
  policyOverridden,
  configDrift,
  streamIdleTimeout,
  routeTimeoutOnUpgrade,
  connectionMaxDuration,
  circuitBreakerSaturation,
  websocketUpgradeDisabled,
  upstreamHttp2WebSocket,
  requestBufferBlocksUpgrade,
  alpnH2WebSocket,
  passthroughIdleTimeout,
  listenerDrain,
  listenerUnserved,
  statsUnavailable,
];
