// Istio's VirtualServices (networking.istio.io), read through @kubernetes/client-node for the Istio proxies of a live
// run: a route's Istio fix changes the http route the route came from (Istio names the VirtualService in the route's
// `metadata.filter_metadata.istio.config`), as a merge patch of the live object. Istio serves networking.istio.io/v1
// since 1.22 and v1beta1 since 1.5 (https://istio.io/latest/docs/reference/config/networking/virtual-service/), so
// v1beta1 is read where v1 is not served.

import type { KubeConfig } from '@kubernetes/client-node';
import type { KubernetesObjects } from '../model/kubernetes.ts';
import { listCustomObjects } from './custom-object-lists.ts';

/**
 * Reads the VirtualServices: cluster-wide when allowed (a VirtualService may serve hosts of other namespaces), else
 * in the given namespaces, those of the proxies; v1beta1 where v1 is not served (404). Refused reads are recorded,
 * never fatal; `virtualServices` is absent when they could not be listed at all.
 */
export async function readVirtualServices(kc: KubeConfig, namespaces: string[]): Promise<Pick<KubernetesObjects, 'virtualServices' | 'unavailable'>> {
  const list = (version: string) => listCustomObjects(kc, { group: 'networking.istio.io', version, plural: 'virtualservices' }, namespaces);
  let listed = await list('v1');
  if (listed.failed === 404) listed = await list('v1beta1');
  return listed.failed === undefined ? { virtualServices: listed.items, unavailable: listed.unavailable } : { unavailable: listed.unavailable };
}
