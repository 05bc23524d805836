// A Kubernetes API server on 127.0.0.1 for the test suite, shaped to what @kubernetes/client-node (v2) sends:
// pod, deployment, replica set and custom object reads with label and field selectors, pod logs, creates (POST) and
// updates (PUT) of namespaced objects with resourceVersion checks, RBAC denials with the API server's own Status
// bodies, SelfSubjectAccessReviews, discovery, and pod port-forward over WebSocket with kubelet's channel protocol,
// bridged to real TCP servers on 127.0.0.1. Every request is recorded.
//
// Behaviour copied from the real thing (and what it means for a client):
// - A WebSocket port-forward is a GET upgrade, authorised as `get pods/portforward`; since Kubernetes 1.35
//   (AuthorizePodWebsocketUpgradeCreatePermission, on by default) the API server also checks `create
//   pods/portforward`. Both checks are made here, `get` first; a deny rule on either verb refuses the upgrade.
// - kubelet's port-forward speaks `v4.channel.k8s.io` (and base64/legacy variants), never v5, though
//   client-node offers v5 first. The server picks the client's first offered protocol it supports.
// - After the upgrade, each port i gets its data channel 2i and error channel 2i+1, and the first frame on each is
//   the port as uint16 little-endian. A failed dial inside the pod is reported as text on the error channel,
//   worded as containerd words it, and then the WebSocket is closed.
// - Log lines may carry the container runtime's RFC3339 timestamp (`2025-01-02T03:04:05.123456789Z text`).
//   sinceSeconds/sinceTime filter on it whether or not `timestamps=true` is asked for; without `timestamps=true`
//   the timestamp prefix is removed, as kubelet does. tailLines is applied before the since filter (as kubelet).
// - A custom resource whose `${group}/${version}/${plural}` key is absent from `customObjects` is a CRD that is
//   not installed: 404 "the server could not find the requested resource".
// - Writes follow the registry's rules for ConfigMaps: every write gets the next resourceVersion; a create of an
//   existing name is 409 AlreadyExists, and a create that sets resourceVersion is 400; an update of a missing
//   object is 404 (no create on update); an update carrying a resourceVersion other than the stored one is 409
//   Conflict ("the object has been modified"), one without a resourceVersion is unconditional.

import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { stringify } from 'yaml';

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

/** A request refused with 403. Absent fields match anything; `resource` may be written `pods/portforward`. */
export interface DenyRule {
  /** `get`, `list`, `watch`, `create`, ... or `*`. */
  verb: string;
  resource: string;
  /** Must equal the request's subresource (absent matches only requests without one, as in RBAC). */
  subresource?: string;
  /** Absent: every namespace and cluster-wide requests; present: requests in that namespace only. */
  namespace?: string;
  /** API group, '' for core. Absent: any group. */
  group?: string;
  /** Object name. Absent: any. */
  name?: string;
  /** The user (see `KubeApiOptions.contexts`). Absent: any. */
  user?: string;
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

/** One context in the kubeconfig. Each gets its own user and token; `server` points it elsewhere (an unreachable
 * cluster, say); `token` set to something the server does not know gets 401s. */
export interface ContextSpec {
  name: string;
  namespace?: string;
  /** The user name the server attributes its requests to (403 messages, deny rules). */
  user?: string;
  token?: string;
  server?: string;
  /** The server does not know this context's token: every request from it gets 401 Unauthorized. */
  rejectToken?: boolean;
}

/** Options for `startKubeApi`. */
export interface KubeApiOptions {
  /** Name of the default (current) context; 'fake'. */
  context?: string;
  /** Namespace of the default context; 'default'. */
  namespace?: string;
  /** More contexts, after the default one. */
  contexts?: ContextSpec[];
  /** Which context is current; the default one unless named. */
  currentContext?: string;
  /** Channel protocols the port-forward endpoint accepts, in no particular order; kubelet's:
   * `v4.channel.k8s.io`, `v4.base64.channel.k8s.io`, `channel.k8s.io`. Add `v5.channel.k8s.io` to see what
   * client-node does when offered it (it then half-closes with a CLOSE frame [255, 0] instead of closing). */
  portForwardProtocols?: string[];
}

/** A request the server received. */
export interface RecordedRequest {
  method: string;
  /** Decoded path, no query. */
  path: string;
  /** Raw query string without `?` ('' when none). */
  query: string;
  params: URLSearchParams;
  /** A WebSocket (or other) upgrade. */
  upgrade: boolean;
  /** The authenticated user, when the token was known. */
  user?: string;
  /** Response status (101 for an accepted upgrade); set once answered. */
  status?: number;
}

/** A running fake API server. */
export interface KubeApi {
  url: string;
  port: number;
  /** A kubeconfig (in a temp dir, removed by close()) for this server; `KubeConfig.loadFromFile()` reads it. */
  kubeconfigPath: string;
  /** Context names in the kubeconfig, the current one first. */
  contexts: string[];
  requests: RecordedRequest[];
  /** Port-forward WebSockets currently open. */
  openForwards(): number;
  /** Port-forward WebSockets opened so far. */
  forwardsOpened(): number;
  /** Closes every socket, WebSocket and forwarded TCP connection, then the server. */
  close(): Promise<void>;
}

const DEFAULT_USER = 'system:serviceaccount:envoy-doctor:envoy-doctor';
const DEFAULT_VERSION = { major: '1', minor: '33', gitVersion: 'v1.33.1' };
const KUBELET_PROTOCOLS = ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io', 'channel.k8s.io'];

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

// ---------------------------------------------------------------------------------------------------------------
// Status bodies

/** A `Status` body as the API server writes it. */
export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string };
  code: number;
}

