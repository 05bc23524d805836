// Catalogue entries still declared in one list, while their analyzers, root causes and fix kinds move to declaring
// them. Ids are stable and never reused. Titles and message templates live here so every reporter says the same thing;
// `{name}` placeholders are filled from a finding's evidence, `{name|one|many}` picks the words that agree with
// its number, and `[?...]` is left out when a value it names was not measured (src/report/format.ts).

import type { CatalogueEntry } from './catalogue-entry.ts';
import { FIX_NOTES } from './fix-notes.ts';

const rootCause = (id: string, title: string, message: string): CatalogueEntry => ({
  id,
  kind: 'root-cause',
  status: 'active',
  title,
  message,
  docs: `docs/findings/${id}.md`,
});
const note = (id: string, message: string): CatalogueEntry => ({ id, kind: 'note', status: 'active', title: id, message });

/** Catalogue entries not yet declared by the module they belong to (src/report/catalogue.ts derives the rest). */
export const LEGACY_CATALOGUE: readonly CatalogueEntry[] = [
  // Findings
  // Findings of the long-lived-connection catalogue (timers)
  // Findings of the long-lived-connection catalogue (limits and protocols)
  // Findings about the inputs themselves
  // Root causes shipped now
  // Root causes of the long-lived-connection catalogue (timers)
  // Root causes of the long-lived-connection catalogue (limits and protocols)
  rootCause(
    'request-buffer-blocks-upgrade',
    'Request buffering blocks the WebSocket upgrade',
    'the buffer filter holds upgrade requests on {route} for a body that never ends',
  ),
  // Findings and explanations of stats-unavailable
  note(
    'stats-matches-replace-list',
    'the list replaces the inclusion list in effect: it keeps its {kept} patterns and adds the prefixes; changing it restarts the proxies',
  ),
  note('bootstrap-needs-restart', 'the stats matcher is read from the bootstrap at start: restart (or hot-restart) Envoy with it'),
  note(
    'istio-annotation-rolls-pods',
    'the sidecar reads proxy.istio.io/config when it starts: this patch rolls the pods of {workload}; merge it with any proxy.istio.io/config they already carry',
  ),
  // What root causes explain
  // Notes on rendered fixes
  note(
    'policy-may-be-overridden',
    'mergeType: StrategicMerge keeps the fields of a gateway-level policy (Envoy Gateway >= 1.4); if a route-level BackendTrafficPolicy already targets {route}, add these fields to it instead of applying a second one',
  ),
  note(
    'client-policy-may-be-overridden',
    'a ClientTrafficPolicy for listener {listener} wins over one for the whole Gateway {gateway}: copy any fields the Gateway-wide policy sets into this one, or add these fields there if one already targets the listener',
  ),
  note('patches-winning-policy', 'this is the live {policy} with the fields added and everything it already sets kept: it is the policy that wins for the route'),
  note(
    'patches-named-policy',
    "the proxy's configuration names {policy} as the BackendTrafficPolicy of {route} and no other route: this merge patch sets only these fields in it and keeps everything else it sets (a second policy on the same route would be ignored)",
  ),
  note('remove-policy-field', 'the limit to lift is {field}: remove it from the policy that sets it (unset means unlimited)'),
  note(
    'listener-limit-pauses-upstream',
    "the listener's buffer limit is the downstream write watermark that pauses upstream reads (the cluster's does not move the pause): a larger one lets bursts up to it reach slow clients without a pause, and does not end the heartbeat closes of a client that stays slow, whose answers wait behind the unread bytes wherever they are buffered (measured: docs/lab.md)",
  ),
  note('envoy-patch-policy-enable', 'EnvoyPatchPolicy is applied only when the EnvoyGateway configuration sets extensionApis.enableEnvoyPatchPolicy: true'),
  note(
    'alpn-http11-alternative',
    'without patches: a ClientTrafficPolicy with tls.alpnProtocols [http/1.1] for the listeners of {gateway} makes every client use HTTP/1.1 there, WebSockets included, at the cost of HTTP/2 for pages',
  ),
  note('envoyproxy-reference', 'reference EnvoyProxy {envoyProxy} from Gateway {gateway} (spec.infrastructure.parametersRef), or add the field to the EnvoyProxy its GatewayClass already references'),
  note('drain-timeout-slows-shutdown', 'drainTimeout ({drainSeconds}) is also how long a proxy pod drains when it stops: keep terminationGracePeriodSeconds above it'),
  note('envoyfilter-add-workload-selector', 'without a workloadSelector this EnvoyFilter applies to every proxy in {namespace}: add the workload\'s labels to narrow it'),
  ...FIX_NOTES,
];
