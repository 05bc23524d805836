// The objects of the fake cluster that test/helpers/kube-api.ts serves, what the cluster holds besides them (logs,
// port-forward targets, deny rules), and builders for pods and Deployments linked the way the controllers link them.

import { createHash } from 'node:crypto';
import type { DenyRule } from './kube-refusals.ts';

// ---------------------------------------------------------------------------------------------------------------
// The objects

/** Labels or annotations. */
export type Labels = Record<string, string>;

/** An owner reference. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** Object metadata; `namespace` absent means cluster-scoped. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Labels;
  annotations?: Labels;
  uid?: string;
  ownerReferences?: OwnerReference[];
  creationTimestamp?: string;
  resourceVersion?: string;
  generation?: number;
  [key: string]: unknown;
}

/** Any API object. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** A container in a pod spec. */
export interface FakeContainer {
  name: string;
  image?: string;
  ports?: Array<{ containerPort: number; name?: string; protocol?: string }>;
  [key: string]: unknown;
}

/** A container's status. A `state.waiting` container has no logs yet (400, as kubelet answers). */
export interface FakeContainerStatus {
  name: string;
  ready?: boolean;
  restartCount?: number;
  image?: string;
  state?: { running?: { startedAt?: string }; waiting?: { reason?: string; message?: string }; terminated?: Record<string, unknown> };
  lastState?: Record<string, unknown>;
  [key: string]: unknown;
}

/** A V1Pod-like object. */
export interface FakePod extends KubeObject {
  spec: { containers: FakeContainer[]; initContainers?: FakeContainer[]; nodeName?: string; serviceAccountName?: string; [key: string]: unknown };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: Array<{ type: string; status: string; [key: string]: unknown }>;
    containerStatuses?: FakeContainerStatus[];
    [key: string]: unknown;
  };
}

/** What a port-forward to pod:port reaches: a local TCP port on 127.0.0.1; `undefined` is nothing listening in the
 * pod (the dial fails inside the pod: error channel, then close); 'refuse' fails the upgrade with 500 as an
 * unreachable kubelet does; `{ status, message }` fails it with that Status. */
export type ForwardTarget = number | 'refuse' | { status: number; message: string; reason?: string } | undefined;

/** The cluster the fake API server serves. Every field is read per request, so a test may change it in between. */
export interface FakeCluster {
  pods: FakePod[];
  /** Container logs by `${namespace}/${pod}/${container}`; a missing key is an empty log. */
  logs?: Map<string, string>;
  /** Logs of the previous instance (`previous=true`) by `${namespace}/${pod}/${container}`; missing is a 400. */
  previousLogs?: Map<string, string>;
  /** Custom objects by `${group}/${version}/${plural}`, e.g. `gateway.networking.k8s.io/v1/gateways`. An absent
   * key answers 404 (CRD not installed); an empty array is an installed CRD with no objects. Also takes
   * `apps/v1/statefulsets` and the like. */
  customObjects?: Map<string, KubeObject[]>;
  /** apps/v1 Deployments. */
  deployments?: KubeObject[];
  /** apps/v1 ReplicaSets. */
  replicaSets?: KubeObject[];
  /** Other core v1 objects by plural: `services`, `namespaces`, `configmaps`, ... An absent key is a 404. */
  coreObjects?: Map<string, KubeObject[]>;
  /** Where a port-forward to (namespace, pod, port) connects. */
  forwardTargets?: (namespace: string, pod: string, port: number) => ForwardTarget;
  deny?: DenyRule[];
  /** The user named in 403 messages for the default context: `system:serviceaccount:envoy-doctor:envoy-doctor`. */
  user?: string;
  /** The clock for `sinceSeconds`; default the real one. */
  now?: () => Date;
  /** `GET /version`. */
  version?: { major: string; minor: string; gitVersion: string };
  /** Called before a create or update is applied (after authorisation): a test may change the stored objects here,
   * as another client writing at the same moment would, to provoke a 409. */
  beforeWrite?: (write: { verb: 'create' | 'update'; group: string; resource: string; namespace: string; name: string }) => void;
}

// ---------------------------------------------------------------------------------------------------------------
// Stable names

