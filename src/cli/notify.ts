// Notification options of `analyze` and `diagnose`: post root causes to Slack or a webhook once, with changes,
// reminders and resolutions (docs/notifications.md), and `--force-exit-zero` for scheduled runs.

import { readFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { kubeFailure, kubernetesClient, loadKubeConfig } from '../collect/kubernetes-api.ts';
import type { Diagnosis } from '../diagnose/diagnose.ts';
import { type Severity, severityRank } from '../model/finding.ts';
import type { Sink } from '../notify/deliver.ts';
import type { NotifyEvent } from '../notify/events.ts';
import { ConfigMapStateStore, emptyState, FileStateStore, parseStateSpec, type StateChange, type StateStore, StateWriteError } from '../notify/state.ts';
import { InputError } from '../parse/input-error.ts';
import { docsBase } from '../report/links.ts';
import { EXIT, forcedExitCode } from '../report/outcome.ts';
import { type CliIO, TOOL } from './io.ts';
import { durationArg, positiveDurationArg, type ReportOptions, requireParent, retriesArg } from './options.ts';
import { UsageError } from './usage-error.ts';

/** The sinks `--post` takes. */
const SINKS = ['slack', 'webhook'] as const;
/** A sink name. */
type SinkName = (typeof SINKS)[number];

/** Where each sink's URL is read from when `--post-url-file` is not given. */
const URL_ENV: Record<SinkName, string> = { slack: 'ENVOY_DOCTOR_SLACK_WEBHOOK_URL', webhook: 'ENVOY_DOCTOR_WEBHOOK_URL' };

/** The environment variable that sets the clock (ISO 8601), for tests of reminders. */
const NOW_ENV = 'ENVOY_DOCTOR_NOW';

/** Options added by `withNotifyOptions`. */
interface NotifyCliOptions {
  post?: SinkName[];
  postUrlFile?: string;
  state?: string;
  renotify: number;
  postTimeout: number;
  postRetries: number;
  /** Root causes below this severity are not posted. */
  postMinSeverity: Severity;
  forceExitZero?: boolean;
  kubeconfig?: string;
  context?: string;
}

function sinkArg(value: string, previous: SinkName[] = []): SinkName {
  if (!(SINKS as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected ${SINKS.join(' or ')}`);
  if (previous.includes(value as SinkName)) throw new InvalidArgumentError(`--post ${value} is already given`);
  return value as SinkName;
}

/** Adds `--post`, `--post-url-file`, `--state`, `--renotify`, `--post-timeout`, `--post-retries`, `--force-exit-zero`
 * (and `--kubeconfig`/`--context` where the command has none), checked before the command runs. */
export function withNotifyOptions(cmd: Command, io: CliIO): Command {
  const post = new Option(
    '--post <sink>',
    'post root causes to slack or webhook (repeatable); URLs from ENVOY_DOCTOR_SLACK_WEBHOOK_URL, ENVOY_DOCTOR_WEBHOOK_URL or --post-url-file',
  ).argParser((v: string, prev: SinkName[] = []) => [...prev, sinkArg(v, prev)]);
  // Shown in the help and offered by shell completion; sinkArg checks them (and repeats).
  post.argChoices = [...SINKS];
  cmd
    .addOption(post)
    .option('--post-url-file <file>', 'read the URL of the one --post sink from this file (a mounted Secret)')
    .option('--state <where>', 'remember what was posted: a JSON file, or configmap:NAMESPACE/NAME')
    .addOption(
      new Option('--renotify <duration>', 'post a reminder for a root cause still open this long after it was last posted; 0 never')
        .argParser(durationArg)
        .default(24 * 3_600_000, '24h'),
    )
    .addOption(new Option('--post-timeout <duration>', 'deadline for each post').argParser(positiveDurationArg).default(10_000, '10s'))
    .option('--post-retries <n>', 'extra attempts for a post that failed in a way that may pass (network, 429, 5xx)', retriesArg, 3)
    .addOption(
      new Option('--post-min-severity <severity>', 'post only root causes at or above this severity').choices(['error', 'warning', 'info']).default('warning'),
    )
    .option('--force-exit-zero', 'exit 0 whatever was found (usage and input errors, failed posts and runs that read no proxy still fail)');
  if (!cmd.options.some((o) => o.long === '--kubeconfig'))
    cmd.addOption(new Option('--kubeconfig <file>', 'kubeconfig for --state configmap: (default: KUBECONFIG, ~/.kube/config, or in-cluster)'));
  if (!cmd.options.some((o) => o.long === '--context')) cmd.addOption(new Option('--context <name>', 'kubeconfig context for --state configmap:'));
  cmd.hook('preAction', async (self) => {
    requireParent(self, ['renotify', 'postTimeout', 'postRetries', 'postMinSeverity'], 'post', '--post slack or --post webhook');
    await preflight(self.opts() as NotifyCliOptions, io);
  });
  return cmd;
}

/** A URL as given, checked without ever repeating it. */
function checkUrl(text: string): URL | undefined {
  if (/\s/.test(text)) return undefined;
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** The URL of one sink: from `--post-url-file` (trimmed) or its environment variable. Errors never show it. */
async function sinkUrl(sink: SinkName, o: Pick<NotifyCliOptions, 'postUrlFile'>, env: NodeJS.ProcessEnv): Promise<string> {
  if (o.postUrlFile !== undefined) {
    let text: string;
    try {
      text = (await readFile(o.postUrlFile, 'utf8')).trim();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new InputError(
        `--post-url-file ${o.postUrlFile}`,
        `cannot read (${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? 'error')}); expected a file holding the ${sink} URL`,
      );
    }
    if (!checkUrl(text))
      throw new InputError(`--post-url-file ${o.postUrlFile}`, `not one http:// or https:// URL (content not shown); expected the ${sink} URL alone`);
    return text;
  }
  const name = URL_ENV[sink];
  const value = env[name]?.trim();
  if (!value) throw new UsageError(`--post ${sink}: set ${name} or give --post-url-file FILE`);
  if (!checkUrl(value)) throw new UsageError(`${name}: not an http:// or https:// URL (value not shown); expected the ${sink} URL`);
  return value;
}

/** The clock: `ENVOY_DOCTOR_NOW` (for tests) or the real one. */
function nowOf(env: NodeJS.ProcessEnv): Date {
  const text = env[NOW_ENV];
  if (text === undefined || text === '') return new Date();
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) throw new UsageError(`${NOW_ENV}: expected an ISO 8601 time such as 2025-01-02T03:04:05Z`);
  return at;
}

