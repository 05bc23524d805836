// The Envoy Gateway objects that configure the proxies, read with their status through @kubernetes/client-node: the
// Gateway API's Gateways, HTTPRoutes and GatewayClasses (sigs.k8s.io/gateway-api apis/v1; a class references its
// EnvoyProxy in `spec.parametersRef`), Envoy Gateway's BackendTrafficPolicies, ClientTrafficPolicies and EnvoyProxies
// (gateway.envoyproxy.io/v1alpha1), and the release of the controller, the image tag of its Deployment (`envoy-gateway`
// in `envoy-gateway-system`, as the gateway-helm chart installs it: charts/gateway-helm/templates/
// envoy-gateway-deployment.yaml).

import type { KubeConfig } from '@kubernetes/client-node';
import { imageRelease } from '../model/envoy-gateway-version.ts';
import { type KubernetesObjects, noKubernetesObjects, type ObjectLists } from '../model/kubernetes.ts';
import { type CustomKind, listCustomObjects } from './custom-object-lists.ts';
import { ENVOY_GATEWAY_NAMESPACE, kubeFailure, kubernetesClient } from './kubernetes-api.ts';

const GATEWAY_API = { group: 'gateway.networking.k8s.io', version: 'v1' };
const ENVOY_GATEWAY_API = { group: 'gateway.envoyproxy.io', version: 'v1alpha1' };

/** The Envoy Gateway controller's Deployment and container, as the gateway-helm chart names them. */
export const CONTROLLER = { namespace: ENVOY_GATEWAY_NAMESPACE, name: 'envoy-gateway', container: 'envoy-gateway' };

/** The kinds read for Envoy Gateway, with where they go in the model. */
const OBJECT_KINDS: Array<CustomKind & { key: keyof ObjectLists | 'gatewayClasses' }> = [
  { key: 'gateways', ...GATEWAY_API, plural: 'gateways' },
  { key: 'httpRoutes', ...GATEWAY_API, plural: 'httproutes' },
  { key: 'gatewayClasses', ...GATEWAY_API, plural: 'gatewayclasses', clusterScoped: true },
  { key: 'backendTrafficPolicies', ...ENVOY_GATEWAY_API, plural: 'backendtrafficpolicies' },
  { key: 'clientTrafficPolicies', ...ENVOY_GATEWAY_API, plural: 'clienttrafficpolicies' },
  { key: 'envoyProxies', ...ENVOY_GATEWAY_API, plural: 'envoyproxies' },
];

/** The controller's release and where it was read, from its Deployment (the API's or a bundle's); none for an image without a release tag. */
export function controllerRelease(d: {
  metadata?: { name?: string; namespace?: string };
  spec?: { template?: { spec?: { containers?: Array<{ name?: string; image?: string }> } } };
}): Pick<KubernetesObjects, 'envoyGatewayVersion' | 'envoyGatewayController'> | undefined {
  const containers = d.spec?.template?.spec?.containers ?? [];
  const image = (containers.find((c) => c.name === CONTROLLER.container) ?? containers[0])?.image;
  const version = image === undefined ? undefined : imageRelease(image);
  if (version === undefined) return undefined;
  return {
    envoyGatewayVersion: version,
    envoyGatewayController: `Deployment ${d.metadata?.namespace ?? CONTROLLER.namespace}/${d.metadata?.name ?? CONTROLLER.name}, image ${image}`,
  };
}

/** The Envoy Gateway release the controller's Deployment runs, or why it could not be read (nothing when it is not there). */
async function readController(
  kc: KubeConfig,
): Promise<Pick<KubernetesObjects, 'envoyGatewayVersion' | 'envoyGatewayController'> | { unavailable: string } | undefined> {
  const { AppsV1Api } = await kubernetesClient();
  try {
    return controllerRelease(await kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: CONTROLLER.name, namespace: CONTROLLER.namespace }));
  } catch (err) {
    // Installed elsewhere, or under another name: the release is then judged from the objects.
    if ((err as { code?: number }).code === 404) return undefined;
    return { unavailable: kubeFailure(err, 'get', `deployments/${CONTROLLER.name}`, CONTROLLER.namespace).message };
  }
}

/**
 * Reads the Envoy Gateway objects with their status: cluster-wide when allowed, else in the given namespaces; and the
 * controller's release. Refused reads are recorded, never fatal.
 */
export async function readGatewayObjects(kc: KubeConfig, namespaces: string[]): Promise<KubernetesObjects> {
  const out = noKubernetesObjects();
  for (const kind of OBJECT_KINDS) {
    const listed = await listCustomObjects(kc, kind, namespaces);
    // GatewayClasses not listed stay absent: nothing is known of them.
    if (kind.key !== 'gatewayClasses') out[kind.key].push(...listed.items);
    else if (listed.failed === undefined) out.gatewayClasses = listed.items;
    out.unavailable.push(...listed.unavailable);
  }
  const controller = await readController(kc);
  if (controller && 'unavailable' in controller) out.unavailable.push(controller.unavailable);
  else if (controller) Object.assign(out, controller);
  return out;
}
