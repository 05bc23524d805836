// Plain Envoy pieces that set fields on a resource: on the cluster, listener or route itself, on a route entry's
// RouteAction, or on a listener's HTTP connection managers; each writes itself into the live resource through LiveEdit
// (envoy-live-edit.ts).

import type { Obj } from './envoy-spelling.ts';
import type { EnvoyResourcePiece } from './fix-kind.ts';

/** A piece setting fields on the resource itself. */
export function resourceFields(fields: Obj): EnvoyResourcePiece {
  return { lands: 'resource', resource: fields, merge: (e) => e.setFields(e.resource, fields) };
}

/** A piece setting fields of a route entry's RouteAction (a route without one skips the change). */
export function routeActionFields(kind: string, fields: Obj): EnvoyResourcePiece {
  return {
    lands: 'resource',
    resource: { route: fields },
    merge: (e) => {
      const action = e.routeAction(kind);
      if (action) e.setFields(action, fields);
    },
  };
}

/** A piece setting fields on every HTTP connection manager of a listener. */
export function connectionManagerFields(fields: Obj): EnvoyResourcePiece {
  return {
    lands: 'resource',
    connectionManager: fields,
    merge: (e) => {
      for (const { config } of e.connectionManagers()) e.setFields(config, fields);
    },
  };
}
