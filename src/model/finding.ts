// Findings and root causes are data: codes from the catalogue, entities and numbers. Reporters turn them into text.

import type { FixChange } from './fix-change.ts';

/** How bad a finding or root cause is; `--fail-on` compares against this. */
export type Severity = 'info' | 'warning' | 'error';

/** Severities from least to most severe. */
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'error'];

/** Numeric rank of a severity (info 0, warning 1, error 2). */
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** The Envoy object a finding is about. */
export interface EntityRef {
  kind: 'proxy' | 'cluster' | 'listener' | 'connection-manager' | 'route' | 'user-agent' | 'policy';
  name: string;
}

/** Evidence values: numbers wherever possible, so they can be compared and charted. */
export type EvidenceValue = number | string | boolean | null;

/** One observation by one analyzer. */
export interface Finding {
  /** Catalogue id of the finding. */
  code: string;
  severity: Severity;
  /** Snapshot (proxy) id. */
  snapshot: string;
  entity: EntityRef;
  evidence: Record<string, EvidenceValue>;
}

/** How sure a diagnosis is. */
export type Confidence = 'high' | 'medium' | 'low';

/** A hypothesis that was checked and what the check found. */
export interface HypothesisCheck {
  /** Catalogue id of the root cause that was considered. */
  hypothesis: string;
  verdict: 'ruled-out' | 'possible' | 'unknown';
  entity: EntityRef;
  evidence: Record<string, EvidenceValue>;
  /** Stats or inputs that were missing, for `unknown`. */
  missing?: string[];
}

/** What a root cause accounts for, as a coded statement with its numbers. */
export interface Explanation {
  code: string;
  values: Record<string, EvidenceValue>;
}

/** A configuration change, independent of how a control plane expresses it: each kind is declared in src/fixes/kinds/. */
export type { FixChange } from './fix-change.ts';

/** A fix rendered for one flavor: an object or fragment that can be applied as it is. */
export interface RenderedFix {
  flavor: 'envoy-gateway' | 'envoy' | 'istio';
  /** What the text is, e.g. `BackendTrafficPolicy home/home-assistant-app-connection` or `cluster <name>`. */
  target: string;
  /**
   * `kubectl-apply` for complete Kubernetes objects; `kubectl-patch` for a strategic-merge patch of an existing object
   * (a JSON merge patch for custom resources; the target names it); `kubectl-json-patch` for a JSON patch (RFC 6902
   * operations) of the existing object the target names; `envoy-config` for fields to merge into Envoy's config.
   */
  apply: 'kubectl-apply' | 'kubectl-patch' | 'kubectl-json-patch' | 'envoy-config';
  format: 'yaml';
  text: string;
  /** Coded remarks about the fix (e.g. which policy it must not conflict with). */
  notes: Explanation[];
  /** Plain Envoy: the whole live resource from the config dump with this fix's changes merged in, when it was kept. */
  merged?: MergedEnvoyResource;
  /** Kubernetes objects computed against a live one: what differs from it (the object patched, or the one copied). */
  liveDiff?: LiveDiff;
}

/** What a rendered Kubernetes object changes against the live object it was computed from. */
export interface LiveDiff {
  /** The live object, `<Kind> <namespace>/<name>`. */
  object: string;
  /** JSON pointers into `spec`: `before` absent for a new field, `after` absent for a removed one. */
  changes: Array<{ path: string; before?: unknown; after?: unknown }>;
}

/** A live Envoy resource with a fix merged in: it replaces the live one as it is. */
export interface MergedEnvoyResource {
  kind: 'cluster' | 'listener' | 'route' | 'bootstrap';
  name: string;
  /** For a route: the route configuration and virtual host its entry is in. */
  routeConfiguration?: string;
  virtualHost?: string;
  /** The whole resource (a route: its `virtual_hosts[].routes[]` entry), in the dump's field spelling. */
  object: Record<string, unknown>;
  /** What differs from the live resource, leaf by leaf (JSON pointers into `object`; `before` absent: new, `after` absent: removed). */
  diff: Array<{ path: string; before?: unknown; after?: unknown }>;
}

/** A root cause as a rule names it, before its fixes are rendered and proxies merged. */
export type Diagnosed = Omit<RootCause, 'fixes' | 'seenOn'>;

/** A named root cause with its evidence, what it explains, what was ruled out, and the fix. */
export interface RootCause {
  /** Catalogue id. */
  id: string;
  severity: Severity;
  confidence: Confidence;
  /** 0..1, used for ranking within a confidence. */
  score: number;
  snapshot: string;
  /** Every proxy it was found on (proxies of one deployment or gateway merge into one root cause). */
  seenOn: string[];
  entities: EntityRef[];
  /** The findings this root cause rests on. */
  evidence: Finding[];
  explains: Explanation[];
  checks: HypothesisCheck[];
  changes: FixChange[];
  fixes: RenderedFix[];
}

/** The entities of a list without repeats (the same kind and name), each at its first place. */
export function distinctEntities(refs: Iterable<EntityRef>): EntityRef[] {
  const seen = new Map<EntityRef['kind'], Set<string>>();
  const out: EntityRef[] = [];
  for (const e of refs) {
    let names = seen.get(e.kind);
    if (!names) seen.set(e.kind, (names = new Set()));
    if (names.has(e.name)) continue;
    names.add(e.name);
    out.push(e);
  }
  return out;
}
