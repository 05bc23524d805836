// The objects the fake Kubernetes API server (test/helpers/kube-api.ts) serves, read from the cluster per request:
// lists with label and field selectors and continue tokens, reads, creates and updates, and discovery.
//
// - A custom resource whose `${group}/${version}/${plural}` key is absent from `customObjects` is a CRD that is
//   not installed: 404 "the server could not find the requested resource".
// - Writes follow the registry's rules for ConfigMaps: every write gets the next resourceVersion; a create of an
//   existing name is 409 AlreadyExists, and a create that sets resourceVersion is 400; an update of a missing
//   object is 404 (no create on update); an update carrying a resourceVersion other than the stored one is 409
//   Conflict ("the object has been modified"), one without a resourceVersion is unconditional.

import { type FakeCluster, type FakePod, type KubeObject, uidFor } from './kube-cluster.ts';
import { boolParam, fieldFilter, intParam, type LabelRequirement, matchesLabels, parseLabelSelector } from './kube-query.ts';
import { badRequest, HttpError, notFound, qualified } from './kube-refusals.ts';

/** Kind and scope of the resources the fake knows by name; others take their items' kind and are namespaced. */
const KINDS: Record<string, { kind: string; namespaced: boolean }> = {
  '/pods': { kind: 'Pod', namespaced: true },
  '/services': { kind: 'Service', namespaced: true },
  '/endpoints': { kind: 'Endpoints', namespaced: true },
  '/configmaps': { kind: 'ConfigMap', namespaced: true },
  '/secrets': { kind: 'Secret', namespaced: true },
  '/events': { kind: 'Event', namespaced: true },
  '/serviceaccounts': { kind: 'ServiceAccount', namespaced: true },
  '/namespaces': { kind: 'Namespace', namespaced: false },
  '/nodes': { kind: 'Node', namespaced: false },
  'apps/deployments': { kind: 'Deployment', namespaced: true },
  'apps/replicasets': { kind: 'ReplicaSet', namespaced: true },
  'apps/statefulsets': { kind: 'StatefulSet', namespaced: true },
  'apps/daemonsets': { kind: 'DaemonSet', namespaced: true },
  'gateway.networking.k8s.io/gatewayclasses': { kind: 'GatewayClass', namespaced: false },
  'gateway.networking.k8s.io/gateways': { kind: 'Gateway', namespaced: true },
  'gateway.networking.k8s.io/httproutes': { kind: 'HTTPRoute', namespaced: true },
  'gateway.networking.k8s.io/grpcroutes': { kind: 'GRPCRoute', namespaced: true },
  'gateway.networking.k8s.io/tlsroutes': { kind: 'TLSRoute', namespaced: true },
  'gateway.networking.k8s.io/tcproutes': { kind: 'TCPRoute', namespaced: true },
  'gateway.networking.k8s.io/udproutes': { kind: 'UDPRoute', namespaced: true },
  'gateway.networking.k8s.io/referencegrants': { kind: 'ReferenceGrant', namespaced: true },
  'gateway.networking.k8s.io/backendtlspolicies': { kind: 'BackendTLSPolicy', namespaced: true },
  'gateway.envoyproxy.io/backendtrafficpolicies': { kind: 'BackendTrafficPolicy', namespaced: true },
  'gateway.envoyproxy.io/clienttrafficpolicies': { kind: 'ClientTrafficPolicy', namespaced: true },
  'gateway.envoyproxy.io/envoyproxies': { kind: 'EnvoyProxy', namespaced: true },
  'gateway.envoyproxy.io/securitypolicies': { kind: 'SecurityPolicy', namespaced: true },
  'gateway.envoyproxy.io/envoypatchpolicies': { kind: 'EnvoyPatchPolicy', namespaced: true },
  'gateway.envoyproxy.io/envoyextensionpolicies': { kind: 'EnvoyExtensionPolicy', namespaced: true },
  'gateway.envoyproxy.io/backends': { kind: 'Backend', namespaced: true },
  'gateway.envoyproxy.io/httproutefilters': { kind: 'HTTPRouteFilter', namespaced: true },
  'networking.istio.io/virtualservices': { kind: 'VirtualService', namespaced: true },
  'networking.istio.io/destinationrules': { kind: 'DestinationRule', namespaced: true },
  'networking.istio.io/gateways': { kind: 'Gateway', namespaced: true },
  'networking.istio.io/envoyfilters': { kind: 'EnvoyFilter', namespaced: true },
  'networking.istio.io/sidecars': { kind: 'Sidecar', namespaced: true },
  'networking.istio.io/serviceentries': { kind: 'ServiceEntry', namespaced: true },
};

/** Where a request points: the resource, and the object and subresource when named. */
export interface ResourcePath {
  group: string;
  version: string;
  namespace: string;
  resource: string;
  name: string;
  subresource: string;
}

