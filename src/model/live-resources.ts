// The live resources a model object was read from, as the config dump printed them, so a fix can be merged into
// the whole object it patches. Kept beside the model (a WeakMap keyed by the model object, let go with it) as
// compact JSON text, and only up to a budget per proxy: a giant dump keeps the resources read first and names
// the rest as not kept, instead of holding its raw resources all at once.

/** Characters of JSON text one proxy's dump may keep (about 16 MiB). */
const LIVE_TEXT_BUDGET = 16 * 1024 * 1024;

const LIVE = new WeakMap<object, string>();

/** Keeps raw resources for the model objects of one proxy, while its budget lasts. */
export class LiveResourceKeeper {
  private remaining: number;

  constructor(budget: number = LIVE_TEXT_BUDGET) {
    this.remaining = budget;
  }

  /** Keeps `raw` as the live resource of `model`; once one does not fit, none after it is kept either. */
  keep(model: object, raw: unknown): void {
    if (this.remaining <= 0) return;
    let text: string | undefined;
    try {
      text = JSON.stringify(raw);
    } catch {
      // Nested past the stack (a hostile or damaged dump): the model stands, the resource is not kept.
      return;
    }
    if (text === undefined) return;
    if (text.length > this.remaining) {
      this.remaining = 0;
      return;
    }
    this.remaining -= text.length;
    LIVE.set(model, text);
  }

  /** Keeps each route entry of a route configuration for the routes parsed from it (one per object entry, in order). */
  keepRoutes(routes: readonly object[], routeConfig: unknown): void {
    let i = 0;
    for (const vh of listOf(routeConfig, 'virtual_hosts', 'virtualHosts')) {
      for (const r of listOf(vh, 'routes', 'routes')) {
        if (r === null || typeof r !== 'object' || Array.isArray(r)) continue;
        const route = routes[i++];
        if (route === undefined) return;
        this.keep(route, r);
      }
    }
  }
}

function listOf(o: unknown, snake: string, camel: string): unknown[] {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return [];
  const rec = o as Record<string, unknown>;
  const v = rec[snake] !== undefined ? rec[snake] : rec[camel];
  return Array.isArray(v) ? v : [];
}

/** A fresh copy of the live resource a model object (cluster, listener, route) was read from, when it was kept. */
export function liveResource(model: object): Record<string, unknown> | undefined {
  const text = LIVE.get(model);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The live resource's JSON text as kept, for a quick look without parsing it. */
export function liveText(model: object): string | undefined {
  return LIVE.get(model);
}
