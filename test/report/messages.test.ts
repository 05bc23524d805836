// Messages as people read them: numbers agree with their nouns, values that were not measured never leak as
// `unknown in unknown`, names keep Envoy's spelling at the start of a sentence, and docs links are absolute.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CATALOGUE } from '../../src/report/catalogue.ts';
import { asSentence, fillTemplate, sentenceStart } from '../../src/report/format.ts';
import { REPOSITORY_URL } from '../../src/report/links.ts';
import { ROOT, run } from '../helpers/cli.ts';

const INCIDENT = 'samples/home-assistant-websocket-drops';
const VERSION = (JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { version: string }).version;

/** Plural nouns the catalogue counts; after a count of 1 each must be singular. */
const PLURALS =
  /\b1 (?:upgraded |client |logged |refused |full |upstream |upstream connection |upstream request |stream idle |connection |HTTP\/2 |WebSocket |extended |protocol-error |filter |listener |upgrade )?(times|connections|buffers|closes|fields|stats(?! entity| sample)|sessions|streams|upgrades|timeouts|overflows|requests|errors|resets|handshakes|CONNECTs|tunnels|updates|removals|listeners|chains|objects|pauses|resumes|502s)\b/;

function placeholders(template: string): string[] {
  return [...template.matchAll(/\{(\w+)/g)].map((m) => m[1] as string);
}

describe('catalogue messages', () => {
  const templates = CATALOGUE.filter((e) => e.message !== undefined).map((e) => [e.id, e.message as string] as const);
  for (const [id, template] of templates) {
    it(`${id}: a count of 1 reads singular`, () => {
      const ones = Object.fromEntries(placeholders(template).map((k) => [k, 1]));
      const text = fillTemplate(template, ones);
      assert.doesNotMatch(text, PLURALS, text);
      assert.doesNotMatch(text, /\b1 fields differ|\b1 \w+ (were|are)\b/, text);
    });
  }
  for (const e of CATALOGUE.filter((x) => x.kind === 'finding' && x.message !== undefined)) {
    it(`${e.id}: with one stats sample and no access log, the window and log parts are left out, not "unknown"`, () => {
      const template = e.message as string;
      const values = Object.fromEntries(placeholders(template).map((k) => [k, /^(window|log|timer|h2)/.test(k) ? null : 2]));
      const text = fillTemplate(template, values);
      assert.equal(text.match(/unknown/g)?.length, template.match(/unknown/g)?.length, text);
      assert.doesNotMatch(text, /[[\]{}|?]{2}/, text);
    });
  }
  it('a count other than 1 reads plural; an optional part is shown when its values are known', () => {
    assert.equal(fillTemplate('{n} {n|field differs|fields differ}', { n: 1 }), '1 field differs');
    assert.equal(fillTemplate('{n} {n|field differs|fields differ}', { n: 3 }), '3 fields differ');
    assert.equal(fillTemplate('{n} {n|field differs|fields differ}', { n: 0 }), '0 fields differ');
    assert.equal(fillTemplate('{a} removals[? ({b} in {windowSeconds})]', { a: 2, b: 1, windowSeconds: 30 }), '2 removals (1 in 30s)');
    assert.equal(fillTemplate('{a} removals[? ({b} in {windowSeconds})]', { a: 2, b: null, windowSeconds: null }), '2 removals');
    assert.equal(fillTemplate('{a} removals[? ({b} in {windowSeconds})]', { a: 2, b: 0 }), '2 removals');
  });
});

describe('sentences', () => {
  const cases: Array<[string, string]> = [
    ['per_connection_buffer_limit_bytes is 32 KiB', 'per_connection_buffer_limit_bytes is 32 KiB.'],
    ['tcpKeepalive set on the Gateway do not reach it', 'tcpKeepalive set on the Gateway do not reach it.'],
    ['home/eg-https replaces it', 'home/eg-https replaces it.'],
    ['upstream_cx_active is 3.', 'upstream_cx_active is 3.'],
    ['reads from upstream paused', 'Reads from upstream paused.'],
    ['a slow reader filled the buffer!', 'A slow reader filled the buffer!'],
  ];
  for (const [text, want] of cases) it(`${text} → ${want}`, () => assert.equal(asSentence(text), want));
  it('only the first letter of a plain word changes', () => assert.equal(sentenceStart('x-forwarded-for is set'), 'x-forwarded-for is set'));
});

describe('the write-ups of the incident sample', () => {
  for (const format of ['markdown', 'html'] as const) {
    it(`${format}: Envoy's names as Envoy spells them, and docs links to this version's pages`, async () => {
      const r = await run(['analyze', INCIDENT, '-o', format, '--fail-on', 'none']);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /Per_connection|Upstream_connection_options|TcpKeepalive/);
      assert.match(r.stdout, /(^|<p>)per_connection_buffer_limit_bytes is 32 KiB/m);
      const links = [...r.stdout.matchAll(/https:\/\/[^\s)"<>]+\/docs\/findings\/[a-z0-9-]+\.md/g)].map((m) => m[0]);
      assert.equal(links.length, 3, 'one per root cause');
      for (const l of links) assert.ok(l.startsWith(`${REPOSITORY_URL}/blob/v${VERSION}/docs/findings/`), l);
      assert.doesNotMatch(r.stdout, /\]\(docs\/|href="docs\//, 'no link relative to the repository');
    });
  }
  it('a single stats sample: nothing reads "unknown in unknown" or an unknown timer', async () => {
    const r = await run([
      'analyze',
      '--config-dump',
      `${INCIDENT}/config_dump.json`,
      '--stats',
      `${INCIDENT}/stats.txt`,
      '--access-log',
      `${INCIDENT}/access.log`,
      '-o',
      'markdown',
      '--fail-on',
      'none',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /unknown in unknown|timer unknown|unknown WebSocket handshakes/);
    assert.doesNotMatch(r.stdout, PLURALS);
  });
});