class HttpError extends Error {
  readonly body: StatusBody;
  constructor(code: number, reason: string, message: string, details?: StatusBody['details']) {
    super(message);
    this.body = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
  }
}

const badRequest = (message: string) => new HttpError(400, 'BadRequest', message);
const noSuchPath = () => new HttpError(404, 'NotFound', 'the server could not find the requested resource', {});
const qualified = (group: string, resource: string) => (group ? `${resource}.${group}` : resource);
const notFound = (group: string, resource: string, name: string) =>
  new HttpError(404, 'NotFound', `${qualified(group, resource)} "${name}" not found`, { name, ...(group ? { group } : {}), kind: resource });

/** The request attributes RBAC sees. */
interface Attributes {
  user: string;
  verb: string;
  group: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

/** The API server's forbidden Status for a request (apiserver `forbiddenMessage` + `NewForbidden`). */
export function forbidden(a: Omit<Attributes, 'subresource' | 'namespace' | 'name'> & { subresource?: string; namespace?: string; name?: string }): StatusBody {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const where = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  const why = `User "${a.user}" cannot ${a.verb} resource "${resource}" in API group "${a.group}" ${where}`;
  const what = qualified(a.group, a.resource);
  const message = a.name ? `${what} "${a.name}" is forbidden: ${why}` : `${what} is forbidden: ${why}`;
  return new HttpError(403, 'Forbidden', message, { ...(a.name ? { name: a.name } : {}), ...(a.group ? { group: a.group } : {}), kind: a.resource }).body;
}

function denied(rules: DenyRule[] | undefined, a: Attributes): boolean {
  return (rules ?? []).some((r) => {
    const [resource, sub] = r.resource.includes('/') ? (r.resource.split('/', 2) as [string, string]) : [r.resource, r.subresource];
    return (
      (r.verb === '*' || r.verb === a.verb) &&
      (resource === '*' || resource === a.resource) &&
      (sub ?? '') === a.subresource &&
      (r.namespace === undefined || r.namespace === a.namespace) &&
      (r.group === undefined || r.group === '*' || r.group === a.group) &&
      (r.name === undefined || r.name === a.name) &&
      (r.user === undefined || r.user === a.user)
    );
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Selectors

/** One label selector requirement. */
export interface LabelRequirement {
  key: string;
  op: 'exists' | '!exists' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';
  values: string[];
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const SPECIALS = ' \t!=(),<>';

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t') {
      i++;
    } else if (text.startsWith('==', i) || text.startsWith('!=', i)) {
      tokens.push(text.slice(i, i + 2));
      i += 2;
    } else if (SPECIALS.includes(c)) {
      tokens.push(c);
      i++;
    } else {
      let j = i;
      while (j < text.length && !SPECIALS.includes(text[j] as string)) j++;
      tokens.push(text.slice(i, j));
      i = j;
    }
  }
  return tokens;
}

/** Parses a label selector as apimachinery's `labels.Parse` does; throws on bad syntax. */
export function parseLabelSelector(text: string): LabelRequirement[] {
  const tokens = tokenize(text);
  const reqs: LabelRequirement[] = [];
  let i = 0;
  const isIdent = (t: string | undefined) => t !== undefined && !SPECIALS.includes(t[0] as string);
  const fail = (what: string): never => {
    throw new Error(`unable to parse requirement: ${what}`);
  };
  const key = (): string => {
    const k = tokens[i++];
    if (!isIdent(k)) fail(`found '${k ?? 'end of string'}', expected: identifier`);
    if (!LABEL_KEY.test(k as string) || (k as string).length > 317) fail(`Invalid value: "${k}": name part must consist of alphanumeric characters, '-', '_' or '.'`);
    return k as string;
  };
  const value = (): string => {
    const v = tokens[i];
    if (!isIdent(v)) return ''; // `key=` selects an empty value
    i++;
    if (!LABEL_VALUE.test(v as string) || (v as string).length > 63) fail(`Invalid value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'`);
    return v as string;
  };
  while (i < tokens.length) {
    if (tokens[i] === '!') {
      i++;
      reqs.push({ key: key(), op: '!exists', values: [] });
    } else {
      const k = key();
      const op = tokens[i];
      if (op === undefined || op === ',') {
        reqs.push({ key: k, op: 'exists', values: [] });
      } else if (op === '=' || op === '==' || op === '!=') {
        i++;
        reqs.push({ key: k, op: op === '!=' ? '!=' : '=', values: [value()] });
      } else if (op === 'in' || op === 'notin') {
        i++;
        if (tokens[i++] !== '(') fail(`found '${tokens[i - 1] ?? 'end of string'}', expected: '('`);
        const values: string[] = [];
        while (tokens[i] !== ')') {
          if (tokens[i] === undefined) fail("found 'end of string', expected: ')'");
          values.push(value());
          if (tokens[i] === ',') i++;
          else if (tokens[i] !== ')') fail(`found '${tokens[i] ?? 'end of string'}', expected: ',' or ')'`);
        }
        i++;
        if (values.length === 0) fail("for 'in', 'notin' operators, values set can't be empty");
        reqs.push({ key: k, op, values });
      } else if (op === '>' || op === '<') {
        i++;
        const v = tokens[i++];
        if (v === undefined || !/^-?\d+$/.test(v)) fail(`for 'Gt', 'Lt' operators, the value must be an integer`);
        reqs.push({ key: k, op: op === '>' ? 'gt' : 'lt', values: [v as string] });
      } else {
        fail(`found '${op}', expected: in, notin, =, ==, !=, gt, lt`);
      }
    }
    if (i < tokens.length) {
      if (tokens[i] !== ',') fail(`found '${tokens[i]}', expected: ',' or 'end of string'`);
      i++;
      if (i === tokens.length) fail("found 'end of string', expected: identifier");
    }
  }
  return reqs;
}

/** Whether labels satisfy every requirement. */
export function matchesLabels(reqs: LabelRequirement[], labels: Labels | undefined): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.hasOwn(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case '=':
        return has && v === r.values[0];
      case '!=':
        return !has || v !== r.values[0];
      case 'in':
        return has && r.values.includes(v as string);
      case 'notin':
        return !has || !r.values.includes(v as string);
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(v as string)) return false;
        const n = Number(v);
        const bound = Number(r.values[0]);
        return r.op === 'gt' ? n > bound : n < bound;
      }
    }
    return false;
  });
}

