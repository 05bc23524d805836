// The note types: every coded note a fix renderer or a fix kind attaches to a rendered fix, collected for the catalogue
// (src/report/catalogue.ts) from the modules that declare them, imported by name (no directory listing at run time).
// A note is declared with `noteType<Values>()(id, template)` beside the code that attaches it: in its fix kind's
// module when one kind attaches it (listed in the kind's `noteTypes`), in the renderer file that attaches it, or in
// notes.ts when several renderers do; each renderer file exports its own as NOTE_TYPES, listed here.

import type { NoteType } from '../model/catalogue-entry.ts';
import * as cost from './cost.ts';
import * as envoy from './envoy.ts';
import * as envoyGateway from './envoy-gateway.ts';
import * as envoyGatewayPolicy from './envoy-gateway-policy.ts';
import * as envoyMerge from './envoy-merge.ts';
import * as envoyProxyObject from './envoy-proxy-object.ts';
import * as istio from './istio.ts';
import * as istioVirtualService from './istio-virtual-service.ts';
import { KIND_NOTE_TYPES } from './kinds/index.ts';
import * as shared from './notes.ts';
import * as overloadManager from './overload-limits.ts';
import * as statsInclusion from './stats-inclusion-list.ts';
import * as versions from './versions.ts';

/** Every note type, the renderers' then the fix kinds'. */
export const NOTE_TYPES: readonly NoteType<object>[] = [
  ...shared.NOTE_TYPES,
  ...envoy.NOTE_TYPES,
  ...envoyMerge.NOTE_TYPES,
  ...overloadManager.NOTE_TYPES,
  ...statsInclusion.NOTE_TYPES,
  ...cost.NOTE_TYPES,
  ...envoyGateway.NOTE_TYPES,
  ...envoyGatewayPolicy.NOTE_TYPES,
  ...envoyProxyObject.NOTE_TYPES,
  ...versions.NOTE_TYPES,
  ...istio.NOTE_TYPES,
  ...istioVirtualService.NOTE_TYPES,
  ...KIND_NOTE_TYPES,
];
