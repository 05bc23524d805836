// Slack incoming webhooks: one Block Kit message per event with the root cause, its severity and place, the
// entities, the key evidence, the fix for the proxy's flavor as a code block, and the docs page. Slack caps a
// section's text at 3000 characters and a header at 150: longer text is cut with a visible marker.

import { entry } from '../report/catalogue.ts';
import type { RenderedFix } from '../model/finding.ts';
import type { Flavor, Snapshot } from '../model/snapshot.ts';
import { applyCommand, fillMessage, formatEntity, formatMs, formatProxyList } from '../report/format.ts';
import type { Sink } from './deliver.ts';
import type { NotifyEvent } from './events.ts';

/** Slack's limit on a section block's text. */
export const SECTION_LIMIT = 3000;
/** Slack's limit on a header block's text. */
const HEADER_LIMIT = 150;
/** Evidence lines shown per message. */
const EVIDENCE_LINES = 5;

const FLAVOR_NAMES: Record<Flavor, string> = { 'envoy-gateway': 'Envoy Gateway', envoy: 'Envoy', istio: 'Istio' };
const KIND_HEADERS = { opened: 'New', changed: 'Severity changed', reminder: 'Still open', resolved: 'Resolved' } as const;
const KIND_EMOJI = { opened: ':rotating_light:', changed: ':arrows_counterclockwise:', reminder: ':alarm_clock:', resolved: ':white_check_mark:' } as const;

/** A Slack Block Kit block. */
type SlackBlock =
  | { type: 'header'; text: { type: 'plain_text'; text: string; emoji: true } }
  | { type: 'section'; text: { type: 'mrkdwn'; text: string } }
  | { type: 'context'; elements: Array<{ type: 'mrkdwn'; text: string }> }
  | { type: 'divider' };

/** What an incoming webhook receives. */
interface SlackMessage {
  /** Notification and fallback text. */
  text: string;
  blocks: SlackBlock[];
}

/** What a message needs besides the event. */
interface SlackContext {
  snapshots: Pick<Snapshot, 'id' | 'flavor'>[];
  /** Base URL of the repository's files at the running version (docsBase in src/report/links.ts). */
  docsBase: string;
  now: Date;
}

/** Escapes text for Slack mrkdwn (`&`, `<`, `>`). */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts text to `limit` characters, ending with `…` when cut. */
function clip(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

/**
 * `prefix` and a fenced code block of `code`, within `limit` characters. Whole lines are kept while they fit; the
 * rest is replaced by a marker line inside the block saying how many lines were cut.
 */
export function codeSection(prefix: string, code: string, limit: number = SECTION_LIMIT): string {
  const lines = escapeMrkdwn(code.replace(/\n+$/, '')).split('\n');
  const whole = `${prefix}\`\`\`${lines.join('\n')}\`\`\``;
  if (whole.length <= limit) return whole;
  const marker = (n: number) => `# … ${n} more line${n === 1 ? '' : 's'} cut (Slack's limit); the full fix is in the report`;
  const budget = limit - prefix.length - 6;
  const kept: string[] = [];
  let used = 0;
  for (const [i, line] of lines.entries()) {
    const rest = lines.length - i - 1;
    const need = used + line.length + 1 + marker(rest).length;
    if (need > budget) break;
    kept.push(line);
    used += line.length + 1;
  }
  const cut = lines.length - kept.length;
  const body = [...kept, marker(cut)].join('\n');
  return `${prefix}\`\`\`${clip(body, Math.max(0, budget))}\`\`\``;
}

/** The docs page as a link to its page at the running version. */
export function docsReference(docs: string | null | undefined, docsBase: string): string | undefined {
  if (!docs) return undefined;
  return `<${docsBase}${docs}|${escapeMrkdwn(docs)}>`;
}

/** The fix shown: the first rendered for the flavor of the proxy the root cause was found on. */
function fixFor(e: NotifyEvent, snapshots: Pick<Snapshot, 'id' | 'flavor'>[]): RenderedFix | undefined {
  const r = e.rootCauses[0];
  if (!r) return undefined;
  const flavor = snapshots.find((s) => s.id === r.snapshot)?.flavor;
  return r.fixes.find((f) => f.flavor === flavor) ?? r.fixes[0];
}

function section(text: string): SlackBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(text, SECTION_LIMIT) } };
}

