// Istio's VirtualServices (networking.istio.io), read through @kubernetes/client-node for the Istio proxies of a live
// run: a route's Istio fix changes the http route the route came from (Istio names the VirtualService in the route's
// `metadata.filter_metadata.istio.config`), as a merge patch of the live object. Istio serves networking.istio.io/v1
// since 1.22 and v1beta1 since 1.5 (https://istio.io/latest/docs/reference/config/networking/virtual-service/), so
// v1beta1 is read where v1 is not served.

import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject, KubernetesObjects } from '../model/kubernetes.ts';
import { kubeFailure, kubernetesClient } from './kubernetes-api.ts';

const GROUP = 'networking.istio.io';
const PLURAL = 'virtualservices';
const RESOURCE = `${PLURAL}.${GROUP}`;
/** The versions tried, newest first: a 404 means this one is not served; from the last, that the CRD is not installed. */
const VERSIONS = ['v1', 'v1beta1'] as const;

/** What was read: the VirtualServices (absent when they could not be listed at all) and the reads that failed. */
type IstioObjects = Pick<KubernetesObjects, 'virtualServices' | 'unavailable'>;

/**
 * Reads the VirtualServices: cluster-wide when allowed (a VirtualService may serve hosts of other namespaces), else
 * in the given namespaces, those of the proxies. Refused reads are recorded, never fatal.
 */
export async function readVirtualServices(kc: KubeConfig, namespaces: string[]): Promise<IstioObjects> {
  const { CustomObjectsApi } = await kubernetesClient();
  const api = kc.makeApiClient(CustomObjectsApi);
  for (const version of VERSIONS) {
    try {
      const list = (await api.listClusterCustomObject({ group: GROUP, version, plural: PLURAL })) as { items?: KubeObject[] };
      return { virtualServices: list.items ?? [], unavailable: [] };
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === 404 && version !== VERSIONS[VERSIONS.length - 1]) continue;
      if (code !== 403) return { unavailable: [kubeFailure(err, 'list', RESOURCE).message] };
    }
    const out: IstioObjects = { virtualServices: [], unavailable: [`forbidden: list ${RESOURCE} cluster-wide; read only in ${namespaces.join(', ')}`] };
    for (const namespace of namespaces) {
      try {
        const list = (await api.listNamespacedCustomObject({ group: GROUP, version, namespace, plural: PLURAL })) as { items?: KubeObject[] };
        out.virtualServices?.push(...(list.items ?? []));
      } catch (err) {
        out.unavailable.push(kubeFailure(err, 'list', RESOURCE, namespace).message);
      }
    }
    return out;
  }
  return { unavailable: [] };
}
