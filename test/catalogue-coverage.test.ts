// Every shipped root cause is complete: a rule, a sample that names it (first, for samples/<id>) with a healthy
// counterpart where one exists, a docs page, and a fix rendered for each flavor unless its rule says why not.
// Fixes are rendered for each flavor from the changes the sample's diagnosis produced: on the sample's own
// proxy for Envoy Gateway and plain Envoy, and retargeted at an Istio sidecar's names for Istio.

import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadOffline } from '../src/collect/files.ts';
import { readManifests } from '../src/collect/manifests.ts';
import { diagnose } from '../src/diagnose/diagnose.ts';
import { RULES } from '../src/diagnose/rules/index.ts';
import { envoyRenderer } from '../src/fixes/envoy.ts';
import { envoyGatewayRenderer } from '../src/fixes/envoy-gateway.ts';
import { istioRenderer } from '../src/fixes/istio.ts';
import type { FixRenderer } from '../src/fixes/renderer.ts';
import { CATALOGUE } from '../src/model/catalogue.ts';
import type { FixChange, RootCause } from '../src/model/finding.ts';
import type { Flavor, Snapshot } from '../src/model/snapshot.ts';
import { ROOT } from './helpers/cli.ts';
import { istioSidecar, ISTIO_NAMES } from './helpers/istio.ts';

const FLAVORS: Array<{ flavor: Flavor; renderer: FixRenderer }> = [
  { flavor: 'envoy-gateway', renderer: envoyGatewayRenderer },
  { flavor: 'envoy', renderer: envoyRenderer },
  { flavor: 'istio', renderer: istioRenderer },
];

/** A change aimed at the Istio sidecar's cluster, listener or route instead of the sample's. */
function retarget(c: FixChange): FixChange {
  const out = { ...c } as Record<string, unknown>;
  if ('cluster' in c) out.cluster = ISTIO_NAMES.cluster;
  if ('listener' in c) out.listener = ISTIO_NAMES.listener;
  if ('route' in c) out.route = ISTIO_NAMES.route;
  return out as FixChange;
}

/** Diagnoses every sample once: what each names, in order, with its snapshots. */
async function diagnoseSamples(): Promise<Map<string, { rootCauses: RootCause[]; snapshots: Snapshot[] }>> {
  const out = new Map<string, { rootCauses: RootCause[]; snapshots: Snapshot[] }>();
  for (const name of readdirSync(join(ROOT, 'samples')).sort()) {
    const dir = join(ROOT, 'samples', name);
    const { snapshots, notCollected } = await loadOffline({ bundle: dir });
    if (existsSync(join(dir, 'manifests'))) {
      const manifests = await readManifests(join(dir, 'manifests'));
      for (const s of snapshots.filter((x) => x.kubernetes)) s.manifests = manifests;
    }
    const d = await diagnose(snapshots, notCollected);
    out.set(name, { rootCauses: d.rootCauses, snapshots });
  }
  return out;
}

describe('catalogue coverage', async () => {
  const samples = await diagnoseSamples();
  const active = CATALOGUE.filter((e) => e.kind === 'root-cause' && e.status === 'active');
  it('covers every active root cause', () => assert.ok(active.length >= 15, String(active.length)));
  for (const entry of active) {
    const id = entry.id;
    describe(id, () => {
      const rule = RULES.find((r) => r.id === id);
      // Its own sample when there is one, else the first sample that names it.
      const own = samples.get(id);
      const where = own ? id : [...samples.keys()].find((k) => samples.get(k)?.rootCauses.some((r) => r.id === id));
      const named = where ? samples.get(where)?.rootCauses.find((r) => r.id === id) : undefined;

      it('has a rule and a docs page', () => {
        assert.ok(rule, `rule for ${id}`);
        assert.ok(existsSync(join(ROOT, `docs/findings/${id}.md`)));
      });
      it('has a sample that names it (first, in samples/<id>), and a healthy counterpart that names nothing', () => {
        assert.ok(named, `a sample naming ${id}`);
        if (own) assert.equal(own.rootCauses[0]?.id, id);
        if (existsSync(join(ROOT, 'samples', `${id}-healthy`))) assert.deepEqual(samples.get(`${id}-healthy`)?.rootCauses.map((r) => r.id), []);
      });
      for (const { flavor, renderer } of FLAVORS) {
        const why = rule?.noFixFor?.[flavor];
        it(why ? `renders no ${flavor} fix, on purpose: ${why}` : `renders a ${flavor} fix`, () => {
          assert.ok(named, `a sample naming ${id}`);
          const snapshot = samples.get(where as string)?.snapshots.find((s) => s.id === named.snapshot) as Snapshot;
          const changes = flavor === 'istio' ? named.changes.map(retarget) : named.changes;
          const rendered = renderer.render(flavor === 'istio' ? istioSidecar() : snapshot, changes);
          if (why) assert.equal(rendered.length, 0, `${id} says it has no ${flavor} fix, yet one was rendered`);
          else assert.ok(rendered.length > 0, `${id}: no ${flavor} fix for ${named.changes.map((c) => c.kind).join(', ') || 'no changes'}`);
        });
      }
    });
  }
});
