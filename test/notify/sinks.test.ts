// End to end through the CLI: local servers on 127.0.0.1 stand in for a Slack incoming webhook and a generic
// webhook and record what arrives across runs: first posts, no repeats, changes, reminders, resolutions, and a sink
// that fails and recovers without losing or repeating anything.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ROOT, run } from '../helpers/cli.ts';
import { type SinkServer, startSinkServer } from '../helpers/sink-server.ts';
import { REPOSITORY_URL } from '../../src/report/links.ts';

const INCIDENT = 'samples/home-assistant-websocket-drops';
const HEALTHY = 'samples/healthy';
const ROOT_CAUSES = ['flow-control-stall', 'missing-tcp-keepalive', 'policy-overridden'];
const T0 = Date.parse('2026-03-01T06:00:00Z');
const HOUR = 3_600_000;

const schema = JSON.parse(await readFile(join(ROOT, 'docs/json-schema.json'), 'utf8')) as object;
const validate = new Ajv2020({ allErrors: true, allowUnionTypes: true }).compile(schema);
const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };

interface SlackBody {
  text: string;
  blocks: Array<{ type: string; text?: { text: string }; elements?: Array<{ text: string }> }>;
}
interface WebhookBody {
  event: string;
  notification: { fingerprint: string; rootCause: string; severity: string; previousSeverity: string | null; scope: string | null };
  concerns: Array<{ id: string }>;
  rootCauses: Array<{ id: string }>;
  summary: { exitCode: number };
}

let slack: SinkServer;
let webhook: SinkServer;
let dir: string;
let statePath: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'envoy-doctor-notify-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await slack?.close();
  await webhook?.close();
});

async function fresh(): Promise<void> {
  slack = await startSinkServer('/services/T01ABCDEF/B02GHIJKL/s3cr3tT0kenValue0123456');
  webhook = await startSinkServer('/hooks/envoy-doctor/8f2c0a7e9b1d4c6e');
  statePath = join(dir, `state-${Math.random().toString(36).slice(2)}.json`);
}

const env = (at = T0, extra: Record<string, string> = {}) => ({
  ENVOY_DOCTOR_SLACK_WEBHOOK_URL: slack.url,
  ENVOY_DOCTOR_WEBHOOK_URL: webhook.url,
  ENVOY_DOCTOR_NOW: new Date(at).toISOString(),
  ...extra,
});

/** analyze with both sinks and the state file. */
function analyze(sample: string, at = T0, args: string[] = [], extraEnv: Record<string, string> = {}) {
  return run(['analyze', sample, '--fail-on', 'none', '--post', 'slack', '--post', 'webhook', '--state', statePath, ...args], { env: env(at, extraEnv) });
}

const slackBodies = (s: SinkServer, from = 0) =>
  s
    .delivered()
    .slice(from)
    .map((r) => r.body as SlackBody);
const hooks = (s: SinkServer, from = 0) =>
  s
    .delivered()
    .slice(from)
    .map((r) => r.body as WebhookBody);
const texts = (m: SlackBody) => m.blocks.flatMap((b) => [...(b.text ? [b.text.text] : []), ...(b.elements ?? []).map((e) => e.text)]);
const eventsOf = (s: SinkServer, from = 0) =>
  hooks(s, from)
    .map((b) => `${b.event} ${b.notification.rootCause}`)
    .sort();

