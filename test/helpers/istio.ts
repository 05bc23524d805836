// An Istio sidecar in small: one outbound cluster, the inbound listener and one route, named as Istio names them
// (`outbound|<port>||<host>`, `virtualInbound`), built through the real parsers.

import type { Snapshot } from '../../src/model/snapshot.ts';
import { fixture, gatewayListener, routeConfig } from './snapshot.ts';

/** The names of the sidecar's entities. */
export const ISTIO_NAMES = {
  cluster: 'outbound|8123||home-assistant.home.svc.cluster.local',
  listener: 'virtualInbound',
  route: 'home-assistant.home.svc.cluster.local:8123/default',
} as const;

/** An Istio-flavored snapshot in namespace `home`. */
export function istioSidecar(): Snapshot {
  const s = fixture({
    id: 'home-assistant-6d5f7c9b8-x2x7q',
    bootstrap: { node: { id: 'sidecar~10.0.0.7~home-assistant-6d5f7c9b8-x2x7q.home~home.svc.cluster.local', metadata: { ISTIO_VERSION: '1.29.2' } } },
    clusters: [{ name: ISTIO_NAMES.cluster, type: 'EDS' }],
    listeners: [gatewayListener({ name: ISTIO_NAMES.listener, port: 15006, routeConfig: '8123' })],
    routeConfigs: [routeConfig('8123', [ISTIO_NAMES.cluster])],
  });
  s.namespace = 'home';
  return s;
}
