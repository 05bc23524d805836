// Every diagnosis rule, one per shipped root-cause id.

import { rule as configDrift } from './config-drift.ts';
import { rule as flowControlStall } from './flow-control-stall.ts';
import { rule as missingTcpKeepalive } from './missing-tcp-keepalive.ts';
import { rule as policyOverridden } from './policy-overridden.ts';
import type { DiagnosisRule } from './rule.ts';

/** The rules, in no particular order (root causes are ranked after diagnosis). */
export const RULES: readonly DiagnosisRule[] = [flowControlStall, missingTcpKeepalive, policyOverridden, configDrift];
