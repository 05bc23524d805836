// The kubeconfig the fake Kubernetes API server (test/helpers/kube-api.ts) writes for itself: its contexts, each with
// its own user and bearer token, and who a request's token says it is.

import { writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { stringify } from 'yaml';
import { HttpError } from './kube-refusals.ts';

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

/** The contexts of the kubeconfig: the default one (`name`, `namespace`) first, then `more`; each with a token. */
export function contextsOf(main: ContextSpec, more: ContextSpec[] = []): ContextSpec[] {
  const contexts: ContextSpec[] = [main, ...more.map((c) => ({ ...c }))];
  for (const c of contexts) c.token ??= `fake-token-${c.name}`;
  return contexts;
}

/** The user a request's bearer token belongs to (`fallback` for a context without one); 401 for an unknown token. */
export function authenticate(req: IncomingMessage, contexts: ContextSpec[], fallback: string): string {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  const ctx = m ? contexts.find((c) => c.token === m[1] && !c.rejectToken) : undefined;
  if (!ctx) throw new HttpError(401, 'Unauthorized', 'Unauthorized');
  return ctx.user ?? fallback;
}

/** Writes a kubeconfig whose contexts reach `url` (or their own `server`), the first context's cluster named after it. */
export function writeKubeconfig(path: string, url: string, contexts: ContextSpec[], current: string): void {
  const main = contexts[0] as ContextSpec;
  const clusterNames = new Map<string, string>(); // server -> cluster name
  clusterNames.set(url, main.name);
  for (const c of contexts) if (c.server && !clusterNames.has(c.server)) clusterNames.set(c.server, c.name);
  writeFileSync(
    path,
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
      'current-context': current,
    }),
  );
}
