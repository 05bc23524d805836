// Generic webhooks: the JSON report (docs/json-schema.md) of the run, plus the event, the root cause it is about
// and the entries of `rootCauses` it concerns. One POST per event. Described in docs/notifications.md.

import type { Diagnosis } from '../diagnose/diagnose.ts';
import { entry } from '../report/catalogue.ts';
import type { EntityRef, Severity } from '../model/finding.ts';
import { JsonBytes, type Sink } from './deliver.ts';
import type { EventKind, NotifyEvent } from './events.ts';

/** The `notification` object of a webhook body. */
interface NotificationJson {
  fingerprint: string;
  /** Root-cause catalogue id. */
  rootCause: string;
  title: string;
  severity: Severity;
  previousSeverity: Severity | null;
  scope: string | null;
  entities: EntityRef[];
  seenOn: string[];
  openedAt: string;
  postedAt: string;
  docs: string | null;
}

/** The extra fields of a webhook body, added to the JSON report. */
interface WebhookFields {
  event: EventKind;
  notification: NotificationJson;
  /** The `rootCauses` entries the event is about (empty for `resolved`). */
  concerns: unknown[];
}

/** The fields a webhook body adds to the report, for one event. */
function webhookFields(e: NotifyEvent, d: Pick<Diagnosis, 'rootCauses'>, report: unknown, now: Date): WebhookFields {
  const all = ((report as { rootCauses?: unknown[] }).rootCauses ?? []) as unknown[];
  const concerns = e.rootCauses.map((r) => all[d.rootCauses.indexOf(r)]).filter((x) => x !== undefined);
  return {
    event: e.kind,
    notification: {
      fingerprint: e.fingerprint,
      rootCause: e.id,
      title: entry(e.id).title,
      severity: e.severity,
      previousSeverity: e.previousSeverity,
      scope: e.scope,
      entities: e.entities,
      seenOn: [...new Set(e.rootCauses.flatMap((r) => r.seenOn))].sort(),
      openedAt: e.openedAt,
      postedAt: now.toISOString(),
      docs: entry(e.id).docs ?? null,
    },
    concerns,
  };
}

/**
 * A generic webhook as a sink. Each body is `report` (the run's JSON report object) with `event`, `notification` and
 * `concerns` after its own members: the report is written as JSON once, for the first event, and each body is those
 * bytes with the event's fields joined on, the bytes JSON.stringify gives the whole object. A mesh's report is hundreds
 * of MB with its fixes, rendered as they are written (lazy-fix.ts).
 */
export function webhookSink(url: string, d: Pick<Diagnosis, 'rootCauses'>, report: unknown, now: Date): Sink<NotifyEvent> {
  // The report's bytes up to its closing brace, with the comma the event's fields follow; held outside V8's heap.
  let head: Buffer | undefined;
  return {
    name: 'webhook',
    label: 'the webhook at <host redacted>',
    url,
    payload: (e) => {
      const fields = webhookFields(e, d, report, now);
      if (head === undefined) {
        const text = JSON.stringify(report);
        head = Buffer.from(text === '{}' ? '{' : `${text.slice(0, -1)},`);
      }
      return new JsonBytes(Buffer.concat([head, Buffer.from(JSON.stringify(fields).slice(1))]));
    },
  };
}