/** The SHA-256 of a text, in hex: stable names for sandboxes and hashes. */
export function hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A UUID-shaped name derived from a text. */
export function uuidOf(text: string): string {
  const h = hex(text);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Builders

/** A stable UID for a name. */
export const uidFor = (what: string) => uuidOf(`uid/${what}`);

/** Options for `makePod`. */
export interface PodSpec {
  name: string;
  namespace: string;
  labels?: Labels;
  annotations?: Labels;
  /** Containers by name, with container ports; default one `envoy` container with 19001 and 19000. */
  containers?: Array<{ name: string; image?: string; ports?: number[] }>;
  phase?: string;
  ready?: boolean;
  nodeName?: string;
  podIP?: string;
  owner?: { apiVersion?: string; kind: string; name: string };
  restartCount?: number;
}

/** A Running, Ready pod. */
export function makePod(o: PodSpec): FakePod {
  const containers = o.containers ?? [{ name: 'envoy', image: 'docker.io/envoyproxy/envoy:distroless-v1.35.6', ports: [10080, 19001] }];
  const ready = o.ready ?? true;
  const phase = o.phase ?? 'Running';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: o.name,
      namespace: o.namespace,
      uid: uidFor(`pod/${o.namespace}/${o.name}`),
      creationTimestamp: '2025-01-01T00:00:00Z',
      labels: { ...(o.labels ?? {}) },
      ...(o.annotations ? { annotations: { ...o.annotations } } : {}),
      ...(o.owner
        ? {
            ownerReferences: [
              {
                apiVersion: o.owner.apiVersion ?? 'apps/v1',
                kind: o.owner.kind,
                name: o.owner.name,
                uid: uidFor(`${o.owner.kind}/${o.namespace}/${o.owner.name}`),
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          }
        : {}),
    },
    spec: {
      nodeName: o.nodeName ?? 'node-1',
      serviceAccountName: 'default',
      containers: containers.map((c) => ({
        name: c.name,
        ...(c.image ? { image: c.image } : {}),
        ...(c.ports ? { ports: c.ports.map((p) => ({ containerPort: p, protocol: 'TCP' })) } : {}),
      })),
    },
    status: {
      phase,
      podIP: o.podIP ?? '10.244.0.10',
      conditions: [
        { type: 'Ready', status: ready ? 'True' : 'False' },
        { type: 'ContainersReady', status: ready ? 'True' : 'False' },
      ],
      containerStatuses: containers.map((c) => ({
        name: c.name,
        ready,
        restartCount: o.restartCount ?? 0,
        ...(c.image ? { image: c.image } : {}),
        state: phase === 'Running' ? { running: { startedAt: '2025-01-01T00:00:05Z' } } : { waiting: { reason: 'ContainerCreating' } },
      })),
    },
  };
}

/** Options for `makeDeployment`. */
export interface DeploymentSpec {
  name: string;
  namespace: string;
  /** The selector's matchLabels, also on every pod. */
  matchLabels: Labels;
  /** More labels on the pods only. */
  podLabels?: Labels;
  replicas?: number;
  containers?: PodSpec['containers'];
}

/** A Deployment, its current ReplicaSet and its pods, linked by owner references and `pod-template-hash` the way
 * the controllers link them. */
export function makeDeployment(o: DeploymentSpec): { deployment: KubeObject; replicaSet: KubeObject; pods: FakePod[] } {
  const replicas = o.replicas ?? 1;
  const hash = hex(`rs/${o.namespace}/${o.name}`)
    .replace(/[0-9]/g, (d) => 'bcdfghjklm'[Number(d)] as string)
    .slice(0, 10);
  const rsName = `${o.name}-${hash}`;
  const selector = { matchLabels: { ...o.matchLabels } };
  const deployment: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: o.name, namespace: o.namespace, uid: uidFor(`Deployment/${o.namespace}/${o.name}`), generation: 1, labels: { ...o.matchLabels } },
    spec: { replicas, selector, template: { metadata: { labels: { ...o.matchLabels, ...(o.podLabels ?? {}) } }, spec: { containers: [] } } },
    status: { replicas, readyReplicas: replicas, availableReplicas: replicas, updatedReplicas: replicas, observedGeneration: 1 },
  };
  const replicaSet: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: rsName,
      namespace: o.namespace,
      uid: uidFor(`ReplicaSet/${o.namespace}/${rsName}`),
      labels: { ...o.matchLabels, 'pod-template-hash': hash },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: o.name,
          uid: uidFor(`Deployment/${o.namespace}/${o.name}`),
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: { replicas, selector: { matchLabels: { ...o.matchLabels, 'pod-template-hash': hash } } },
    status: { replicas, readyReplicas: replicas, availableReplicas: replicas },
  };
  const pods = Array.from({ length: replicas }, (_, i) =>
    makePod({
      name: `${rsName}-${hex(`pod/${rsName}/${i}`)
        .slice(0, 5)
        .replace(/[0-9]/g, (d) => 'bcdfghjklm'[Number(d)] as string)}`,
      namespace: o.namespace,
      labels: { ...o.matchLabels, ...(o.podLabels ?? {}), 'pod-template-hash': hash },
      owner: { kind: 'ReplicaSet', name: rsName },
      podIP: `10.244.0.${10 + i}`,
      ...(o.containers ? { containers: o.containers } : {}),
    }),
  );
  return { deployment, replicaSet, pods };
}

// ---------------------------------------------------------------------------------------------------------------
// Fixtures

/** The Envoy Gateway and Gateway API objects of a saved `kubernetes.json`, as the custom objects of a fake cluster. */
export function envoyGatewayCustomObjects(objects: Record<string, KubeObject[] | undefined>): Map<string, KubeObject[]> {
  return new Map([
    ['gateway.networking.k8s.io/v1/gateways', objects.gateways ?? []],
    ['gateway.networking.k8s.io/v1/httproutes', objects.httpRoutes ?? []],
    ['gateway.networking.k8s.io/v1/gatewayclasses', objects.gatewayClasses ?? []],
    ['gateway.envoyproxy.io/v1alpha1/backendtrafficpolicies', objects.backendTrafficPolicies ?? []],
    ['gateway.envoyproxy.io/v1alpha1/clienttrafficpolicies', objects.clientTrafficPolicies ?? []],
    ['gateway.envoyproxy.io/v1alpha1/envoyproxies', objects.envoyProxies ?? []],
  ]);
}

/** The labels Envoy Gateway puts on the proxy pods of Gateway `home/eg`. */
export const EG_LABELS = {
  'app.kubernetes.io/name': 'envoy',
  'app.kubernetes.io/component': 'proxy',
  'app.kubernetes.io/managed-by': 'envoy-gateway',
  'gateway.envoyproxy.io/owning-gateway-name': 'eg',
  'gateway.envoyproxy.io/owning-gateway-namespace': 'home',
};
