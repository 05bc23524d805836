// The HTML report in a real browser: Debian's Chromium driven by playwright-core (which never downloads a
// browser). The page must render its charts from the incident sample, show something other than a blank
// page, make no network request, and run nothing from a hostile cluster name.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { upgradedSessions } from '../../src/report/html-charts.ts';
import { parseAccessLog } from '../../src/parse/access-log-formats.ts';
import { run } from '../helpers/cli.ts';
import { HOSTILE_NAME, hostileBundle } from '../helpers/hostile-bundle.ts';

const CHROMIUM = '/usr/bin/chromium';
const INCIDENT = 'samples/home-assistant-websocket-drops';

let browser: BrowserContext;
let profile: string;
/** CI installs Chromium and must run these; elsewhere a missing Chromium skips them with a note. */
const SKIP = !existsSync(CHROMIUM) && !process.env.CI ? `${CHROMIUM} is missing (apt-get install -y chromium); CI runs these` : false;

before(async () => {
  if (SKIP) return;
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: the HTML report is tested in Debian's Chromium; install it with apt-get install -y chromium (.ci/run does)`,
  );
  profile = await mkdtemp(join(tmpdir(), 'envoy-doctor-chromium-'));
  // A fresh profile directory (Chromium's --user-data-dir, which playwright passes for a persistent context).
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1100, height: 900 },
  });
});

