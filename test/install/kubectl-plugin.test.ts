// envoy-doctor as a kubectl plugin: kubectl runs any `kubectl-envoy_doctor` on PATH for `kubectl envoy-doctor`, and
// the package's bin has one. Tested with a real kubectl (Debian's kubernetes-client, which .ci/run installs), on PATH
// the way npm puts a package's bin there: a node_modules/.bin of links to the package's bin entries.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ROOT } from '../helpers/cli.ts';
import { KUBECTL_SKIP, kubectl } from '../helpers/kubectl.ts';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };

describe('kubectl envoy-doctor, through the package bin on PATH', { skip: KUBECTL_SKIP }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'envoy-doctor-plugin-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  // What npm does on install: a link in node_modules/.bin for every bin entry of package.json.
  const bin = join(dir, 'node_modules', '.bin');
  mkdirSync(bin, { recursive: true });
  for (const [name, target] of Object.entries(pkg.bin)) symlinkSync(join(ROOT, target), join(bin, name));
  // The bin's `#!/usr/bin/env node` finds the Node.js running the tests (>= 22.19), as npm's scripts would.
  const path = [bin, dirname(process.execPath)];

  it('package.json names the plugin kubectl-envoy_doctor, the same program as envoy-doctor', () => {
    assert.equal(pkg.bin['kubectl-envoy_doctor'], pkg.bin['envoy-doctor']);
  });

  it('kubectl plugin list finds it', () => {
    const r = kubectl(['plugin', 'list'], path);
    assert.ok(r.stdout.includes(join(bin, 'kubectl-envoy_doctor')), `${r.stdout}${r.stderr}`);
  });

  it('kubectl envoy-doctor --version prints the version', () => {
    const r = kubectl(['envoy-doctor', '--version'], path);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), pkg.version);
  });

  it('kubectl envoy-doctor passes its arguments and exit code through: the incident sample, and a usage error', () => {
    const r = kubectl(['envoy-doctor', 'analyze', 'samples/home-assistant-websocket-drops', '-o', 'json'], path);
    assert.equal(r.code, 79, r.stderr);
    const ids = (JSON.parse(r.stdout) as { rootCauses: Array<{ id: string }> }).rootCauses.map((c) => c.id);
    assert.ok(ids.includes('flow-control-stall'), ids.join(', '));
    const bad = kubectl(['envoy-doctor', 'analyze', '--no-such-option'], path);
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /unknown option '--no-such-option'/);
  });
});
