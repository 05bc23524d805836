// Rendering the fixes of a snapshot's root causes: all changes are merged per target object first, so the
// policy for one route carries every field any root cause needs and two outputs never conflict.

import type { Diagnosed, FixChange, RenderedFix, RootCause } from '../model/finding.ts';
import type { Flavor, Snapshot } from '../model/snapshot.ts';
import { costNotes } from './kinds/index.ts';
import { envoyRenderer } from './envoy.ts';
import { envoyGatewayRenderer } from './envoy-gateway.ts';
import { istioRenderer } from './istio.ts';
import { appendNotes } from './lazy-fix.ts';
import type { FixRenderer } from './renderer.ts';

/** Renderers used for a snapshot of each flavor: its control plane's objects first, then plain Envoy fields. */
const RENDERERS: Record<Flavor, FixRenderer[]> = {
  'envoy-gateway': [envoyGatewayRenderer, envoyRenderer],
  istio: [istioRenderer, envoyRenderer],
  envoy: [envoyRenderer],
};

/** Attaches rendered fixes to one snapshot's root causes. */
export function attachFixes(s: Snapshot, diagnosed: Diagnosed[]): RootCause[] {
  const all = diagnosed.flatMap((d) => d.changes);
  const rendered = RENDERERS[s.flavor].flatMap((r) => r.render(s, all));
  // What each fix costs, the same under every flavor (for a fix not read yet, when it is).
  for (const r of rendered) appendNotes(r.fix, costNotes, s, r.changes);
  // Which rendered objects each change landed in, so a root cause finds its fixes without scanning them all.
  const byChange = new Map<FixChange, number[]>();
  rendered.forEach((r, i) => {
    for (const c of r.changes) {
      const at = byChange.get(c);
      if (at) at.push(i);
      else byChange.set(c, [i]);
    }
  });
  return diagnosed.map((d) => {
    const indexes = [...new Set(d.changes.flatMap((c) => byChange.get(c) ?? []))].sort((a, b) => a - b);
    const fixes: RenderedFix[] = indexes.map((i) => (rendered[i] as (typeof rendered)[number]).fix);
    return { ...d, seenOn: [d.snapshot], fixes };
  });
}