after(async () => {
  await browser?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

/** Opens report HTML in a fresh page, recording every request and dialog; requests are refused. */
async function open(html: string): Promise<{ page: Page; requests: string[]; dialogs: string[]; close: () => Promise<void> }> {
  const page = await browser.newPage();
  const requests: string[] = [];
  const dialogs: string[] = [];
  await page.route('**/*', async (route) => {
    requests.push(route.request().url());
    await route.abort();
  });
  page.on('dialog', async (d) => {
    dialogs.push(d.message());
    await d.dismiss();
  });
  await page.setContent(html, { waitUntil: 'load' });
  return { page, requests, dialogs, close: () => page.close() };
}

async function report(args: string[]): Promise<string> {
  const r = await run(['analyze', ...args, '-o', 'html', '--fail-on', 'none']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

describe('the HTML report in Chromium', { skip: SKIP }, () => {
  it('draws the three charts of the incident sample with the numbers of the findings', async () => {
    const html = await report([INCIDENT]);
    // Loaded without its Content-Security-Policy, so a reference to anything outside the file would be requested.
    const withoutPolicy = html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '');
    assert.notEqual(withoutPolicy, html, 'the report carries a Content-Security-Policy');
    const { page, requests, close } = await open(withoutPolicy);
    try {
      const buffered = await page.$$eval('svg[data-chart="buffered-bytes"] rect.bar', (els) =>
        els.map((e) => ({
          entity: e.getAttribute('data-entity'),
          buffered: Number(e.getAttribute('data-buffered-bytes')),
          limit: Number(e.getAttribute('data-limit-bytes')),
          width: (e as unknown as { getBBox(): { width: number } }).getBBox().width,
        })),
      );
      assert.deepEqual(
        buffered.map((b) => [b.entity, b.buffered, b.limit]),
        [
          ['httproute/home/home-assistant-app/rule/0', 469871, 32768],
          ['https-10443', 301877, 32768],
        ],
      );
      assert.ok(
        buffered.every((b) => b.width > 0),
        'every buffered bar has a width',
      );
      assert.equal(await page.locator('svg[data-chart="buffered-bytes"] line.limit').count(), 2, 'one limit marker per row');

      const flow = await page.$$eval('svg[data-chart="flow-control"] rect.bar', (els) =>
        els.map((e) => [e.getAttribute('data-entity'), e.getAttribute('data-series'), Number(e.getAttribute('data-value'))]),
      );
      assert.deepEqual(flow, [
        ['httproute/home/home-assistant-app/rule/0', 'paused', 1242],
        ['httproute/home/home-assistant-app/rule/0', 'resumed', 1221],
        ['https-10443', 'paused', 216],
        ['https-10443', 'resumed', 214],
      ]);

      // Every upgraded session of the access log is in exactly one bar.
      const log = parseAccessLog(await readFile(`${INCIDENT}/access.log`, 'utf8'), 'access.log');
      const expected = upgradedSessions(log.entries).length;
      assert.ok(expected > 100, `the sample logs upgraded sessions (${expected})`);
      const bars = await page.$$eval('svg[data-chart="session-durations"] rect.bar', (els) =>
        els.map((e) => ({
          start: Number(e.getAttribute('data-bin-start-ms')),
          end: e.hasAttribute('data-overflow') ? Infinity : Number(e.getAttribute('data-bin-end-ms')),
          flag: e.getAttribute('data-flag'),
          count: Number(e.getAttribute('data-count')),
        })),
      );
      assert.equal(
        bars.reduce((a, b) => a + b.count, 0),
        expected,
      );
      // The UC band of 64 sessions between 1m 23s and 1m 59s lies in the bars of 80 s to 120 s.
      const uc = bars.filter((b) => b.flag === 'UC' && b.start >= 80_000 && b.end <= 120_000).reduce((a, b) => a + b.count, 0);
      assert.equal(uc, 64);

      const timer = await page.$eval('svg[data-chart="session-durations"] line.timer', (e) => ({
        name: e.getAttribute('data-timer'),
        ms: Number(e.getAttribute('data-timer-ms')),
        x: Number(e.getAttribute('x1')),
      }));
      assert.deepEqual([timer.name, timer.ms], ['aiohttp-heartbeat-home-assistant', 82500]);
      const band = await page.$eval('svg[data-chart="session-durations"] rect.band[data-flag="UC"]', (e) => ({
        x: Number(e.getAttribute('x')),
        w: Number(e.getAttribute('width')),
        low: Number(e.getAttribute('data-low-ms')),
      }));
      assert.equal(band.low, 83646);
      assert.ok(timer.x < band.x + band.w && timer.x > 0, 'the timer marker sits at the start of the band it explains');

      const shot = await page.screenshot({ fullPage: true });
      if (process.env.ENVOY_DOCTOR_SCREENSHOT) await writeFile(process.env.ENVOY_DOCTOR_SCREENSHOT, shot);
      assert.ok(shot.length > 10_000, 'a screenshot of some size');
      // Decode the screenshot in a blank page (the report's policy allows no fetch) and count its colours: a blank
      // page has one or two.
      const decoder = await browser.newPage();
      // The decoding runs in the browser; it is given as source because this project compiles without DOM types.
      const colours = await decoder.evaluate<number>(
        `(async (b64) => {
          const img = await createImageBitmap(await (await fetch('data:image/png;base64,' + b64)).blob());
          const canvas = new OffscreenCanvas(img.width, img.height);
          const ctx = canvas.getContext('2d');
          ctx.drawImage(img, 0, 0);
          const data = ctx.getImageData(0, 0, img.width, img.height).data;
          const seen = new Set();
          for (let i = 0; i < data.length; i += 4 * 7) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
          return seen.size;
        })(${JSON.stringify(shot.toString('base64'))})`,
      );
      await decoder.close();
      assert.ok(colours > 20, `the screenshot is not blank (${colours} colours)`);
      const chart = await page.locator('svg[data-chart="session-durations"]').screenshot();
      assert.ok(chart.length > 2_000, 'the session chart renders');
      assert.deepEqual(
        requests.filter((u) => !u.startsWith('data:')),
        [],
        'no network request',
      );
    } finally {
      await close();
    }
  });

  it('renders a hostile cluster name as text: no script, no dialog, no request', async () => {
    const dir = await hostileBundle();
    try {
      const html = await report([dir]);
      assert.doesNotMatch(html, /<script/i);
      const { page, requests, dialogs, close } = await open(html);
      try {
        assert.equal(await page.locator('script').count(), 0);
        assert.deepEqual(dialogs, []);
        const entity = await page.$eval('svg[data-chart="buffered-bytes"] rect.bar', (e) => e.getAttribute('data-entity'));
        assert.equal(entity, HOSTILE_NAME);
        const label = await page.$eval('svg[data-chart="buffered-bytes"] text.label', (e) => e.textContent);
        assert.equal(label, `cluster ${HOSTILE_NAME}`);
        assert.ok((await page.locator('#root-cause-1').innerText()).includes(HOSTILE_NAME), 'the name reads as text');
        assert.deepEqual(
          requests.filter((u) => !u.startsWith('data:')),
          [],
        );
      } finally {
        await close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('shows what a fix changes against the live object, beside the object to apply', async () => {
    const { page, close } = await open(await report([INCIDENT]));
    try {
      const rows = await page.$$eval('table.live-changes', (tables) =>
        tables.map((t) => [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent))),
      );
      assert.ok(
        rows.some((t) => t.some((r) => r[0] === '/per_connection_buffer_limit_bytes' && r[1] === '32768' && r[2] === '1048576')),
        JSON.stringify(rows),
      );
      assert.ok(rows.every((t) => t.length > 0));
    } finally {
      await close();
    }
  });

  it('a healthy proxy gives a page without charts of problems', async () => {
    const { page, close } = await open(await report(['samples/healthy']));
    try {
      assert.equal(await page.locator('svg[data-chart="buffered-bytes"]').count(), 0);
      assert.equal(await page.locator('svg[data-chart="flow-control"]').count(), 0);
      assert.equal(await page.locator('section.root-cause').count(), 0);
      assert.match(await page.locator('h1').innerText(), /no root cause/);
    } finally {
      await close();
    }
  });
});
