// How the fake Kubernetes API server (test/helpers/kube-api.ts) refuses a request: the API server's own `Status`
// bodies (400, 404, 405, 409, ...) and RBAC denials, worded as apiserver words them, from the cluster's deny rules.

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

/** A refusal: thrown while a request is handled, answered with its Status body. */
export class HttpError extends Error {
  readonly body: StatusBody;
  constructor(code: number, reason: string, message: string, details?: StatusBody['details']) {
    super(message);
    this.body = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
  }
}

export const badRequest = (message: string) => new HttpError(400, 'BadRequest', message);
export const noSuchPath = () => new HttpError(404, 'NotFound', 'the server could not find the requested resource', {});
export const qualified = (group: string, resource: string) => (group ? `${resource}.${group}` : resource);
export const notFound = (group: string, resource: string, name: string) =>
  new HttpError(404, 'NotFound', `${qualified(group, resource)} "${name}" not found`, { name, ...(group ? { group } : {}), kind: resource });
export const methodNotAllowed = () => new HttpError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');

// ---------------------------------------------------------------------------------------------------------------
// RBAC

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

/** The request attributes RBAC sees. */
export interface Attributes {
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

/** Whether a deny rule matches the request. */
export function denied(rules: DenyRule[] | undefined, a: Attributes): boolean {
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

/** Refuses the request with the API server's 403 when a deny rule matches it. */
export function authorize(rules: DenyRule[] | undefined, a: Attributes): void {
  if (denied(rules, a)) {
    const body = forbidden(a);
    throw new HttpError(403, 'Forbidden', body.message, body.details);
  }
}
