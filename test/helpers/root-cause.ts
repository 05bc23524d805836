// What the root-cause tests share: a fixture with its access log, one rule run on the analyzer's findings (and any
// given ones, such as access-log bands), and assertions on what it named by id, severity, confidence, score,
// entities, explanations, checks and changes; never on prose.

import assert from 'node:assert/strict';
import type { RootCauseModule } from '../../src/diagnose/root-cause.ts';
import { attachFixes } from '../../src/fixes/plan.ts';
import type { AccessLogEntry } from '../../src/model/access-log.ts';
import type {
  Confidence,
  Diagnosed,
  EntityRef,
  EvidenceValue,
  Explanation,
  Finding,
  FixChange,
  HypothesisCheck,
  RenderedFix,
  Severity,
} from '../../src/model/finding.ts';
import type { Snapshot } from '../../src/model/snapshot.ts';
import { type FixtureSpec, fixture } from './snapshot.ts';

/** A snapshot of `spec`, with `log` as its access log when one is given. */
export function withAccessLog(spec: FixtureSpec, log?: AccessLogEntry[]): Snapshot {
  const s = fixture(spec);
  if (log) s.accessLog = { source: 'access.log', entries: log, skipped: 0 };
  return s;
}

/** What `rule` names from the findings `analyze` makes of `s`, and `extra` findings. */
export function diagnoseWith(rule: RootCauseModule, analyze: (s: Snapshot) => Finding[], s: Snapshot, extra: Finding[] = []): Diagnosed[] {
  return rule.diagnose(s, [...analyze(s), ...extra]);
}

/** The band upgraded-sessions finds when the access log shows upgraded sessions on `route` ending together. */
export function sessionsBand(
  route: string,
  e: { count: number; flag: string; lowMs: number; highMs: number; medianMs: number; cluster: string; timer: string | null; timerMs?: number },
): Finding {
  return {
    code: 'upgraded-sessions-end-together',
    severity: 'warning',
    snapshot: 'proxy-0',
    entity: { kind: 'route', name: route },
    evidence: { agent: 'browser', ...e },
  };
}

/** What a root cause on gatewayListener()'s connection manager names: the connection manager and its listener. */
export const GATEWAY_CONNECTION_MANAGER: EntityRef[] = [
  { kind: 'connection-manager', name: 'https-10443' },
  { kind: 'listener', name: 'home/eg/https' },
];

/** What a test expects of a named root cause; each field given is asserted. */
export interface ExpectedRootCause {
  severity?: Severity;
  confidence?: Confidence;
  score?: number;
  entities?: EntityRef[];
  /** Every entity as `kind name`, in order. */
  entityNames?: string[];
  firstEntity?: EntityRef;
  /** The codes of what it explains, in order. */
  explains?: string[];
  /** Every explanation, in order. */
  explanations?: Explanation[];
  /** The explanation at a position (negative: from the end). */
  explanationAt?: Record<number, Explanation>;
  /** An explanation's values, exactly, by its code. */
  values?: Record<string, Explanation['values']>;
  /** Some of an explanation's values, by its code. */
  someValues?: Record<string, Explanation['values']>;
  /** `hypothesis:verdict` of every check, in order. */
  checks?: string[];
  /** The check of a hypothesis, by its id: its verdict, some of its evidence, the stats it missed (all of them, one of them, or how many). */
  hypotheses?: Record<string, ExpectedCheck>;
  changes?: FixChange[];
  changeKinds?: string[];
  /** Whatever else the case asserts. */
  more?: (rc: Diagnosed) => void;
}

const explainCodes = (rc: Diagnosed | undefined) => rc?.explains.map((e) => e.code);
const checkVerdicts = (rc: Diagnosed | undefined) => rc?.checks.map((c) => `${c.hypothesis}:${c.verdict}`);
const checkOf = (rc: Diagnosed | undefined, hypothesis: string) => rc?.checks.find((c) => c.hypothesis === hypothesis);
const changeKinds = (rc: Diagnosed | undefined) => rc?.changes.map((c) => c.kind);

/** What a test expects of one hypothesis check. */
export interface ExpectedCheck {
  verdict: HypothesisCheck['verdict'];
  evidence?: Record<string, EvidenceValue>;
  missing?: string[];
  missingIncludes?: string;
  missingCount?: number;
}

function expectCheck(check: HypothesisCheck | undefined, want: ExpectedCheck): void {
  assert.equal(check?.verdict, want.verdict);
  for (const [key, value] of Object.entries(want.evidence ?? {})) assert.equal(check?.evidence[key], value);
  if (want.missing) assert.deepEqual(check?.missing, want.missing);
  if (want.missingIncludes) assert.ok(check?.missing?.includes(want.missingIncludes));
  if (want.missingCount !== undefined) assert.equal(check?.missing?.length, want.missingCount);
}

/** Asserts that `rc` is the root cause `id` as expected. */
export function expectRootCause(rc: Diagnosed | undefined, id: string, want: ExpectedRootCause): void {
  assert.equal(rc?.id, id);
  if (want.severity) assert.equal(rc?.severity, want.severity);
  if (want.confidence) assert.equal(rc?.confidence, want.confidence);
  if (want.score !== undefined) assert.equal(rc?.score, want.score);
  if (want.entities) assert.deepEqual(rc?.entities, want.entities);
  if (want.entityNames)
    assert.deepEqual(
      rc?.entities.map((e) => `${e.kind} ${e.name}`),
      want.entityNames,
    );
  if (want.firstEntity) assert.deepEqual(rc?.entities[0], want.firstEntity);
  if (want.explains) assert.deepEqual(explainCodes(rc), want.explains);
  if (want.explanations) assert.deepEqual(rc?.explains, want.explanations);
  for (const [at, e] of Object.entries(want.explanationAt ?? {})) assert.deepEqual(rc?.explains.at(Number(at)), e);
  const valuesOf = (code: string) => rc?.explains.find((e) => e.code === code)?.values;
  for (const [code, values] of Object.entries(want.values ?? {})) assert.deepEqual(valuesOf(code), values);
  for (const [code, values] of Object.entries(want.someValues ?? {})) {
    for (const [key, value] of Object.entries(values)) assert.equal(valuesOf(code)?.[key], value as EvidenceValue, `${code} ${key}`);
  }
  if (want.checks) assert.deepEqual(checkVerdicts(rc), want.checks);
  for (const [hypothesis, check] of Object.entries(want.hypotheses ?? {})) expectCheck(checkOf(rc, hypothesis), check);
  if (want.changes) assert.deepEqual(rc?.changes, want.changes);
  if (want.changeKinds) assert.deepEqual(changeKinds(rc), want.changeKinds);
  if (rc) want.more?.(rc);
}

/** Asserts what one rule named: nothing when `want` is undefined, else the root cause `id` alone, as expected. */
export function expectNamed(got: Diagnosed[], id: string, want: ExpectedRootCause | undefined): void {
  if (!want) {
    assert.deepEqual(got, []);
    return;
  }
  const [rc, ...rest] = got;
  assert.equal(rest.length, 0);
  expectRootCause(rc, id, want);
}

/** The fixes rendered for a snapshot when one root cause asks for these changes. */
export function fixesFor(s: Snapshot, changes: FixChange[]): RenderedFix[] {
  const d: Diagnosed = {
    id: 'x',
    severity: 'error',
    confidence: 'high',
    score: 1,
    snapshot: 'p',
    entities: [],
    evidence: [],
    explains: [],
    checks: [],
    changes,
  };
  return attachFixes(s, [d])[0]?.fixes ?? [];
}