/** The Block Kit message for one event. */
export function slackMessage(e: NotifyEvent, ctx: SlackContext): SlackMessage {
  const title = entry(e.id).title;
  const severity = e.severity.toUpperCase();
  const where = e.scope ?? e.rootCauses[0]?.snapshot ?? 'the proxies diagnosed';
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(`${KIND_EMOJI[e.kind]} ${KIND_HEADERS[e.kind]}: ${title}`, HEADER_LIMIT), emoji: true } },
  ];
  const seenOn = [...new Set(e.rootCauses.flatMap((r) => r.seenOn))].sort();
  const since = Date.parse(e.openedAt);
  const age = Number.isNaN(since) ? undefined : formatMs(Math.max(0, Math.round((ctx.now.getTime() - since) / 1000) * 1000));
  const facts = [`\`${e.id}\``];
  if (e.kind === 'changed' && e.previousSeverity) facts.push(`*${e.previousSeverity.toUpperCase()} → ${severity}*`);
  else if (e.kind === 'resolved') facts.push(`was *${severity}*`);
  else facts.push(`*${severity}*`);
  const confidence = e.rootCauses[0]?.confidence;
  if (confidence) facts.push(`confidence ${confidence}`);
  const lines = [facts.join(' · ')];
  const proxies = seenOn.length > 0 ? `${seenOn.length === 1 ? 'proxy' : `${seenOn.length} proxies`} ${escapeMrkdwn(formatProxyList(seenOn))}` : '';
  if (e.scope) lines.push(`on ${escapeMrkdwn(e.scope)}${proxies ? ` · seen on ${proxies}` : ''}`);
  else if (proxies) lines.push(`on ${proxies}`);
  if (e.kind === 'resolved') lines.push(`gone after ${age ?? 'an unknown time'} (first posted ${e.openedAt})`);
  else if (e.kind !== 'opened') lines.push(`open for ${age ?? 'an unknown time'} (first posted ${e.openedAt})`);
  blocks.push(section(lines.join('\n')));
  if (e.entities.length > 0) blocks.push(section(`*Where*\n${e.entities.map((x) => `• ${escapeMrkdwn(formatEntity(x))}`).join('\n')}`));
  const r = e.rootCauses[0];
  if (r && r.evidence.length > 0) {
    const shown = r.evidence
      .slice(0, EVIDENCE_LINES)
      .map((f) => `• ${escapeMrkdwn(`${f.code} (${formatEntity(f.entity)}): ${fillMessage(f.code, f.evidence)}`)}`);
    const more = r.evidence.length - shown.length;
    blocks.push(section(`*Evidence*\n${shown.join('\n')}${more > 0 ? `\n…and ${more} more in the report` : ''}`));
  }
  const fix = e.kind === 'resolved' ? undefined : fixFor(e, ctx.snapshots);
  if (fix) {
    const command = applyCommand(fix);
    const how = command ? `\`${command}\`` : 'merge into the Envoy config';
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: codeSection(`*Fix (${FLAVOR_NAMES[fix.flavor]})*: ${escapeMrkdwn(fix.target)} · ${how}\n`, fix.text) },
    });
    const others = (r?.fixes.filter((f) => f.flavor === fix.flavor).length ?? 1) - 1;
    if (others > 0)
      blocks.push({
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `and ${others} more ${FLAVOR_NAMES[fix.flavor]} change${others === 1 ? '' : 's'} in the report` }],
      });
  }
  const docs = docsReference(entry(e.id).docs, ctx.docsBase);
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: clip(`${docs ? `Docs: ${docs} · ` : ''}fingerprint \`${e.fingerprint}\` · envoy-doctor`, SECTION_LIMIT) }],
  });
  const text = `${KIND_HEADERS[e.kind]}: ${severity} ${e.id} on ${where}: ${title}`;
  return { text: escapeMrkdwn(clip(text, SECTION_LIMIT)), blocks };
}

/** A Slack incoming webhook as a sink. */
export function slackSink(url: string, ctx: SlackContext): Sink<NotifyEvent> {
  return {
    name: 'slack',
    label: 'the Slack webhook',
    url,
    payload: (e) => slackMessage(e, ctx),
    // Slack answers errors with a short code such as invalid_payload or channel_not_found.
    describeBody: (text) => (/^[a-z_]{1,60}$/.test(text.trim()) ? text.trim() : undefined),
  };
}
