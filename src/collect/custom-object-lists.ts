// Listing a kind of custom object the way every Kubernetes read of envoy-doctor does: cluster-wide when RBAC allows
// it, else (403) in each namespace the proxies name, which a namespaced Role allows. A refused or failed list is
// recorded as a line of `unavailable`, never fatal.

import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from '../model/kubernetes.ts';
import { kubeFailure, kubernetesClient } from './kubernetes-api.ts';

/** A kind of custom object: its API group and version, its plural; a cluster-scoped one is only listed cluster-wide. */
export interface CustomKind {
  group: string;
  version: string;
  plural: string;
  clusterScoped?: boolean;
}

/** The objects listed, the lists that failed, and the status of a cluster-wide list that failed other than 403. */
interface ListedObjects {
  items: KubeObject[];
  unavailable: string[];
  /** Nothing was listed: the cluster-wide list failed with this status (404: the version is not served). */
  failed?: number;
}

/** Lists a kind cluster-wide, else in each of `namespaces`. */
export async function listCustomObjects(kc: KubeConfig, kind: CustomKind, namespaces: string[]): Promise<ListedObjects> {
  const { CustomObjectsApi } = await kubernetesClient();
  const api = kc.makeApiClient(CustomObjectsApi);
  const path = { group: kind.group, version: kind.version, plural: kind.plural };
  const resource = `${kind.plural}.${kind.group}`;
  try {
    const list = (await api.listClusterCustomObject(path)) as { items?: KubeObject[] };
    return { items: list.items ?? [], unavailable: [] };
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (code !== 403 || kind.clusterScoped) return { items: [], unavailable: [kubeFailure(err, 'list', resource).message], failed: code ?? 0 };
  }
  const out: ListedObjects = { items: [], unavailable: [`forbidden: list ${resource} cluster-wide; read only in ${namespaces.join(', ')}`] };
  for (const namespace of namespaces) {
    try {
      const list = (await api.listNamespacedCustomObject({ ...path, namespace })) as { items?: KubeObject[] };
      out.items.push(...(list.items ?? []));
    } catch (err) {
      out.unavailable.push(kubeFailure(err, 'list', resource, namespace).message);
    }
  }
  return out;
}