async function storeOf(o: NotifyCliOptions): Promise<StateStore | undefined> {
  if (o.state === undefined) return undefined;
  const spec = parseStateSpec(o.state);
  if (spec.kind === 'file') return new FileStateStore(spec.path);
  const kc = await loadKubeConfig({ ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}), ...(o.context ? { context: o.context } : {}) });
  return new ConfigMapStateStore(kc.makeApiClient((await kubernetesClient()).CoreV1Api), spec.namespace, spec.name, kubeFailure);
}

/** Checks the notification options before anything is collected: a mistake fails fast, not after the diagnosis. */
async function preflight(o: NotifyCliOptions, io: CliIO): Promise<void> {
  const sinks = o.post ?? [];
  if (sinks.length === 0) {
    if (o.postUrlFile !== undefined) throw new UsageError('--post-url-file gives the URL of a --post sink: add --post slack or --post webhook');
    if (o.state !== undefined) throw new UsageError('--state remembers what was posted: add --post slack or --post webhook');
    return;
  }
  if (o.postUrlFile !== undefined && sinks.length !== 1)
    throw new UsageError('--post-url-file holds one URL: use it with exactly one --post (the other sinks read ENVOY_DOCTOR_*_URL)');
  for (const s of sinks) await sinkUrl(s, o, io.env);
  nowOf(io.env);
  const store = await storeOf(o);
  if (store instanceof FileStateStore) await store.check();
}

function counts(events: NotifyEvent[]): string {
  const by = new Map<string, number>();
  for (const e of events) by.set(e.kind, (by.get(e.kind) ?? 0) + 1);
  return [...by].map(([k, n]) => `${n} ${k}`).join(', ');
}

