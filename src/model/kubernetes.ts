// Kubernetes objects that shape an Envoy Gateway proxy, kept as the API returned them (with status), so
// analyzers can see which policy targets what and which one was marked Overridden.
// Envoy Gateway API: envoyproxy/gateway api/v1alpha1; Gateway API: sigs.k8s.io/gateway-api apis/v1.

/** A Kubernetes object as JSON (metadata, spec, status). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; generation?: number; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/** Objects as a Git checkout declares them (`--manifests DIR`). */
export interface Manifests {
  /** The directory they were read from. */
  source: string;
  objects: KubeObject[];
}

/** The lists of namespaced objects every reader fills (empty when none exist). */
export interface ObjectLists {
  gateways: KubeObject[];
  httpRoutes: KubeObject[];
  backendTrafficPolicies: KubeObject[];
  clientTrafficPolicies: KubeObject[];
  envoyProxies: KubeObject[];
}

/** Objects with every list empty and nothing refused: what a reader starts from. */
export function noKubernetesObjects(): KubernetesObjects {
  return { gateways: [], httpRoutes: [], backendTrafficPolicies: [], clientTrafficPolicies: [], envoyProxies: [], unavailable: [] };
}

/** The objects read for one gateway, and what could not be read. */
export interface KubernetesObjects extends ObjectLists {
  /**
   * GatewayClasses (cluster-scoped), for the EnvoyProxy a class references (`spec.parametersRef`). Absent when they
   * were not read (objects saved before envoy-doctor read them, a refused list): then nothing is known of them.
   */
  gatewayClasses?: KubeObject[];
  /** The Envoy Gateway controller's release, the image tag of its Deployment (`v1.8.1`), when it was read. */
  envoyGatewayVersion?: string;
  /** Where that release was read: `Deployment envoy-gateway-system/envoy-gateway, image docker.io/envoyproxy/gateway:v1.8.1`. */
  envoyGatewayController?: string;
  /** Reads that were refused or failed: `list backendtrafficpolicies.gateway.envoyproxy.io in home: forbidden`. */
  unavailable: string[];
  /**
   * Istio VirtualServices (networking.istio.io), read in live runs of Istio proxies or from a `kubernetes.json`: a
   * route's Istio fix changes the http route it came from in the live object. Absent when they were not read.
   */
  virtualServices?: KubeObject[];
}

/** A policy's target reference (`targetRef` or `targetRefs[]`). */
interface TargetRef {
  group: string;
  kind: string;
  name: string;
  sectionName?: string;
}

/** The targets of an Envoy Gateway policy (`spec.targetRef` and `spec.targetRefs`). */
export function policyTargets(policy: KubeObject): TargetRef[] {
  const spec = policy.spec ?? {};
  const refs = [...(Array.isArray(spec.targetRefs) ? spec.targetRefs : []), ...(spec.targetRef ? [spec.targetRef] : [])] as Array<Partial<TargetRef>>;
  return refs
    .filter((r) => typeof r.kind === 'string' && typeof r.name === 'string')
    .map((r) => ({ group: r.group ?? '', kind: r.kind as string, name: r.name as string, ...(r.sectionName ? { sectionName: r.sectionName } : {}) }));
}

/** `Overridden` conditions a policy carries in `status.ancestors[].conditions[]`, with their messages. */
export function overriddenConditions(policy: KubeObject): string[] {
  const ancestors = (policy.status?.ancestors ?? []) as Array<{ conditions?: Array<{ type?: string; status?: string; message?: string }> }>;
  return ancestors.flatMap((a) => (a.conditions ?? []).filter((c) => c.type === 'Overridden' && c.status === 'True').map((c) => c.message ?? ''));
}

/** Route names an Overridden message lists (`... for these routes: [home/app other/api]`). */
export function routesInMessage(message: string): Array<{ namespace: string; name: string }> {
  const list = /\[([^\]]*)\]/.exec(message)?.[1] ?? '';
  return list
    .split(/[\s,]+/)
    .map((s) => s.split('/'))
    .filter((p): p is [string, string] => p.length === 2 && p[0] !== '' && p[1] !== '')
    .map(([namespace, name]) => ({ namespace, name }));
}

/**
 * The generation at which a policy's status says it was accepted: an ancestor with `Accepted` True observed at the
 * object's current generation (or with no generation to compare); undefined when no ancestor says so.
 */
export function acceptedGeneration(policy: KubeObject): number | undefined {
  const ancestors = (policy.status?.ancestors ?? []) as Array<{ conditions?: Array<{ type?: string; status?: string; observedGeneration?: number }> }>;
  const current = policy.metadata.generation;
  for (const a of ancestors) {
    for (const c of a.conditions ?? []) {
      if (c.type !== 'Accepted' || c.status !== 'True') continue;
      if (current === undefined || c.observedGeneration === undefined || c.observedGeneration === current) return current ?? c.observedGeneration ?? 0;
    }
  }
  return undefined;
}

/** The `<namespace>/<name>` of an object. */
export function objectKey(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

/** BackendTrafficPolicies that target a route directly. */
export function routeBackendPolicies(k: KubernetesObjects, kind: string, namespace: string, name: string): KubeObject[] {
  return k.backendTrafficPolicies.filter((p) => p.metadata.namespace === namespace && policyTargets(p).some((t) => t.kind === kind && t.name === name));
}
