// Real captures from public projects (../shared/corpus, see its SOURCES.md): every file parses, and none raises
// an error-level root cause; healthy proxies raise no alarm.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { inputChunks } from '../src/collect/read-input.ts';
import { diagnose } from '../src/cli/diagnosis.ts';
import { assembleSnapshot } from '../src/parse/assemble.ts';
import { parseConfigDocument } from '../src/parse/config-document.ts';
import { detectKind } from '../src/parse/detect.ts';
import { parseAccessLog } from '../src/parse/access-log-formats.ts';
import { releaseOfBuildVersion } from '../src/parse/server-info.ts';
import { parseStats } from '../src/parse/stats.ts';

const CORPUS = new URL('../../shared/corpus/', import.meta.url);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe('the shared corpus', { skip: existsSync(CORPUS) ? false : 'shared/corpus is not beside this checkout' }, () => {
  const all = existsSync(CORPUS) ? files(CORPUS.pathname).filter((f) => !f.endsWith('.md')) : [];
  for (const path of all) {
    const name = path.slice(CORPUS.pathname.length);
    const bytes = readFileSync(path);
    if (/server_info/.test(name)) {
      it(`${name}: server_info names the Envoy release`, () => {
        const info = JSON.parse(bytes.toString('utf8')) as { version?: string; state?: string };
        assert.match(releaseOfBuildVersion(info.version ?? '') ?? '', /^1\.\d+\.\d+$/);
        assert.equal(info.state, 'LIVE');
      });
      continue;
    }
    if (/accesslog/.test(name)) {
      it(`${name}: access log parses`, () => {
        const log = parseAccessLog(bytes.toString('utf8'), name);
        assert.equal(log.entries.length, 1);
        assert.equal(log.entries[0]?.responseCode, 500);
        assert.equal(log.entries[0]?.routeName, 'httproute/default/backend/rule/0/match/0/www_example_com');
      });
      continue;
    }
    const kind = detectKind(bytes.subarray(0, 65536));
    if (kind === 'stats-text' || kind === 'stats-prometheus') {
      it(`${name}: stats parse and raise no error-level root cause`, async () => {
        const stats = await parseStats(inputChunks(path), name);
        assert.ok(stats.count > 0);
        const d = await diagnose([assembleSnapshot({ id: name, stats, inputs: { stats: name } })]);
        assert.deepEqual(
          d.rootCauses.filter((r) => r.severity === 'error'),
          [],
        );
      });
      continue;
    }
    it(`${name}: config dump parses and raises no error-level root cause`, async () => {
      const configs = parseConfigDocument(bytes, name, name);
      assert.ok(configs.length > 0);
      for (const c of configs) assert.ok(c.clusters.size + c.listeners.length + c.routes.length > 0, `${c.id} has resources`);
      const d = await diagnose(configs.map((config) => assembleSnapshot({ id: config.id, config, inputs: { configDump: name } })));
      assert.deepEqual(
        d.rootCauses.filter((r) => r.severity === 'error'),
        [],
      );
      assert.deepEqual(
        d.findings.filter((f) => f.severity === 'error'),
        [],
      );
    });
  }

  it('the Datadog text capture splits into its clusters with their flow-control counters at zero', async () => {
    const stats = await parseStats(inputChunks(new URL('datadog/stats-multiple_services.txt', CORPUS).pathname), 'multiple_services');
    // 57 cluster blocks, three of which the capture's anonymisation renamed to the same `in.0000`.
    assert.equal(stats.clusters.size, 55);
    for (const [, values] of stats.clusters) assert.equal(values.get('upstream_flow_control_paused_reading_total'), 0);
    assert.equal(stats.clusters.get('rds')?.get('upstream_cx_rx_bytes_buffered'), 10337);
    assert.equal(stats.clusters.get('xds-grpc')?.get('upstream_cx_destroy_remote_with_active_rq'), 122);
  });

  it('the Datadog Prometheus capture keeps its 17 histograms and the buffered gauges', async () => {
    const stats = await parseStats(inputChunks(new URL('datadog/stats-openmetrics.txt', CORPUS).pathname), 'openmetrics');
    assert.equal([...stats.histograms.values()].filter((h) => h.buckets.le.length > 0).length, 17);
    assert.equal(stats.clusters.get('service1')?.get('upstream_cx_rx_bytes_buffered'), 106);
    assert.equal(stats.connectionManagers.get('admin')?.get('downstream_cx_rx_bytes_buffered'), 866);
  });

  it("egctl's camelCase translate output: five Envoy Gateway clusters at the 32 KiB default", () => {
    const [c] = parseConfigDocument(readFileSync(new URL('envoy-gateway/egctl-translate.all.json', CORPUS)), 'egctl', 'x');
    assert.equal(c?.flavor, 'envoy-gateway');
    const routeClusters = [...(c?.clusters.values() ?? [])].filter((x) => x.name.includes('/rule/'));
    assert.equal(routeClusters.length, 5);
    for (const rc of routeClusters) assert.deepEqual(rc.bufferLimitBytes, { value: 32768, source: 'envoy-gateway-default' });
  });

  it("Kuma's dump keeps its static clusters' TCP keepalive", () => {
    const [c] = parseConfigDocument(readFileSync(new URL('kuma/full_config.json', CORPUS)), 'kuma', 'x');
    assert.deepEqual(c?.clusters.get('ads_cluster')?.tcpKeepalive, { probes: 3, timeSeconds: 10, intervalSeconds: 10 });
    assert.equal(c?.envoyVersion, '1.19.0');
  });
});
