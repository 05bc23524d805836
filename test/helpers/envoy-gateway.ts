// An Envoy Gateway proxy in small: one HTTPRoute rule's cluster and route behind a Gateway listener, named as Envoy
// Gateway names them (`httproute/<ns>/<route>/rule/<i>`, `<gateway ns>/<gateway>/<listener>`), built through the real
// parsers. Fixes of a sample captured from plain Envoy are rendered for Envoy Gateway on it.

import type { Snapshot } from '../../src/model/snapshot.ts';
import { fixture, gatewayCluster, gatewayListener, routeConfig } from './snapshot.ts';

/** The names of the proxy's entities. */
export const GATEWAY_NAMES = {
  cluster: 'httproute/shop/api/rule/0',
  listener: 'shop/eg/http',
  route: 'httproute/shop/api/rule/0/match/0',
} as const;

/** An Envoy Gateway-flavored snapshot. */
export function gatewayProxy(): Snapshot {
  return fixture({
    id: 'envoy-shop-eg-5f7c9b8d6-k2m4p',
    clusters: [gatewayCluster(GATEWAY_NAMES.cluster)],
    listeners: [gatewayListener({ name: GATEWAY_NAMES.listener, port: 10080, routeConfig: 'shop/eg/http' })],
    routeConfigs: [routeConfig('shop/eg/http', [GATEWAY_NAMES.cluster])],
  });
}