describe('--post slack and webhook, with --state FILE', () => {
  it('the first run posts each root cause once; the same input again posts nothing', async () => {
    await fresh();
    const first = await analyze(INCIDENT);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stderr, 'envoy-doctor: posted to the Slack webhook: 3 opened\nenvoy-doctor: posted to the webhook at <host redacted>: 3 opened\n');
    assert.deepEqual(
      eventsOf(webhook),
      ROOT_CAUSES.map((id) => `opened ${id}`),
    );

    const messages = slackBodies(slack);
    assert.equal(messages.length, 3);
    const stall = messages.find((m) => m.text.includes('flow-control-stall')) as SlackBody;
    const body = texts(stall).join('\n');
    assert.equal(stall.blocks[0]?.type, 'header');
    assert.match(stall.blocks[0]?.text?.text ?? '', /^:rotating_light: New: Flow-control stall/);
    assert.match(body, /`flow-control-stall` · \*ERROR\* · confidence high/);
    assert.match(body, /reads from upstream paused 1,242 times, resumed 1,221/, 'key numbers');
    assert.match(
      body,
      /\*Fix \(Envoy Gateway\)\*: ClientTrafficPolicy home\/eg-https-connection · `kubectl apply -f -`\n```apiVersion: gateway.envoyproxy.io\/v1alpha1\nkind: ClientTrafficPolicy\n[\s\S]*bufferLimit: 1Mi[\s\S]*```/,
    );
    assert.ok(
      body.includes(`Docs: <${REPOSITORY_URL}/blob/v${pkg.version}/docs/findings/flow-control-stall.md|docs/findings/flow-control-stall.md>`),
      'an absolute link to the docs of this version',
    );
    for (const m of messages) for (const t of texts(m)) assert.ok(t.length <= 3000);

    for (const b of hooks(webhook)) {
      assert.ok(validate(b), JSON.stringify(validate.errors));
      assert.deepEqual(b.rootCauses.map((r) => r.id).sort(), ROOT_CAUSES, 'the whole report');
      assert.deepEqual(
        b.concerns.map((r) => r.id),
        [b.notification.rootCause],
      );
      assert.equal(b.notification.severity, b.notification.rootCause === 'flow-control-stall' ? 'error' : 'warning');
    }
    const state = await readFile(statePath, 'utf8');

    const second = await analyze(INCIDENT, T0 + HOUR);
    assert.equal(second.code, 0);
    assert.equal(second.stderr, '');
    assert.equal(slack.received.length, 3);
    assert.equal(webhook.received.length, 3);
    assert.equal(await readFile(statePath, 'utf8'), state, 'nothing to save');
  });

  it('a root cause whose severity changed since it was posted posts "changed", once', async () => {
    await fresh();
    await analyze(INCIDENT);
    // The previous run saw flow-control-stall as a warning.
    const state = JSON.parse(await readFile(statePath, 'utf8')) as { sinks: Record<string, Record<string, { rootCause: string; severity: string }>> };
    for (const sink of Object.values(state.sinks)) for (const e of Object.values(sink)) if (e.rootCause === 'flow-control-stall') e.severity = 'warning';
    await writeFile(statePath, JSON.stringify(state));
    const r = await analyze(INCIDENT, T0 + HOUR);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(eventsOf(webhook, 3), ['changed flow-control-stall']);
    const changed = hooks(webhook, 3)[0] as WebhookBody;
    assert.equal(changed.notification.previousSeverity, 'warning');
    assert.equal(changed.notification.severity, 'error');
    const message = slackBodies(slack, 3);
    assert.equal(message.length, 1);
    assert.match(message[0]?.blocks[0]?.text?.text ?? '', /Severity changed: Flow-control stall/);
    assert.match(texts(message[0] as SlackBody).join('\n'), /\*WARNING → ERROR\*/);
    await analyze(INCIDENT, T0 + 2 * HOUR);
    assert.equal(webhook.received.length, 4);
    assert.equal(slack.received.length, 4);
  });

  it('reminds after --renotify (24h by default), counted from the last post', async () => {
    await fresh();
    await analyze(INCIDENT);
    await analyze(INCIDENT, T0 + 23 * HOUR);
    assert.equal(webhook.received.length, 3);
    await analyze(INCIDENT, T0 + 24 * HOUR);
    assert.deepEqual(
      eventsOf(webhook, 3),
      ROOT_CAUSES.map((id) => `reminder ${id}`),
    );
    assert.match(slackBodies(slack, 3)[0]?.blocks[0]?.text?.text ?? '', /Still open/);
    assert.match(texts(slackBodies(slack, 3)[0] as SlackBody).join('\n'), /open for 1d \(first posted 2026-03-01T06:00:00.000Z\)/);
    await analyze(INCIDENT, T0 + 30 * HOUR);
    assert.equal(webhook.received.length, 6, 'the next reminder counts from the reminder');
    await analyze(INCIDENT, T0 + 31 * HOUR, ['--renotify', '6h']);
    assert.equal(webhook.received.length, 9);
    await analyze(INCIDENT, T0 + 100 * HOUR, ['--renotify', '0']);
    assert.equal(webhook.received.length, 9, '--renotify 0 never reminds');
  });

  it('a root cause that is gone posts "resolved" once', async () => {
    await fresh();
    await analyze(INCIDENT);
    const healthy = await analyze(HEALTHY, T0 + HOUR);
    assert.equal(healthy.code, 0, healthy.stderr);
    assert.deepEqual(
      eventsOf(webhook, 3),
      ROOT_CAUSES.map((id) => `resolved ${id}`),
    );
    for (const b of hooks(webhook, 3)) {
      assert.ok(validate(b), JSON.stringify(validate.errors));
      assert.deepEqual(b.concerns, []);
      assert.deepEqual(b.rootCauses, []);
    }
    const resolved = slackBodies(slack, 3);
    assert.equal(resolved.length, 3);
    assert.ok(resolved.every((m) => /^:white_check_mark: Resolved: /.test(m.blocks[0]?.text?.text ?? '')));
    assert.ok(
      resolved.every((m) => !texts(m).some((t) => t.includes('```'))),
      'no fix for what is gone',
    );
    await analyze(HEALTHY, T0 + 2 * HOUR);
    assert.equal(webhook.received.length, 6);
    assert.equal(slack.received.length, 6);
    assert.deepEqual(JSON.parse(await readFile(statePath, 'utf8')), { version: 1, sinks: {} });
    // Back again: a new incident.
    await analyze(INCIDENT, T0 + 3 * HOUR);
    assert.deepEqual(
      eventsOf(webhook, 6),
      ROOT_CAUSES.map((id) => `opened ${id}`),
    );
  });

  it('a sink that is down loses nothing, and once it recovers (503, then 429 with Retry-After: 1) gets everything exactly once', async () => {
    await fresh();
    slack.fallback = { status: 503, body: 'service_unavailable' };
    const down = await analyze(INCIDENT, T0, ['--post-retries', '1']);
    assert.equal(down.code, 69);
    assert.equal(
      down.stderr,
      'envoy-doctor: could not post to the Slack webhook: HTTP 503 service_unavailable (2 attempts); 3 of 3 events not posted, the next run posts them\n' +
        'envoy-doctor: posted to the webhook at <host redacted>: 3 opened\n',
    );
    for (const secret of [slack.url, slack.path, 's3cr3tT0kenValue0123456', 'T01ABCDEF', `127.0.0.1:${slack.port}`, String(slack.port)]) {
      assert.ok(!down.stderr.includes(secret) && !down.stdout.includes(secret), `${secret} is not shown`);
    }
    assert.equal(slack.delivered().length, 0);

    slack.fallback = { status: 200, body: 'ok' };
    slack.script.push({ status: 503, body: 'service_unavailable' }, { status: 429, headers: { 'retry-after': '1' }, body: 'rate_limited' });
    const recovered = await analyze(INCIDENT, T0 + HOUR);
    assert.equal(recovered.code, 0, recovered.stderr);
    assert.equal(recovered.stderr, 'envoy-doctor: posted to the Slack webhook: 3 opened\n');
    const answered = slack.received.slice(2);
    const throttled = answered.findIndex((r) => r.status === 429);
    assert.ok(throttled >= 0);
    assert.ok((answered[throttled + 1]?.at ?? 0) - (answered[throttled]?.at ?? 0) >= 950, 'waited as Retry-After asked');

    await analyze(INCIDENT, T0 + 2 * HOUR);
    const fingerprints = [...slack.delivered(), ...webhook.delivered()].map((r) =>
      JSON.stringify(r.body)
        .match(/fingerprint `([0-9a-f]{16})`|"fingerprint":"([0-9a-f]{16})"/)
        ?.slice(1)
        .find(Boolean),
    );
    assert.equal(slack.delivered().length, 3, 'each root cause reached Slack once');
    assert.equal(webhook.delivered().length, 3, 'and the webhook once');
    assert.equal(new Set(fingerprints).size, 3);
  });

  it('a 4xx other than 429 is final: one attempt, exit 69, and the next run tries again', async () => {
    await fresh();
    slack.fallback = { status: 404, body: 'no_service' };
    const r = await run(['analyze', INCIDENT, '--fail-on', 'none', '--post', 'slack', '--state', statePath], { env: env() });
    assert.equal(r.code, 69);
    assert.equal(
      r.stderr,
      'envoy-doctor: could not post to the Slack webhook: HTTP 404 no_service (1 attempt); 3 of 3 events not posted, the next run posts them\n',
    );
    assert.equal(slack.received.length, 1);
    slack.fallback = { status: 200, body: 'ok' };
    const again = await run(['analyze', INCIDENT, '--fail-on', 'none', '--post', 'slack', '--state', statePath], { env: env() });
    assert.equal(again.code, 0);
    assert.equal(slack.delivered().length, 3);
  });

  it('an unreachable sink fails with a message that does not name it', async () => {
    await fresh();
    const url = slack.url;
    await slack.close();
    const r = await run(['analyze', INCIDENT, '--fail-on', 'none', '--post', 'slack', '--state', statePath, '--post-retries', '0'], {
      env: { ENVOY_DOCTOR_SLACK_WEBHOOK_URL: url },
    });
    assert.equal(r.code, 69);
    assert.equal(
      r.stderr,
      'envoy-doctor: could not post to the Slack webhook: connection refused (1 attempt); 3 of 3 events not posted, the next run posts them\n',
    );
  });
});

