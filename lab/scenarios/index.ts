// Every lab scenario, one per root cause, in the order the lab runs them.

import type { Scenario } from '../scenario.ts';
import { circuitBreakerSaturation } from './circuit-breaker-saturation.ts';
import { flowControlStall } from './flow-control-stall.ts';
import { requestBufferBlocksUpgrade } from './request-buffer-blocks-upgrade.ts';
import { streamIdleTimeout } from './stream-idle-timeout.ts';
import { websocketUpgradeDisabled } from './websocket-upgrade-disabled.ts';

export const SCENARIOS: Scenario[] = [flowControlStall, websocketUpgradeDisabled, circuitBreakerSaturation, requestBufferBlocksUpgrade, streamIdleTimeout];