/** Splits a resource path as the API server's RequestInfoFactory does; undefined for non-resource paths. */
export function parseResourcePath(segments: string[]): ResourcePath | undefined {
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api' && segments.length >= 3) {
    group = '';
    version = segments[1] as string;
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    group = segments[1] as string;
    version = segments[2] as string;
    rest = segments.slice(3);
  } else {
    return undefined;
  }
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length >= 2) {
    namespace = rest[1] as string;
    if (rest.length === 2) return { group, version, namespace: '', resource: 'namespaces', name: namespace, subresource: '' };
    rest = rest.slice(2);
  }
  return { group, version, namespace, resource: rest[0] as string, name: rest[1] ?? '', subresource: rest[2] ?? '' };
}

/** The objects behind one resource, with their kind and scope. */
export interface Resource {
  objects: KubeObject[];
  kind: string;
  namespaced: boolean;
}

export const apiVersionOf = (group: string, version: string) => (group ? `${group}/${version}` : version);

/** A copy of an object with its apiVersion and kind filled in. */
export const withType = (o: KubeObject, apiVersion: string, kind: string): KubeObject => {
  const copy = structuredClone(o);
  return { apiVersion: copy.apiVersion ?? apiVersion, kind: copy.kind ?? kind, ...copy } as KubeObject;
};

const key = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** The cluster's objects as the API server serves them. */
export class ObjectStore {
  private readonly cluster: FakeCluster;
  private resourceVersion = 1000;

  constructor(cluster: FakeCluster) {
    this.cluster = cluster;
  }

  /** The objects behind a resource, or undefined when the server does not serve it. */
  resource(group: string, version: string, resource: string): Resource | undefined {
    const cluster = this.cluster;
    let objects: KubeObject[] | undefined;
    if (group === '' && version === 'v1') objects = resource === 'pods' ? cluster.pods : cluster.coreObjects?.get(resource);
    else if (group === 'apps' && version === 'v1' && resource === 'deployments') objects = cluster.deployments ?? [];
    else if (group === 'apps' && version === 'v1' && resource === 'replicasets') objects = cluster.replicaSets ?? [];
    else objects = cluster.customObjects?.get(`${group}/${version}/${resource}`);
    if (!objects) return undefined;
    const known = KINDS[`${group}/${resource}`];
    const kind = known?.kind ?? objects.find((o) => o.kind)?.kind ?? resource.replace(/s$/, '').replace(/^./, (c) => c.toUpperCase());
    const namespaced = known?.namespaced ?? (objects.length === 0 || objects.some((o) => o.metadata.namespace));
    return { objects, kind, namespaced };
  }

  /** A list, with label and field selectors, `limit` and `continue`. */
  list(rp: ResourcePath, store: Resource, params: URLSearchParams) {
    if (boolParam(params, 'watch')) throw badRequest('watch is not supported by the fake API server');
    const labelText = params.get('labelSelector') ?? '';
    let reqs: LabelRequirement[];
    try {
      reqs = parseLabelSelector(labelText);
    } catch (err) {
      throw badRequest((err as Error).message);
    }
    const fields = fieldFilter(params.get('fieldSelector') ?? '', `${rp.group}/${rp.resource}`);
    // etcd order: by namespace, then name.
    let items = store.objects
      .filter((o) => (!rp.namespace || o.metadata.namespace === rp.namespace) && matchesLabels(reqs, o.metadata.labels) && fields(o))
      .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    const limit = intParam(params, 'limit');
    const token = params.get('continue');
    let offset = 0;
    if (token) {
      try {
        offset = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { offset: number }).offset;
      } catch {
        throw new HttpError(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result.');
      }
    }
    const metadata: Record<string, unknown> = { resourceVersion: String(this.resourceVersion) };
    if (limit !== undefined && limit > 0) {
      const page = items.slice(offset, offset + limit);
      const left = items.length - offset - page.length;
      if (left > 0) {
        metadata.continue = Buffer.from(JSON.stringify({ offset: offset + page.length })).toString('base64url');
        metadata.remainingItemCount = left;
      }
      items = page;
    } else if (offset) {
      items = items.slice(offset);
    }
    const apiVersion = apiVersionOf(rp.group, rp.version);
    // Built-in lists carry bare items; custom resource lists carry apiVersion and kind on each.
    const custom = rp.group !== '' && rp.group !== 'apps';
    return {
      apiVersion,
      kind: `${store.kind}List`,
      metadata,
      items: items.map((o) => (custom ? withType(o, apiVersion, store.kind) : structuredClone(o))),
    };
  }

  /** The object a path names; 404 when there is none. */
  find(rp: ResourcePath, store: Resource): KubeObject {
    const o = store.objects.find((x) => x.metadata.name === rp.name && (x.metadata.namespace ?? '') === rp.namespace);
    if (!o) throw notFound(rp.group, rp.resource, rp.name);
    return o;
  }

  /** The pod a `pods/NAME/...` path names; 404 when there is none. */
  pod(rp: ResourcePath): FakePod {
    return this.find(rp, this.resource('', 'v1', 'pods') as Resource) as FakePod;
  }