const POD_FIELDS = new Set([
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.schedulerName',
  'spec.serviceAccountName',
  'spec.hostNetwork',
  'status.phase',
  'status.podIP',
  'status.nominatedNodeName',
]);

function fieldFilter(text: string, resourceKey: string): (o: KubeObject) => boolean {
  const terms = text
    .split(',')
    .filter((t) => t.length > 0)
    .map((term) => {
      const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(term);
      if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
      const [, field, op, want] = m as unknown as [string, string, string, string];
      if (field !== 'metadata.name' && field !== 'metadata.namespace' && !(resourceKey === '/pods' && POD_FIELDS.has(field))) {
        throw badRequest(`field label not supported: ${field}`);
      }
      return { field, negate: op === '!=', want };
    });
  return (o) =>
    terms.every(({ field, negate, want }) => {
      let v: unknown = o;
      for (const part of field.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
      const got = v === undefined || v === null ? '' : String(v);
      return (got === want) !== negate;
    });
}

// ---------------------------------------------------------------------------------------------------------------
// Logs

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2}) /;

function timestampOf(line: string): { ms: number; prefix: number } | undefined {
  const m = TIMESTAMP.exec(line);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${(m[2] ?? '').slice(0, 4)}${m[3]}`);
  return Number.isNaN(ms) ? undefined : { ms, prefix: m[0].length };
}

function intParam(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^-?\d+$/.test(raw)) throw badRequest(`${name}: Invalid value: "${raw}": must be an integer`);
  return Number(raw);
}

const boolParam = (params: URLSearchParams, name: string) => params.get(name) === 'true' || params.get(name) === '1';

/** The log text kubelet would return for these query parameters. */
function selectLog(text: string, params: URLSearchParams, now: Date): string {
  let lines: string[] = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const tail = intParam(params, 'tailLines');
  if (tail !== undefined && tail >= 0) lines = tail === 0 ? [] : lines.slice(-tail);
  const sinceSeconds = intParam(params, 'sinceSeconds');
  const sinceTime = params.get('sinceTime');
  if (sinceSeconds !== undefined && sinceTime) throw badRequest('at most one of sinceTime or sinceSeconds may be specified');
  if (sinceSeconds !== undefined && sinceSeconds < 1) throw badRequest('sinceSeconds: Invalid value: must be greater than 0');
  const since = sinceSeconds !== undefined ? now.getTime() - sinceSeconds * 1000 : sinceTime ? Date.parse(sinceTime) : undefined;
  if (since !== undefined && Number.isNaN(since)) throw badRequest(`sinceTime: Invalid value: "${sinceTime}"`);
  const timestamps = boolParam(params, 'timestamps');
  const out: string[] = [];
  let current: number | undefined; // a line without a timestamp continues the previous one
  for (const line of lines) {
    const ts = timestampOf(line);
    if (ts) current = ts.ms;
    if (since !== undefined && current !== undefined && current < since) continue;
    out.push(ts && !timestamps ? line.slice(ts.prefix) : line);
  }
  let result = out.join('');
  const limitBytes = intParam(params, 'limitBytes');
  if (limitBytes !== undefined && limitBytes > 0) result = Buffer.from(result).subarray(0, limitBytes).toString('utf8');
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Port-forward

function hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function uuidOf(text: string): string {
  const h = hex(text);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The text containerd writes on a forward's error channel when it cannot reach the port inside the pod. */
export function forwardErrorText(namespace: string, pod: string, port: number, cause: string): string {
  const sandbox = hex(`sandbox/${namespace}/${pod}`);
  const netns = `/var/run/netns/cni-${uuidOf(`netns/${namespace}/${pod}`)}`;
  return (
    `error forwarding port ${port} to pod ${sandbox}, uid : failed to execute portforward in network namespace "${netns}": ` +
    `failed to connect to localhost:${port} inside namespace "${sandbox}", IPv4: dial tcp4 127.0.0.1:${port}: ${cause} ` +
    `IPv6 dial tcp6 [::1]:${port}: ${cause} `
  );
}

function dialCause(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connect: connection refused';
    case 'ETIMEDOUT':
      return 'i/o timeout';
    case 'EHOSTUNREACH':
      return 'connect: no route to host';
    default:
      return err.message;
  }
}

const HIGH_WATER = 64; // frames in flight to the client before the pod side is paused
const LOW_WATER = 16;

interface Forward {
  ws: WebSocket;
  tcp: Set<Socket>;
}

/** Runs kubelet's side of the channel protocol on an accepted WebSocket. */
function runForward(ws: WebSocket, forward: Forward, ns: string, pod: string, ports: number[], targets: Array<number | undefined>): void {
  const base64 = ws.protocol === 'v4.base64.channel.k8s.io';
  const v5 = ws.protocol === 'v5.channel.k8s.io';
  const sockets: Array<Socket | undefined> = [];
  let remaining = ports.length;
  let inflight = 0;
  const paused = new Set<Socket>();

  const send = (channel: number, payload: Buffer) => {
    if (ws.readyState !== ws.OPEN) return;
    inflight++;
    if (inflight > HIGH_WATER) for (const s of sockets) if (s && !s.destroyed && !s.isPaused()) (s.pause(), paused.add(s));
    const done = () => {
      inflight--;
      if (inflight < LOW_WATER && paused.size > 0) {
        for (const s of paused) s.resume();
        paused.clear();
      }
    };
    if (base64) {
      ws.send(String.fromCharCode(48 + channel) + payload.toString('base64'), done);
    } else {
      const frame = Buffer.allocUnsafe(payload.length + 1);
      frame[0] = channel;
      payload.copy(frame, 1);
      ws.send(frame, { binary: true }, done);
    }
  };
  const finishOne = () => {
    remaining--;
    if (remaining === 0 && ws.readyState === ws.OPEN) ws.close(1000);
  };

  ports.forEach((port, i) => {
    const portBytes = Buffer.alloc(2);
    portBytes.writeUInt16LE(port, 0);
    send(2 * i, portBytes);
    send(2 * i + 1, portBytes);
  });

  ports.forEach((port, i) => {
    const target = targets[i];
    if (target === undefined) {
      send(2 * i + 1, Buffer.from(forwardErrorText(ns, pod, port, 'connect: connection refused')));
      finishOne();
      return;
    }
    const sock = connect({ host: '127.0.0.1', port: target, allowHalfOpen: true });
    sockets[i] = sock;
    forward.tcp.add(sock);
    let connected = false;
    let reported = false;
    sock.on('connect', () => {
      connected = true;
    });
    sock.on('data', (chunk: Buffer) => send(2 * i, chunk));
    sock.on('end', () => sock.destroy());
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (reported) return;
      reported = true;
      const text = connected
        ? `error forwarding port ${port} to pod ${hex(`sandbox/${ns}/${pod}`)}, uid : read tcp4 127.0.0.1:${sock.localPort ?? 0}->127.0.0.1:${port}: read: ${err.code === 'ECONNRESET' ? 'connection reset by peer' : err.message}`
        : forwardErrorText(ns, pod, port, dialCause(err));
      send(2 * i + 1, Buffer.from(text));
    });
    sock.on('close', () => {
      forward.tcp.delete(sock);
      paused.delete(sock);
      finishOne();
    });
  });

  ws.on('message', (data: RawData, isBinary: boolean) => {
    let buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (buf.length === 0) return;
    let channel = buf[0] as number;
    if (!isBinary && base64) {
      channel = channel - 48;
      buf = Buffer.concat([Buffer.from([channel]), Buffer.from(buf.subarray(1).toString('utf8'), 'base64')]);
    }
    const payload = buf.subarray(1);
    if (v5 && channel === 255) {
      // CLOSE: the client has no more to write on this channel; half-close the pod side.
      const closed = payload[0];
      if (closed !== undefined && closed % 2 === 0) sockets[closed / 2]?.end();
      return;
    }
    if (channel % 2 !== 0 || channel / 2 >= ports.length || payload.length === 0) return; // writes to error channels are dropped
    const sock = sockets[channel / 2];
    if (!sock || sock.destroyed || sock.writableEnded) return;
    if (!sock.write(payload)) {
      ws.pause();
      sock.once('drain', () => ws.resume());
    }
  });
  ws.on('close', () => {
    for (const s of sockets) s?.destroy();
  });
  ws.on('error', () => {
    for (const s of sockets) s?.destroy();
  });
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
  const hash = hex(`rs/${o.namespace}/${o.name}`).replace(/[0-9]/g, (d) => 'bcdfghjklm'[Number(d)] as string).slice(0, 10);
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
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: o.name, uid: uidFor(`Deployment/${o.namespace}/${o.name}`), controller: true, blockOwnerDeletion: true }],
    },
    spec: { replicas, selector: { matchLabels: { ...o.matchLabels, 'pod-template-hash': hash } } },
    status: { replicas, readyReplicas: replicas, availableReplicas: replicas },
  };
  const pods = Array.from({ length: replicas }, (_, i) =>
    makePod({
      name: `${rsName}-${hex(`pod/${rsName}/${i}`).slice(0, 5).replace(/[0-9]/g, (d) => 'bcdfghjklm'[Number(d)] as string)}`,
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
// The server

interface ResourcePath {
  group: string;
  version: string;
  namespace: string;
  resource: string;
  name: string;
  subresource: string;
}

/** Splits a resource path as the API server's RequestInfoFactory does; undefined for non-resource paths. */
function parseResourcePath(segments: string[]): ResourcePath | undefined {
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

function verbOf(method: string, rp: ResourcePath, params: URLSearchParams): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (rp.name) return 'get';
      return boolParam(params, 'watch') ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return rp.name ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

/** Starts the fake API server on 127.0.0.1 and writes a kubeconfig for it. */
export async function startKubeApi(cluster: FakeCluster, options: KubeApiOptions = {}): Promise<KubeApi> {
  const requests: RecordedRequest[] = [];
  const forwards = new Set<Forward>();
  const rawSockets = new Set<Duplex>();
  let forwardsOpened = 0;
  let resourceVersion = 1000;
  const dir = mkdtempSync(join(tmpdir(), 'kube-api-'));
  const supported = options.portForwardProtocols ?? KUBELET_PROTOCOLS;

  const mainContext: ContextSpec = { name: options.context ?? 'fake', namespace: options.namespace ?? 'default' };
  const contexts: ContextSpec[] = [mainContext, ...(options.contexts ?? []).map((c) => ({ ...c }))];
  for (const c of contexts) c.token ??= `fake-token-${c.name}`;
  const authenticate = (req: IncomingMessage): string => {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const ctx = m ? contexts.find((c) => c.token === m[1] && !c.rejectToken) : undefined;
    if (!ctx) throw new HttpError(401, 'Unauthorized', 'Unauthorized');
    return ctx.user ?? cluster.user ?? DEFAULT_USER;
  };
  const authorize = (a: Attributes) => {
    if (denied(cluster.deny, a)) {
      const body = forbidden(a);
      throw new HttpError(403, 'Forbidden', body.message, body.details);
    }
  };

  /** The objects behind a resource, or undefined when the server does not serve it. */
  const storeOf = (group: string, version: string, resource: string): { objects: KubeObject[]; kind: string; namespaced: boolean } | undefined => {
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
  };

  const apiVersionOf = (group: string, version: string) => (group ? `${group}/${version}` : version);

  const withType = (o: KubeObject, apiVersion: string, kind: string): KubeObject => {
    const copy = structuredClone(o);
    return { apiVersion: copy.apiVersion ?? apiVersion, kind: copy.kind ?? kind, ...copy } as KubeObject;
  };

  const key = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  const list = (rp: ResourcePath, store: NonNullable<ReturnType<typeof storeOf>>, params: URLSearchParams) => {
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
    const metadata: Record<string, unknown> = { resourceVersion: String(resourceVersion) };
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
  };

  const findObject = (rp: ResourcePath, store: NonNullable<ReturnType<typeof storeOf>>): KubeObject => {
    const o = store.objects.find((x) => x.metadata.name === rp.name && (x.metadata.namespace ?? '') === rp.namespace);
    if (!o) throw notFound(rp.group, rp.resource, rp.name);
    return o;
  };

  /** A create or update, with the checks the API server's generic registry makes. */
  const write = (verb: 'create' | 'update', rp: ResourcePath, store: NonNullable<ReturnType<typeof storeOf>>, text: string): KubeObject => {
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
      if (!name) throw new HttpError(422, 'Invalid', `${store.kind} "" is invalid: metadata.name: Required value: name or generateName is required`, { kind: store.kind });
      if (body.metadata.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
    } else if (name !== rp.name) {
      throw badRequest(`the name of the object (${name}) does not match the name on the URL (${rp.name})`);
    }
    cluster.beforeWrite?.({ verb, group: rp.group, resource: rp.resource, namespace: rp.namespace, name });
    const index = store.objects.findIndex((x) => x.metadata.name === name && (x.metadata.namespace ?? '') === rp.namespace);
    const stored = index >= 0 ? (store.objects[index] as KubeObject) : undefined;
    if (verb === 'create' && stored) throw new HttpError(409, 'AlreadyExists', `${what} "${name}" already exists`, details);
    if (verb === 'update') {
      if (!stored) throw notFound(rp.group, rp.resource, name);
      const sent = body.metadata.resourceVersion;
      if (sent && stored.metadata.resourceVersion && sent !== stored.metadata.resourceVersion) {
        throw new HttpError(409, 'Conflict', `Operation cannot be fulfilled on ${what} "${name}": the object has been modified; please apply your changes to the latest version and try again`, details);
      }
    }
    const object: KubeObject = structuredClone(body);
    object.metadata = {
      ...object.metadata,
      namespace: rp.namespace,
      uid: stored?.metadata.uid ?? uidFor(`${store.kind}/${rp.namespace}/${name}/${resourceVersion}`),
      creationTimestamp: stored?.metadata.creationTimestamp ?? (cluster.now?.() ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z'),
      resourceVersion: String(++resourceVersion),
    };
    if (stored) store.objects[index] = object;
    else store.objects.push(object);
    return object;
  };

  const podLog = (rp: ResourcePath, params: URLSearchParams): string => {
    const pod = findObject(rp, storeOf('', 'v1', 'pods') as NonNullable<ReturnType<typeof storeOf>>) as FakePod;
    const names = [...(pod.spec.containers ?? []), ...(pod.spec.initContainers ?? [])].map((c) => c.name);
    let container = params.get('container') ?? '';
    if (!container) {
      if (pod.spec.containers.length !== 1) throw badRequest(`a container name must be specified for pod ${rp.name}, choose one of: [${pod.spec.containers.map((c) => c.name).join(' ')}]`);
      container = (pod.spec.containers[0] as FakeContainer).name;
    }
    if (!names.includes(container)) throw badRequest(`container ${container} is not valid for pod ${rp.name}`);
    const key = `${rp.namespace}/${rp.name}/${container}`;
    let text: string | undefined;
    if (boolParam(params, 'previous')) {
      text = cluster.previousLogs?.get(key);
      if (text === undefined) throw badRequest(`previous terminated container "${container}" in pod "${rp.name}" not found`);
    } else {
      const waiting = pod.status?.containerStatuses?.find((s) => s.name === container)?.state?.waiting;
      text = cluster.logs?.get(key);
      if (waiting && text === undefined) throw badRequest(`container "${container}" in pod "${rp.name}" is waiting to start: ${waiting.reason ?? 'ContainerCreating'}`);
    }
    return selectLog(text ?? '', params, cluster.now?.() ?? new Date());
  };

  const discovery = (segments: string[]): unknown => {
    const groups = new Map<string, Set<string>>([['apps', new Set(['v1'])]]);
    for (const key of cluster.customObjects?.keys() ?? []) {
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
        for (const k of cluster.coreObjects?.keys() ?? []) plurals.add(k);
      } else {
        if (group === 'apps' && version === 'v1') (plurals.add('deployments'), plurals.add('replicasets'));
        for (const k of cluster.customObjects?.keys() ?? []) {
          const [g, v, p] = k.split('/') as [string, string, string];
          if (g === group && v === version) plurals.add(p);
        }
      }
      const out: Array<Record<string, unknown>> = [];
      for (const p of plurals) {
        const store = storeOf(group, version, p);
        if (!store) continue;
        out.push({ name: p, singularName: '', namespaced: store.namespaced, kind: store.kind, verbs: ['get', 'list'] });
        if (group === '' && p === 'pods') {
          out.push({ name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] });
          out.push({ name: 'pods/portforward', singularName: '', namespaced: true, kind: 'PodPortForwardOptions', verbs: ['create', 'get'] });
        }
      }
      return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(group, version), resources: out };
    };
    if (segments.length === 1 && segments[0] === 'api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${port}` }] };
    if (segments.length === 2 && segments[0] === 'api' && segments[1] === 'v1') return resources('', 'v1');
    if (segments.length === 1 && segments[0] === 'apis') return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...groups].map(([g, vs]) => groupInfo(g, vs)) };
    if (segments.length === 2 && segments[0] === 'apis') {
      const vs = groups.get(segments[1] as string);
      if (vs) return { kind: 'APIGroup', apiVersion: 'v1', ...groupInfo(segments[1] as string, vs) };
    }
    if (segments.length === 3 && segments[0] === 'apis' && groups.get(segments[1] as string)?.has(segments[2] as string)) return resources(segments[1] as string, segments[2] as string);
    return undefined;
  };

  const readBody = async (req: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };

  const record = (req: IncomingMessage, upgrade: boolean): { rec: RecordedRequest; url: URL; segments: string[] } => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const decode = (s: string) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    };
    const segments = url.pathname
      .split('/')
      .filter((s) => s.length > 0)
      .map(decode);
    const rec: RecordedRequest = { method: req.method ?? 'GET', path: decode(url.pathname), query: url.search.replace(/^\?/, ''), params: url.searchParams, upgrade };
    requests.push(rec);
    return { rec, url, segments };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const { rec, url, segments } = record(req, false);
    res.on('finish', () => {
      rec.status = res.statusCode;
    });
    const send = (code: number, body: unknown, type = 'application/json') => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
      res.end(req.method === 'HEAD' ? undefined : text);
    };
    try {
      rec.user = authenticate(req);
      const method = req.method ?? 'GET';
      if (url.pathname === '/version' || url.pathname === '/version/') {
        const v = cluster.version ?? DEFAULT_VERSION;
        return send(200, { ...v, gitCommit: 'a1b2c3', gitTreeState: 'clean', buildDate: '2025-05-15T08:00:00Z', goVersion: 'go1.24.2', compiler: 'gc', platform: 'linux/amd64' });
      }
      if (url.pathname === '/healthz' || url.pathname === '/livez' || url.pathname === '/readyz') return send(200, 'ok', 'text/plain; charset=utf-8');
      const rp = parseResourcePath(segments);
      if (!rp) {
        const d = method === 'GET' ? discovery(segments) : undefined;
        if (d) return send(200, d);
        throw noSuchPath();
      }
      const params = url.searchParams;
      const user = rec.user;
      // Self-subject access reviews answer from the deny rules; anyone may create them.
      if (rp.group === 'authorization.k8s.io' && rp.resource === 'selfsubjectaccessreviews' && !rp.namespace && !rp.name) {
        if (method !== 'POST') throw new HttpError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
        const review = JSON.parse((await readBody(req)) || '{}') as { spec?: { resourceAttributes?: Partial<Attributes>; nonResourceAttributes?: unknown } };
        const ra = review.spec?.resourceAttributes;
        const no =
          ra !== undefined &&
          denied(cluster.deny, {
            user,
            verb: ra.verb ?? '',
            group: ra.group ?? '',
            resource: ra.resource ?? '',
            subresource: ra.subresource ?? '',
            namespace: ra.namespace ?? '',
            name: ra.name ?? '',
          });
        return send(201, {
          kind: 'SelfSubjectAccessReview',
          apiVersion: 'authorization.k8s.io/v1',
          metadata: { creationTimestamp: null },
          spec: review.spec ?? {},
          status: no ? { allowed: false } : { allowed: true, reason: 'RBAC: allowed by the fake API server' },
        });
      }
      const verb = verbOf(method, rp, params);
      authorize({ user, verb, group: rp.group, resource: rp.resource, subresource: rp.subresource, namespace: rp.namespace, name: rp.name });
      const store = storeOf(rp.group, rp.version, rp.resource);
      if (!store) throw noSuchPath();
      if (rp.namespace && !store.namespaced) throw noSuchPath();
      if (rp.name && !rp.namespace && store.namespaced) throw noSuchPath();
      if ((method === 'POST' && !rp.name) || (method === 'PUT' && rp.name && !rp.subresource)) {
        if (!rp.namespace || !store.namespaced) throw new HttpError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
        const written = write(method === 'POST' ? 'create' : 'update', rp, store, await readBody(req));
        return send(method === 'POST' ? 201 : 200, withType(written, apiVersionOf(rp.group, rp.version), store.kind));
      }
      if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
      if (!rp.name) return send(200, list(rp, store, params));
      const isPods = rp.group === '' && rp.resource === 'pods';
      if (!rp.subresource || (isPods && rp.subresource === 'status')) {
        return send(200, withType(findObject(rp, store), apiVersionOf(rp.group, rp.version), store.kind));
      }
      if (isPods && rp.subresource === 'log') return send(200, podLog(rp, params), 'text/plain');
      if (isPods && rp.subresource === 'portforward') {
        findObject(rp, store);
        throw badRequest('Upgrade request required');
      }
      throw noSuchPath();
    } catch (err) {
      if (err instanceof HttpError) return send(err.body.code, err.body);
      return send(500, new HttpError(500, 'InternalError', `Internal error occurred: ${(err as Error).message}`).body);
    }
  };

  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (offered) => {
      for (const p of offered) if (supported.includes(p)) return p;
      return false;
    },
  });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const { rec, url, segments } = record(req, true);
    rawSockets.add(socket);
    socket.on('close', () => rawSockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const refuse = (body: StatusBody) => {
      rec.status = body.code;
      const text = JSON.stringify(body);
      socket.end(
        `HTTP/1.1 ${body.code} ${STATUS_CODES[body.code] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
      );
    };
    try {
      rec.user = authenticate(req);
      const rp = parseResourcePath(segments);
      if (!rp) throw noSuchPath();
      const params = url.searchParams;
      const verb = verbOf(req.method ?? 'GET', rp, params);
      const attrs = { user: rec.user, group: rp.group, resource: rp.resource, subresource: rp.subresource, namespace: rp.namespace, name: rp.name };
      authorize({ ...attrs, verb });
      const isForward = rp.group === '' && rp.version === 'v1' && rp.resource === 'pods' && rp.subresource === 'portforward' && rp.namespace !== '' && rp.name !== '';
      if (!isForward) throw noSuchPath();
      // KEP-4006: from 1.35 a WebSocket upgrade to pods/portforward must also be allowed to `create`.
      if (verb !== 'create') authorize({ ...attrs, verb: 'create' });
      if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') throw badRequest('Upgrade request required');
      const pod = findObject(rp, storeOf('', 'v1', 'pods') as NonNullable<ReturnType<typeof storeOf>>) as FakePod;
      const ports: number[] = [];
      for (const value of params.getAll('ports')) {
        for (const p of value.split(',')) {
          if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535) throw badRequest(`unable to parse "${value}" as a port: invalid port`);
          ports.push(Number(p));
        }
      }
      if (ports.length === 0) throw badRequest('query parameter "port" is required');
      if (pod.status?.phase === 'Pending' && !pod.spec.nodeName) throw badRequest(`pod ${rp.name} does not have a host assigned`);
      const offered = (req.headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      if (offered.length > 0 && !offered.some((p) => supported.includes(p))) {
        throw badRequest(`unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server supports [${supported.join(' ')}]`);
      }
      const targets: Array<number | undefined> = [];
      for (const p of ports) {
        const t = cluster.forwardTargets?.(rp.namespace, rp.name, p);
        if (t === 'refuse') throw new HttpError(500, 'InternalError', `error dialing backend: dial tcp ${pod.status?.podIP ?? '10.244.0.10'}:10250: connect: connection refused`);
        if (typeof t === 'object') throw new HttpError(t.status, t.reason ?? STATUS_CODES[t.status]?.replace(/ /g, '') ?? 'Failure', t.message);
        targets.push(t);
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        rec.status = 101;
        forwardsOpened++;
        const forward: Forward = { ws, tcp: new Set() };
        forwards.add(forward);
        ws.on('close', () => forwards.delete(forward));
        runForward(ws, forward, rp.namespace, rp.name, ports, targets);
      });
    } catch (err) {
      refuse(err instanceof HttpError ? err.body : new HttpError(500, 'InternalError', (err as Error).message).body);
    }
  };

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  server.on('upgrade', onUpgrade);
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  const kubeconfigPath = join(dir, 'kubeconfig');
  const clusterNames = new Map<string, string>(); // server -> cluster name
  clusterNames.set(url, mainContext.name);
  for (const c of contexts) if (c.server && !clusterNames.has(c.server)) clusterNames.set(c.server, c.name);
  writeFileSync(
    kubeconfigPath,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      preferences: {},
      clusters: [...clusterNames].map(([server, name]) => ({ name, cluster: { server, 'insecure-skip-tls-verify': true } })),
      users: contexts.map((c) => ({ name: `${c.name}-user`, user: { token: c.token } })),
      contexts: contexts.map((c) => ({
        name: c.name,
        context: { cluster: clusterNames.get(c.server ?? url), user: `${c.name}-user`, ...(c.namespace ? { namespace: c.namespace } : {}) },
      })),
      'current-context': options.currentContext ?? mainContext.name,
    }),
  );
  const current = options.currentContext ?? mainContext.name;

  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    kubeconfigPath,
    contexts: [current, ...contexts.map((c) => c.name).filter((n) => n !== current)],
    requests,
    openForwards: () => forwards.size,
    forwardsOpened: () => forwardsOpened,
    close() {
      closed ??= (async () => {
        for (const f of forwards) {
          for (const s of f.tcp) s.destroy();
          f.ws.terminate();
        }
        forwards.clear();
        for (const s of rawSockets) s.destroy();
        wss.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        rmSync(dir, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}

/** The Envoy Gateway and Gateway API objects of a saved `kubernetes.json`, as the custom objects of a fake cluster. */
export function envoyGatewayCustomObjects(objects: Record<string, KubeObject[] | undefined>): Map<string, KubeObject[]> {
  return new Map([
    ['gateway.networking.k8s.io/v1/gateways', objects.gateways ?? []],
    ['gateway.networking.k8s.io/v1/httproutes', objects.httpRoutes ?? []],
    ['gateway.envoyproxy.io/v1alpha1/backendtrafficpolicies', objects.backendTrafficPolicies ?? []],
    ['gateway.envoyproxy.io/v1alpha1/clienttrafficpolicies', objects.clientTrafficPolicies ?? []],
    ['gateway.envoyproxy.io/v1alpha1/envoyproxies', []],
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
