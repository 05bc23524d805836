// Turning evidence numbers into what a person reads: sizes, durations, shares, counts. Units come from
// evidence key suffixes (…Bytes, …Ms, …Seconds, share…), so analyzers stay free of text.

// One module per function: the package's index loads every one of its functions (over a second at start-up).
import { formatDistanceStrict } from 'date-fns/formatDistanceStrict';
import { formatDuration } from 'date-fns/formatDuration';
import { intervalToDuration } from 'date-fns/intervalToDuration';
import { entry } from './catalogue.ts';
import { CLUSTER_STATS, HTTP_STATS } from '../model/envoy-stats.ts';
import type { EntityRef, EvidenceValue, RenderedFix } from '../model/finding.ts';

/** A byte count as people read it: `32 KiB`, `442.4 KiB`, `1 MiB`. */
export function formatBytes(bytes: number): string {
  if (Math.abs(bytes) < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let unit = 'B';
  for (const u of units) {
    if (Math.abs(v) < 1024) break;
    v /= 1024;
    unit = u;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${unit}`;
}

/** A duration in milliseconds, compact: `5m`, `1m 50s`, `250ms`, `1h`. */
export function formatMs(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const d = intervalToDuration({ start: 0, end: ms });
  const text = formatDuration(d, { format: ['days', 'hours', 'minutes', 'seconds'], delimiter: ' ' });
  return text
    .replace(/ days?/, 'd')
    .replace(/ hours?/, 'h')
    .replace(/ minutes?/, 'm')
    .replace(/ seconds?/, 's');
}

/** How long ago a moment was, as people say it: `3 minutes ago`, `2 days ago` (`in 5 seconds` for a clock ahead). */
export function formatAgo(then: Date, now: Date): string {
  // A capture time after now is a clock that differs from the one that stamped the capture, not a prophecy.
  if (then.getTime() - now.getTime() > 60_000) return `${formatDistanceStrict(then, now)} ahead of this machine's clock`;
  return formatDistanceStrict(then, now, { addSuffix: true });
}

/** A moment in UTC to the second: `2026-11-20 21:14:35 UTC`. */
export function formatUtc(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** A 0..1 share as a percentage. */
function formatShare(share: number): string {
  const pct = share * 100;
  return `${pct >= 10 || pct === 0 ? pct.toFixed(0) : pct.toFixed(1)}%`;
}

/** How coded evidence strings read. */
const CODE_NAMES: Record<string, string> = {
  explicit: 'set explicitly',
  'envoy-default': "Envoy's default",
  'envoy-gateway-default': "Envoy Gateway's default",
  'closed-connections': 'closed client connections',
  'agent-connections': 'connections of that agent',
  'config-dump': 'config dump (buffer limits, keepalive, routing)',
  stats: 'stats (flow control, buffered bytes, close patterns)',
  'stats-later': 'second stats sample (what changed during a window)',
  'upstream-connections': 'upstream connections',
  'client-connections': 'client connections',
};

/** The unit an evidence key names by its suffix, found once per key: a mesh's report formats hundreds of thousands of values. */
type Unit = 'bytes' | 'ms' | 'seconds' | 'share' | 'count';
const UNITS = new Map<string, Unit>();

function unitOf(key: string): Unit {
  let unit = UNITS.get(key);
  if (unit === undefined) {
    unit = /Bytes$/.test(key) ? 'bytes' : /Ms$/.test(key) ? 'ms' : /Seconds$/.test(key) ? 'seconds' : /^share|Share/.test(key) ? 'share' : 'count';
    UNITS.set(key, unit);
  }
  return unit;
}

/** An integer with thousands separators, as `toLocaleString('en-US')` writes it (`1,234,567`). */
function formatCount(n: number): string {
  // Digits are grouped by hand where String() gives them all; Intl for the rest (-0, 1e21 and above).
  if (!Number.isSafeInteger(n) || Object.is(n, -0)) return n.toLocaleString('en-US');
  const digits = String(n < 0 ? -n : n);
  if (digits.length <= 3) return n < 0 ? `-${digits}` : digits;
  let out = digits.slice(0, ((digits.length - 1) % 3) + 1);
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return n < 0 ? `-${out}` : out;
}

/** One evidence value, formatted by the unit its key names. */
export function formatValue(key: string, value: EvidenceValue): string {
  if (value === null) return 'unknown';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') return CODE_NAMES[value] ?? value;
  switch (unitOf(key)) {
    case 'bytes':
      return formatBytes(value);
    case 'ms':
      return formatMs(value);
    case 'seconds':
      return formatMs(value * 1000);
    case 'share':
      return formatShare(value);
    default:
      return Number.isInteger(value) ? formatCount(value) : String(Math.round(value * 100) / 100);
  }
}

/** An optional section of a template, `[?...]`: left out when a value it names is unknown. */
const OPTIONAL_SECTION = /\[\?([^\]]*)\]/g;
/** A placeholder: `{key}` for the value, `{key|one|many}` for the words that agree with it (`one` when it is 1). */
const PLACEHOLDER = /\{(\w+)(?:\|([^|}]*)\|([^}]*))?\}/g;

/** The keys a template always shows (outside its optional sections): without them it would read `unknown`. */
export function requiredKeys(template: string): string[] {
  return [...template.replace(OPTIONAL_SECTION, '').matchAll(PLACEHOLDER)].map((m) => m[1] as string);
}

