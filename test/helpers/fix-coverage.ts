// The samples diagnosed once, and each root cause's changes rendered for every flavor: on the sample's own proxy
// for Envoy Gateway and plain Envoy, and retargeted at an Istio sidecar's names for Istio.

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadOffline } from '../../src/collect/files.ts';
import { readManifests } from '../../src/collect/manifests.ts';
import { diagnose } from '../../src/cli/diagnosis.ts';
import { envoyRenderer } from '../../src/fixes/envoy.ts';
import { envoyGatewayRenderer } from '../../src/fixes/envoy-gateway.ts';
import { istioRenderer } from '../../src/fixes/istio.ts';
import type { FixRenderer } from '../../src/fixes/renderer.ts';
import type { FixChange, RenderedFix, RootCause } from '../../src/model/finding.ts';
import type { Flavor, Snapshot } from '../../src/model/snapshot.ts';
import { ROOT } from './cli.ts';
import { GATEWAY_NAMES, gatewayProxy } from './envoy-gateway.ts';
import { ISTIO_NAMES, istioSidecar } from './istio.ts';

/** Each flavor with its renderer. */
export const FLAVORS: Array<{ flavor: Flavor; renderer: FixRenderer }> = [
  { flavor: 'envoy-gateway', renderer: envoyGatewayRenderer },
  { flavor: 'envoy', renderer: envoyRenderer },
  { flavor: 'istio', renderer: istioRenderer },
];

/** A change aimed at another proxy's cluster, listener or route (the Istio sidecar's by default) instead of the sample's. */
export function retarget(c: FixChange, names: { cluster: string; listener: string; route: string } = ISTIO_NAMES): FixChange {
  const out = { ...c } as Record<string, unknown>;
  if ('cluster' in c) out.cluster = names.cluster;
  if ('listener' in c) out.listener = names.listener;
  if ('route' in c) out.route = names.route;
  return out as FixChange;
}

/** What one sample's diagnosis named, with its snapshots. */
export interface SampleDiagnosis {
  rootCauses: RootCause[];
  snapshots: Snapshot[];
}

/** Diagnoses every sample (with its `manifests/` folder when it has one). */
export async function diagnoseSamples(): Promise<Map<string, SampleDiagnosis>> {
  const out = new Map<string, SampleDiagnosis>();
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

/** A root cause's changes rendered for one flavor. */
export function renderFor(flavor: Flavor, sample: SampleDiagnosis, rc: RootCause): RenderedFix[] {
  const renderer = FLAVORS.find((f) => f.flavor === flavor)?.renderer as FixRenderer;
  if (flavor === 'istio')
    return renderer
      .render(
        istioSidecar(),
        rc.changes.map((c) => retarget(c)),
      )
      .map((r) => r.fix);
  const snapshot = sample.snapshots.find((s) => s.id === rc.snapshot) as Snapshot;
  // A sample captured from plain Envoy has no xRoute behind its clusters: Envoy Gateway's fix is rendered on a small
  // Envoy Gateway proxy, its changes aimed at that proxy's names.
  if (flavor === 'envoy-gateway' && snapshot.flavor === 'envoy')
    return renderer
      .render(
        gatewayProxy(),
        rc.changes.map((c) => retarget(c, GATEWAY_NAMES)),
      )
      .map((r) => r.fix);
  return renderer.render(snapshot, rc.changes).map((r) => r.fix);
}