  /** A create or update, with the checks the API server's generic registry makes. */
  write(verb: 'create' | 'update', rp: ResourcePath, store: Resource, text: string): KubeObject {
    let body: KubeObject;
    try {
      body = JSON.parse(text) as KubeObject;
    } catch {
      throw badRequest('the body of the request was in an unknown format - accepted media types include: application/json, application/yaml');
    }
    if (!body || typeof body !== 'object' || typeof body.metadata !== 'object' || body.metadata === null) throw badRequest('metadata: Required value');
    const name = body.metadata.name ?? '';
    if (body.metadata.namespace && body.metadata.namespace !== rp.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const what = qualified(rp.group, rp.resource);
    const details = { name, ...(rp.group ? { group: rp.group } : {}), kind: rp.resource };
    if (verb === 'create') {
      if (!name)
        throw new HttpError(422, 'Invalid', `${store.kind} "" is invalid: metadata.name: Required value: name or generateName is required`, {
          kind: store.kind,
        });
      if (body.metadata.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
    } else if (name !== rp.name) {
      throw badRequest(`the name of the object (${name}) does not match the name on the URL (${rp.name})`);
    }
    this.cluster.beforeWrite?.({ verb, group: rp.group, resource: rp.resource, namespace: rp.namespace, name });
    const index = store.objects.findIndex((x) => x.metadata.name === name && (x.metadata.namespace ?? '') === rp.namespace);
    const stored = index >= 0 ? (store.objects[index] as KubeObject) : undefined;
    if (verb === 'create' && stored) throw new HttpError(409, 'AlreadyExists', `${what} "${name}" already exists`, details);
    if (verb === 'update') {
      if (!stored) throw notFound(rp.group, rp.resource, name);
      const sent = body.metadata.resourceVersion;
      if (sent && stored.metadata.resourceVersion && sent !== stored.metadata.resourceVersion) {
        throw new HttpError(
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${what} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
          details,
        );
      }
    }
    const object: KubeObject = structuredClone(body);
    object.metadata = {
      ...object.metadata,
      namespace: rp.namespace,
      uid: stored?.metadata.uid ?? uidFor(`${store.kind}/${rp.namespace}/${name}/${this.resourceVersion}`),
      creationTimestamp: stored?.metadata.creationTimestamp ?? (this.cluster.now?.() ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z'),
      resourceVersion: String(++this.resourceVersion),
    };
    if (stored) store.objects[index] = object;
    else store.objects.push(object);
    return object;
  }

  /** Discovery: `/api`, `/api/v1`, `/apis`, `/apis/GROUP`, `/apis/GROUP/VERSION`; undefined for other paths. */
  discovery(segments: string[], serverAddress: string): unknown {
    const groups = new Map<string, Set<string>>([['apps', new Set(['v1'])]]);
    for (const key of this.cluster.customObjects?.keys() ?? []) {
      const [g, v] = key.split('/') as [string, string];
      if (!groups.has(g)) groups.set(g, new Set());
      groups.get(g)?.add(v);
    }
    const groupInfo = (name: string, versions: Set<string>) => {
      const vs = [...versions].map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
      return { name, versions: vs, preferredVersion: vs[0] };
    };
    const resources = (group: string, version: string) => {
      const plurals = new Set<string>();
      if (group === '') {
        plurals.add('pods');
        for (const k of this.cluster.coreObjects?.keys() ?? []) plurals.add(k);
      } else {
        if (group === 'apps' && version === 'v1') for (const p of ['deployments', 'replicasets']) plurals.add(p);
        for (const k of this.cluster.customObjects?.keys() ?? []) {
          const [g, v, p] = k.split('/') as [string, string, string];
          if (g === group && v === version) plurals.add(p);
        }
      }
      const out: Array<Record<string, unknown>> = [];
      for (const p of plurals) {
        const store = this.resource(group, version, p);
        if (!store) continue;
        out.push({ name: p, singularName: '', namespaced: store.namespaced, kind: store.kind, verbs: ['get', 'list'] });
        if (group === '' && p === 'pods') {
          out.push({ name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] });
          out.push({ name: 'pods/portforward', singularName: '', namespaced: true, kind: 'PodPortForwardOptions', verbs: ['create', 'get'] });
        }
      }
      return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(group, version), resources: out };
    };
    if (segments.length === 1 && segments[0] === 'api')
      return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
    if (segments.length === 2 && segments[0] === 'api' && segments[1] === 'v1') return resources('', 'v1');
    if (segments.length === 1 && segments[0] === 'apis')
      return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...groups].map(([g, vs]) => groupInfo(g, vs)) };
    if (segments.length === 2 && segments[0] === 'apis') {
      const vs = groups.get(segments[1] as string);
      if (vs) return { kind: 'APIGroup', apiVersion: 'v1', ...groupInfo(segments[1] as string, vs) };
    }
    if (segments.length === 3 && segments[0] === 'apis' && groups.get(segments[1] as string)?.has(segments[2] as string))
      return resources(segments[1] as string, segments[2] as string);
    return undefined;
  }
}
