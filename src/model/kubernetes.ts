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

/** The objects read for one gateway, and what could not be read. */
export interface KubernetesObjects {
  gateways: KubeObject[];
  httpRoutes: KubeObject[];
  backendTrafficPolicies: KubeObject[];
  clientTrafficPolicies: KubeObject[];
  envoyProxies: KubeObject[];
  /** Reads that were refused or failed: `list backendtrafficpolicies.gateway.envoyproxy.io in home: forbidden`. */
  unavailable: string[];
}