describe('where the URL comes from', () => {
  it("--post-url-file: the one sink's URL, whitespace trimmed, over the environment", async () => {
    await fresh();
    const file = join(dir, 'url');
    await writeFile(file, `\n  ${webhook.url}  \n`);
    const r = await run(['analyze', INCIDENT, '--fail-on', 'none', '--post', 'webhook', '--post-url-file', file], {
      env: { ENVOY_DOCTOR_WEBHOOK_URL: 'http://127.0.0.1:1/elsewhere' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(webhook.delivered().length, 3);
  });

  it('without --state every run posts every root cause as new, and says so', async () => {
    await fresh();
    for (let i = 0; i < 2; i++) {
      const r = await run(['analyze', INCIDENT, '--fail-on', 'none', '--post', 'webhook'], { env: env() });
      assert.equal(r.code, 0);
      assert.match(
        r.stderr,
        /^envoy-doctor: --post without --state posts every root cause as new on every run; give --state FILE or configmap:NAMESPACE\/NAME to post changes only\n/,
      );
    }
    assert.deepEqual(eventsOf(webhook), [...ROOT_CAUSES, ...ROOT_CAUSES].map((id) => `opened ${id}`).sort());
  });

  const secretFile = join(tmpdir(), `envoy-doctor-url-${process.pid}`);
  const usage: Array<{ name: string; args: string[]; env?: Record<string, string>; file?: string; code: number; stderr: string }> = [
    {
      name: 'no URL for --post slack',
      args: ['--post', 'slack'],
      code: 64,
      stderr: 'envoy-doctor: --post slack: set ENVOY_DOCTOR_SLACK_WEBHOOK_URL or give --post-url-file FILE\n',
    },
    {
      name: 'a URL that is not one',
      args: ['--post', 'webhook'],
      env: { ENVOY_DOCTOR_WEBHOOK_URL: 'hooks.example.com/T0/SECRET' },
      code: 64,
      stderr: 'envoy-doctor: ENVOY_DOCTOR_WEBHOOK_URL: not an http:// or https:// URL (value not shown); expected the webhook URL\n',
    },
    {
      name: '--post-url-file with two sinks',
      args: ['--post', 'slack', '--post', 'webhook', '--post-url-file', secretFile],
      code: 64,
      stderr: 'envoy-doctor: --post-url-file holds one URL: use it with exactly one --post (the other sinks read ENVOY_DOCTOR_*_URL)\n',
    },
    {
      name: '--post-url-file that is missing',
      args: ['--post', 'slack', '--post-url-file', `${secretFile}.missing`],
      code: 65,
      stderr: `envoy-doctor: --post-url-file ${secretFile}.missing: cannot read (no such file); expected a file holding the slack URL\n`,
    },
    {
      name: '--post-url-file holding no URL',
      args: ['--post', 'slack', '--post-url-file', secretFile],
      file: 'xoxb-SECRET-token',
      code: 65,
      stderr: `envoy-doctor: --post-url-file ${secretFile}: not one http:// or https:// URL (content not shown); expected the slack URL alone\n`,
    },
    {
      name: '--state without --post',
      args: ['--state', 'x.json'],
      code: 64,
      stderr: 'envoy-doctor: --state remembers what was posted: add --post slack or --post webhook\n',
    },
    {
      name: 'a bad --state',
      args: ['--post', 'slack', '--state', 'configmap:nope'],
      env: { ENVOY_DOCTOR_SLACK_WEBHOOK_URL: 'https://hooks.example.com/x' },
      code: 64,
      stderr: "envoy-doctor: --state configmap:nope: expected configmap:NAMESPACE/NAME with Kubernetes names (lowercase letters, digits, '-')\n",
    },
    {
      name: 'an unknown sink',
      args: ['--post', 'email'],
      code: 64,
      stderr: "error: option '--post <sink>' argument 'email' is invalid. expected slack or webhook\n",
    },
  ];
  for (const c of usage) {
    it(`${c.name}: exit ${c.code}, before anything is read`, async () => {
      if (c.file !== undefined) await writeFile(secretFile, c.file);
      try {
        // The bundle does not exist: the options are checked first.
        const r = await run(['analyze', 'samples/does-not-exist', ...c.args], { env: c.env ?? {} });
        assert.equal(r.stderr, c.stderr);
        assert.equal(r.code, c.code);
        assert.ok(!r.stderr.includes('SECRET'));
      } finally {
        await rm(secretFile, { force: true });
      }
    });
  }

  it('a state file that is not envoy-doctor state: exit 65, nothing posted', async () => {
    await fresh();
    await writeFile(statePath, '{"posted": []}');
    const r = await analyze(INCIDENT);
    assert.equal(r.code, 65);
    assert.equal(r.stderr, `envoy-doctor: --state ${statePath}: not envoy-doctor notification state; expected {"version": 1, "sinks": {...}}\n`);
    assert.equal(slack.received.length + webhook.received.length, 0);
  });
});

describe('--force-exit-zero', () => {
  it('exit 0 whatever was found; a failed post and bad input still fail', async () => {
    await fresh();
    const plain = await run(['analyze', INCIDENT]);
    assert.equal(plain.code, 79);
    const forced = await run(['analyze', INCIDENT, '--force-exit-zero']);
    assert.equal(forced.code, 0);
    assert.equal(
      JSON.parse((await run(['analyze', INCIDENT, '--force-exit-zero', '-o', 'json'])).stdout).summary.exitCode,
      79,
      'the report still says what --fail-on gives',
    );
    slack.fallback = { status: 500 };
    const failedPost = await run(['analyze', INCIDENT, '--force-exit-zero', '--post', 'slack', '--state', statePath, '--post-retries', '0'], { env: env() });
    assert.equal(failedPost.code, 69);
    const badInput = await run(['analyze', 'samples/does-not-exist', '--force-exit-zero']);
    assert.equal(badInput.code, 65);
  });
});

describe('--post-min-severity', () => {
  it('posts only root causes at or above it (default warning); raising it neither resolves nor reminds of the others', async () => {
    await fresh();
    const strict = await analyze(INCIDENT, T0, ['--post-min-severity', 'error']);
    assert.equal(strict.code, 0, strict.stderr);
    assert.deepEqual(eventsOf(webhook), ['opened flow-control-stall'], 'the warnings are not posted');
    const all = await analyze(INCIDENT, T0 + HOUR);
    assert.deepEqual(eventsOf(webhook, 1), ['opened missing-tcp-keepalive', 'opened policy-overridden'], 'the default, warning, posts them');
    const raised = await analyze(INCIDENT, T0 + 30 * HOUR, ['--post-min-severity', 'error']);
    assert.equal(raised.code, 0, raised.stderr);
    assert.deepEqual(eventsOf(webhook, 3), ['reminder flow-control-stall'], 'no resolution or reminder below the threshold');
    assert.equal(all.code, 0);
  });
});
