// Every lab scenario, one per root cause, in the order the lab runs them.

import type { Scenario } from '../scenario.ts';
import { alpnH2Websocket } from './alpn-h2-websocket.ts';
import { circuitBreakerSaturation } from './circuit-breaker-saturation.ts';
import { connectionMaxDuration } from './connection-max-duration.ts';
import { envoyGatewayCircuitBreaker } from './envoy-gateway-circuit-breaker.ts';
import { flowControlStall } from './flow-control-stall.ts';
import { intermediaryIdleTimeout, intermediaryIdleTimeoutUpstream } from './intermediary-idle-timeout.ts';
import { listenerDrain } from './listener-drain.ts';
import { missingTcpKeepalive } from './missing-tcp-keepalive.ts';
import { overloadManagerShedding, overloadManagerSheddingConnectionLimit } from './overload-manager-shedding.ts';
import { passthroughIdleTimeout } from './passthrough-idle-timeout.ts';
import { requestBufferBlocksUpgrade } from './request-buffer-blocks-upgrade.ts';
import { routeTimeoutOnStream } from './route-timeout-on-stream.ts';
import { routeTimeoutOnStreamEnvoyGateway } from './route-timeout-on-stream-envoy-gateway.ts';
import { routeTimeoutOnUpgrade } from './route-timeout-on-upgrade.ts';
import { statsUnavailable } from './stats-unavailable.ts';
import { streamIdleTimeout } from './stream-idle-timeout.ts';
import { upstreamHttp2Websocket } from './upstream-http2-websocket.ts';
import { upstreamKeepaliveRace } from './upstream-keepalive-race.ts';
import { websocketUpgradeDisabled } from './websocket-upgrade-disabled.ts';

export const SCENARIOS: Scenario[] = [
  flowControlStall,
  missingTcpKeepalive,
  websocketUpgradeDisabled,
  circuitBreakerSaturation,
  requestBufferBlocksUpgrade,
  upstreamHttp2Websocket,
  alpnH2Websocket,
  statsUnavailable,
  streamIdleTimeout,
  routeTimeoutOnUpgrade,
  routeTimeoutOnStream,
  routeTimeoutOnStreamEnvoyGateway,
  connectionMaxDuration,
  passthroughIdleTimeout,
  upstreamKeepaliveRace,
  listenerDrain,
  intermediaryIdleTimeout,
  intermediaryIdleTimeoutUpstream,
  envoyGatewayCircuitBreaker,
  overloadManagerShedding,
  overloadManagerSheddingConnectionLimit,
];