/**
 * After the report: applies `--force-exit-zero`, then posts this run's events to each `--post` sink and saves the
 * state for the events that were posted. Returns the exit code: a failed post or an unsaved state turns 0 into 69
 * and leaves any other code as it was.
 */
export async function notifyAfterReport(d: Diagnosis, o: ReportOptions & Partial<NotifyCliOptions>, io: CliIO, reportCode: number): Promise<number> {
  const code = o.forceExitZero ? forcedExitCode(reportCode, d) : reportCode;
  const names = o.post ?? [];
  if (names.length === 0) return code;
  // What posts is loaded only by runs that post, so the other runs start without it.
  const [{ Deliverer }, { eventsFor }, { slackSink }, { webhookSink }, { jsonReport }] = await Promise.all([
    import('../notify/deliver.ts'),
    import('../notify/events.ts'),
    import('../notify/slack.ts'),
    import('../notify/webhook.ts'),
    import('../report/json.ts'),
  ]);
  const options: NotifyCliOptions = { renotify: 24 * 3_600_000, postTimeout: 10_000, postRetries: 3, postMinSeverity: 'warning', ...o };
  const now = nowOf(io.env);
  // Root causes below --post-min-severity are left out of what is posted, as if they had not been found.
  const posting: Diagnosis = { ...d, rootCauses: d.rootCauses.filter((r) => severityRank(r.severity) >= severityRank(options.postMinSeverity)) };
  const report = jsonReport(d, TOOL, { failOn: o.failOn });
  const sinks: Sink<NotifyEvent>[] = [];
  for (const name of names) {
    const url = await sinkUrl(name, options, io.env);
    sinks.push(name === 'slack' ? slackSink(url, { snapshots: d.snapshots, docsBase: docsBase(TOOL.version), now }) : webhookSink(url, posting, report, now));
  }
  const store = await storeOf(options);
  if (!store)
    io.stderr(
      'envoy-doctor: --post without --state posts every root cause as new on every run; give --state FILE or configmap:NAMESPACE/NAME to post changes only\n',
    );
  const state = store ? await store.read() : emptyState();
  const deliverer = new Deliverer({ timeoutMs: options.postTimeout, retries: options.postRetries });
  const changes: StateChange[] = [];
  let failed = false;
  try {
    for (const sink of sinks) {
      // What was posted below the threshold (before it was raised) is neither reminded of nor resolved.
      const previous = Object.fromEntries(
        Object.entries(state.sinks[sink.name] ?? {}).filter(([, p]) => severityRank(p.severity) >= severityRank(options.postMinSeverity)),
      );
      const events = eventsFor(previous, posting, now, options.renotify);
      const posted: NotifyEvent[] = [];
      for (const e of events) {
        const result = await deliverer.post(sink.url, sink.payload(e), sink.describeBody);
        if (!result.ok) {
          failed = true;
          const left = events.length - posted.length;
          io.stderr(
            `envoy-doctor: could not post to ${sink.label}: ${result.reason} (${result.attempts} attempt${result.attempts === 1 ? '' : 's'}); ` +
              `${left} of ${events.length} event${events.length === 1 ? '' : 's'} not posted${store ? ', the next run posts them' : ''}\n`,
          );
          break;
        }
        posted.push(e);
        changes.push({ sink: sink.name, fingerprint: e.fingerprint, next: e.next });
      }
      if (posted.length > 0) io.stderr(`envoy-doctor: posted to ${sink.label}: ${counts(posted)}\n`);
    }
  } finally {
    await deliverer.close();
  }
  if (store) {
    try {
      await store.write(changes);
    } catch (err) {
      if (!(err instanceof StateWriteError) && (err as Error).name !== 'KubeError' && !(err instanceof InputError)) throw err;
      failed = true;
      io.stderr(`envoy-doctor: posted, but the state was not saved: ${(err as Error).message}; the next run posts these events again\n`);
    }
  }
  return failed && code === EXIT.ok ? EXIT.unavailable : code;
}
