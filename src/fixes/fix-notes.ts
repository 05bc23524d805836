// Catalogue entries for the coded notes the fix renderers attach to rendered fixes (kind `note`), kept beside the
// renderers that emit them; src/model/catalogue.ts lists them with the rest of the catalogue.

import type { CatalogueEntry } from '../model/catalogue.ts';

const note = (id: string, message: string): CatalogueEntry => ({ id, kind: 'note', status: 'active', title: id, message });

export const FIX_NOTES: readonly CatalogueEntry[] = [
  // Plain Envoy
  note(
    'envoy-live-object-not-kept',
    "the live {resource} was not kept from the config dump (envoy-doctor keeps about 16 MiB of a dump's resources whole): merge the fragment into it by hand, keeping every field it has",
  ),
  note('envoy-field-replaced', 'merged into the live {resource}, the fix replaces {field} on purpose: the merged object leaves it out'),
  note('envoy-change-not-applicable', '{change} does not apply to the live {resource} (a route that redirects or responds directly forwards nothing): it is left as it is'),
  note('envoy-listener-tcp-keepalive', 'Envoy {envoyVersion} has Listener.tcp_keepalive (Envoy >= 1.37): it is set instead of keepalive socket options'),
  note(
    'envoy-listener-keepalive-socket-options',
    "listener keepalive as socket options (Envoy {envoyVersion}): merged by level and name, the listener's other socket options kept; from Envoy 1.37 Listener.tcp_keepalive does the same",
  ),
];