/**
 * Fills a message template from values: `{key}` by the value formatted for its unit (`unknown` when it was not
 * measured), `{key|field differs|fields differ}` by the words that agree with the value, and an optional section
 * `[?, {a} in {b}]` only when every value it names is known.
 */
export function fillTemplate(template: string, values: Record<string, EvidenceValue>): string {
  const known = (key: string) => values[key] !== undefined && values[key] !== null;
  return template
    .replace(OPTIONAL_SECTION, (_m, inner: string) => ([...inner.matchAll(PLACEHOLDER)].every((p) => known(p[1] as string)) ? inner : ''))
    .replace(PLACEHOLDER, (_m, key: string, one: string | undefined, many: string | undefined) => {
      const value = key in values ? (values[key] as EvidenceValue) : null;
      if (one !== undefined) return value === 1 ? one : (many as string);
      return formatValue(key, value);
    });
}

/** Fills a catalogue entry's message template from values (see fillTemplate). */
export function fillMessage(id: string, values: Record<string, EvidenceValue>): string {
  return fillTemplate(entry(id).message ?? entry(id).title, values);
}

/**
 * A sentence as it starts a paragraph: the first letter capitalised when the first word is a plain word, never when
 * it is a name (`per_connection_buffer_limit_bytes`, `tcpKeepalive`, `home/eg`), kept as Envoy spells it.
 */
export function sentenceStart(s: string): string {
  return /^[a-z]+(?![\w./-])/.test(s) ? `${s.charAt(0).toUpperCase()}${s.slice(1)}` : s;
}

/** A message as a sentence of its own: started as sentenceStart does, ended with a full stop. */
export function asSentence(s: string): string {
  return `${sentenceStart(s)}${/[.!?]$/.test(s) ? '' : '.'}`;
}

/** An entity as `cluster httproute/home/app/rule/0`. */
export function formatEntity(e: EntityRef): string {
  return `${e.kind} ${e.name}`;
}

/** Names people know for evidence keys: Envoy's stat and field names. */
const EVIDENCE_LABELS: Record<string, string> = {
  streamIdleTimeoutMs: 'stream_idle_timeout',
  downstreamRqIdleTimeout: HTTP_STATS.rqIdleTimeout,
  upstreamRqTimeout: CLUSTER_STATS.rqTimeout,
  upstreamRq504: CLUSTER_STATS.rq504,
  maxDurationMs: 'shortest max duration',
  maxDurationConfigured: 'max duration configured',
  upstreamCxMaxDurationReached: CLUSTER_STATS.cxMaxDurationReached,
  downstreamCxMaxDurationReached: HTTP_STATS.cxMaxDurationReached,
  upstreamRqMaxDurationReached: CLUSTER_STATS.rqMaxDurationReached,
  downstreamRqMaxDurationReached: HTTP_STATS.rqMaxDurationReached,
  cxOpen: CLUSTER_STATS.circuitBreakerCxOpen,
  rqOpen: CLUSTER_STATS.circuitBreakerRqOpen,
  upstreamCxOverflow: CLUSTER_STATS.cxOverflow,
  upstreamRqPendingOverflow: CLUSTER_STATS.rqPendingOverflow,
  wsOnNonWsRoute: HTTP_STATS.rqWsOnNonWsRoute,
};

/** The name people know for an evidence key: Envoy's stat or field name where there is one, else the key. */
export function evidenceLabel(key: string): string {
  return EVIDENCE_LABELS[key] ?? key;
}

/** Evidence as `name value` pairs in a stable order, for compact display. */
export function formatEvidence(values: Record<string, EvidenceValue>): string {
  return Object.entries(values)
    .map(([k, v]) => `${evidenceLabel(k)} ${formatValue(k, v)}`)
    .join(', ');
}

/** Kubernetes' own kinds, which kubectl patches with a strategic merge patch by default. */
const BUILT_IN_KINDS = new Set(['Deployment', 'DaemonSet', 'StatefulSet', 'Service', 'ConfigMap', 'Pod']);

/** The command that applies a rendered fix, or undefined for fields merged into Envoy's own configuration. */
export function applyCommand(fix: Pick<RenderedFix, 'apply' | 'target'>): string | undefined {
  if (fix.apply === 'kubectl-apply') return 'kubectl apply -f -';
  if (fix.apply === 'kubectl-patch' || fix.apply === 'kubectl-json-patch') {
    const json = fix.apply === 'kubectl-json-patch';
    const m = /^(\S+) ([^/]+)\/(.+)$/.exec(fix.target);
    if (!m) return `kubectl patch${json ? ' --type json' : ''} --patch-file FILE`;
    const kind = m[1] as string;
    // Custom resources (DestinationRule, the Envoy Gateway policies) take no strategic merge patch: kubectl needs a
    // JSON merge patch for them. A JSON patch (operations on JSON pointers, a list index among them) says so; kubectl
    // reads it from YAML as well.
    const type = json ? ' --type json' : BUILT_IN_KINDS.has(kind) ? '' : ' --type merge';
    return `kubectl -n ${m[2]} patch ${kind.toLowerCase()} ${m[3]}${type} --patch-file FILE`;
  }
  return undefined;
}

/** Proxy names for people: all of a short list, else the first `shown` and how many more (`-o json` has them all). */
export function formatProxyList(ids: readonly string[], shown = 5): string {
  if (ids.length <= shown + 1) return ids.join(', ');
  return `${ids.slice(0, shown).join(', ')} and ${ids.length - shown} more`;
}
