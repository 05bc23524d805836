// The analyzer registry: every analyzer module, imported by name. Adding an analyzer is adding its file and its
// line here; test/conventions.test.ts checks that every file of this folder is listed.

import type { Analyzer } from './analyzer.ts';
import * as bufferLimits from './buffer-limits.ts';
import * as bufferedBytes from './buffered-bytes.ts';
import * as circuitBreakers from './circuit-breakers.ts';
import * as closePatterns from './close-patterns.ts';
import * as configDrift from './config-drift.ts';
import * as flowControl from './flow-control.ts';
import * as idleTimeouts from './idle-timeouts.ts';
import * as inputCoverage from './input-coverage.ts';
import * as listenerDrains from './listener-drains.ts';
import * as maxDurations from './max-durations.ts';
import * as policyOverrides from './policy-overrides.ts';
import * as rejectedListeners from './rejected-listeners.ts';
import * as requestBuffering from './request-buffering.ts';
import * as statsCoverage from './stats-coverage.ts';
import * as statsSamples from './stats-samples.ts';
import * as tcpKeepalive from './tcp-keepalive.ts';
import * as tcpTunnels from './tcp-tunnels.ts';
import * as upgradeRejections from './upgrade-rejections.ts';
import * as upgradeRouteTimeouts from './upgrade-route-timeouts.ts';
import * as upgradedSessions from './upgraded-sessions.ts';
import * as upstreamProtocol from './upstream-protocol.ts';
import * as websocketAlpn from './websocket-alpn.ts';

/** Every analyzer module, in the order of their ids. */
const MODULES: readonly Analyzer[] = [
  bufferLimits,
  bufferedBytes,
  circuitBreakers,
  closePatterns,
  configDrift,
  flowControl,
  idleTimeouts,
  inputCoverage,
  listenerDrains,
  maxDurations,
  policyOverrides,
  rejectedListeners,
  requestBuffering,
  statsCoverage,
  statsSamples,
  tcpKeepalive,
  tcpTunnels,
  upgradeRejections,
  upgradeRouteTimeouts,
  upgradedSessions,
  upstreamProtocol,
  websocketAlpn,
];

let loaded: Promise<Analyzer[]> | undefined;

/** The analyzers, checking once that each exports `meta` and `analyze` and that ids are unique. */
export function loadAnalyzers(): Promise<Analyzer[]> {
  loaded ??= Promise.resolve().then(() => {
    const seen = new Set<string>();
    return MODULES.map((mod) => {
      const id = mod.meta?.id;
      if (!id || typeof mod.analyze !== 'function' || seen.has(id)) throw new Error(`analyzer ${id} must export meta (with a unique id) and analyze`);
      seen.add(id);
      return { meta: mod.meta, analyze: mod.analyze };
    });
  });
  return loaded;
}
