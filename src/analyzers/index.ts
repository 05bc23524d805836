// The analyzer registry: every analyzer module, imported by name, and what is derived from their declarations: the
// findings they give (their catalogue entries), the stats they read, and the stat families stats-coverage checks.
// Adding an analyzer is adding its file and its line here; test/conventions.test.ts checks every file is listed.

import type { FindingType } from '../model/catalogue-entry.ts';
import type { StatsRead } from '../model/envoy-stats.ts';
import type { Analyzer, AnalyzerContext, RegisteredAnalyzer } from './analyzer.ts';
// registry: the modules of this folder, written by `npm run registries`
import * as bufferLimits from './buffer-limits.ts';
import * as bufferedBytes from './buffered-bytes.ts';
import * as circuitBreakers from './circuit-breakers.ts';
import * as closePatterns from './close-patterns.ts';
import * as configDrift from './config-drift.ts';
import * as flowControl from './flow-control.ts';
import * as idleTimeouts from './idle-timeouts.ts';
import * as inputCoverage from './input-coverage.ts';
import * as intermediaryTimers from './intermediary-timers.ts';
import * as listenerDrain from './listener-drain.ts';
import * as maxDurations from './max-durations.ts';
import * as overloadManager from './overload-manager.ts';
import * as policyOverrides from './policy-overrides.ts';
import * as rejectedListeners from './rejected-listeners.ts';
import * as requestBuffering from './request-buffering.ts';
import * as statsCoverage from './stats-coverage.ts';
import * as statsSamples from './stats-samples.ts';
import * as streamRouteTimeouts from './stream-route-timeouts.ts';
import * as tcpKeepalive from './tcp-keepalive.ts';
import * as tcpTunnels from './tcp-tunnels.ts';
import * as upgradeRejections from './upgrade-rejections.ts';
import * as upgradeRouteTimeouts from './upgrade-route-timeouts.ts';
import * as upgradedSessions from './upgraded-sessions.ts';
import * as upstreamKeepalive from './upstream-keepalive.ts';
import * as upstreamProtocol from './upstream-protocol.ts';
import * as websocketAlpn from './websocket-alpn.ts';
// registry end

/** Every analyzer module, in the order of their ids. */
const MODULES: readonly Analyzer[] = [
  // registry: the modules of this folder, written by `npm run registries`
  bufferLimits,
  bufferedBytes,
  circuitBreakers,
  closePatterns,
  configDrift,
  flowControl,
  idleTimeouts,
  inputCoverage,
  intermediaryTimers,
  listenerDrain,
  maxDurations,
  overloadManager,
  policyOverrides,
  rejectedListeners,
  requestBuffering,
  statsCoverage,
  statsSamples,
  streamRouteTimeouts,
  tcpKeepalive,
  tcpTunnels,
  upgradeRejections,
  upgradeRouteTimeouts,
  upgradedSessions,
  upstreamKeepalive,
  upstreamProtocol,
  websocketAlpn,
  // registry end
];

/** What every analyzer is given besides the snapshot. */
const CONTEXT: AnalyzerContext = { families: MODULES.flatMap((m) => (m.meta.families ?? []).map((f) => ({ ...f, analyzer: m.meta.id }))) };

/** The analyzers, checked once: each exports `meta` (with a unique id) and `analyze`; `emits` derived from `findings`. */
const ANALYZERS: readonly RegisteredAnalyzer[] = (() => {
  const seen = new Set<string>();
  return MODULES.map((mod) => {
    const id = mod.meta?.id;
    if (!id || typeof mod.analyze !== 'function' || seen.has(id)) throw new Error(`analyzer ${id} must export meta (with a unique id) and analyze`);
    seen.add(id);
    const emits = mod.meta.findings.map((f) => f.id);
    return { meta: { ...mod.meta, emits }, analyze: (s) => mod.analyze(s, CONTEXT) };
  });
})();

/** The analyzers, in the order of their ids. */
export function loadAnalyzers(): Promise<RegisteredAnalyzer[]> {
  return Promise.resolve([...ANALYZERS]);
}

/** Every finding type the analyzers declare. */
export const FINDING_TYPES: readonly FindingType<object>[] = MODULES.flatMap((m) => m.meta.findings);

/** Every stat family the analyzers need on WebSocket paths, with the analyzer that reads it. */
export const STAT_FAMILIES = CONTEXT.families;

/** The stats each analyzer reads, as declared. */
export const STATS_READ: readonly StatsRead[] = MODULES.map((m) => m.meta.stats);
