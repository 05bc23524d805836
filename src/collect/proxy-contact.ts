// One proxy to collect, how its admin interface is reached, and what each contact with it reads
// (docs/root/operations/admin.rst): the first /stats sample, then /server_info, the bootstrap's stats settings, the
// config dump resource by resource, the second /stats sample and, for bundles, /clusters and /listeners.

import type { Dispatcher } from 'undici';
import { AdminClient, AdminError, BOOTSTRAP_STATS_MASK, CONFIG_DUMP_RESOURCES } from './admin-client.ts';
import type { BodyStore, ProxyStores } from './body-stores.ts';

/** A reachable admin interface, and how to let go of it. */
export interface AdminEndpoint {
  base: string;
  dispatcher?: Dispatcher;
  /** Why the way in failed (a refused port-forward), which explains a failed read better than the read's error. */
  failure?(): string | undefined;
  close(): Promise<void>;
}

/** One proxy to collect. */
export interface LiveTarget {
  id: string;
  namespace?: string;
  owner?: string;
  /** An Istio proxy (its container is istio-proxy): the VirtualServices its routes come from are read with it. */
  istio?: boolean;
  /** Where its admin interface is, as a person reads it. */
  admin: string;
  /** Set when the target cannot be collected at all (a pod that is not Running). */
  skip?: string;
  /** Opens the admin interface (a port-forward, or a direct URL). */
  open(): Promise<AdminEndpoint>;
  /** Reads the proxy's access log, when there is a way to. */
  logs?(): Promise<string>;
}

/** A /stats sample stored under `file`, and when it was taken. */
export interface StatsFile {
  file: string;
  takenAt: Date;
}

/** What was read from one proxy: small bodies in memory, config dump answers and stats samples in stores. */
export interface CollectedProxy {
  /** Reads a stored body (a config dump answer, a stats sample) back as chunks. */
  body(name: string): AsyncIterable<Buffer>;
  serverInfo?: Buffer;
  /** `/config_dump?mask=` of the bootstrap's stats settings (BOOTSTRAP_STATS_MASK). */
  bootstrapStats?: Buffer;
  /** Names of the per-resource /config_dump answers, in the order of CONFIG_DUMP_RESOURCES (never secrets); `configDumpChunks` joins them. */
  configParts: string[];
  stats: StatsFile;
  statsLater?: StatsFile;
  clusters?: Buffer;
  listeners?: Buffer;
  accessLog?: string;
  /** Optional reads that failed. */
  warnings: string[];
}

/** What each read asks for: `diagnose` filters /stats and skips the reads only bundles keep; `collect` reads all. */
export interface ReadPlan {
  /** Query parameters of both /stats reads (`filter`), empty for the whole of /stats. */
  statsQuery: Record<string, string>;
  /** Also read /clusters and /listeners (saved in bundles, not diagnosed). */
  bundleReads: boolean;
}

/** How long a read may take, and how often a failed one is tried again. */
interface ContactLimits {
  timeoutMs: number;
  retries: number;
}

/** Opens the target's admin interface, runs `work` with a client of it, and closes both; a failure of the way in explains a failed read. */
export async function withEndpoint<T>(target: LiveTarget, limits: ContactLimits, work: (client: AdminClient) => Promise<T>): Promise<T> {
  const endpoint = await target.open();
  const client = new AdminClient(endpoint.base, {
    timeoutMs: limits.timeoutMs,
    retries: limits.retries,
    ...(endpoint.dispatcher ? { dispatcher: endpoint.dispatcher } : {}),
  });
  try {
    return await work(client);
  } catch (err) {
    const cause = endpoint.failure?.();
    throw cause ? new Error(cause) : err;
  } finally {
    await client.close();
    await endpoint.close();
  }
}

async function optional<T>(warnings: string[], read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    warnings.push(err instanceof AdminError ? err.message : (err as Error).message);
    return undefined;
  }
}

/** The target's access log, when it has a way to read it; a failure is a warning. */
export async function readLogs(target: LiveTarget, warnings: string[]): Promise<string | undefined> {
  if (!target.logs) return undefined;
  try {
    return await target.logs();
  } catch (err) {
    warnings.push(`logs: ${(err as Error).message}`);
    return undefined;
  }
}

/** A promise's outcome, so parallel reads can all settle before any failure is raised. */
type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

function settled<T>(s: Settled<T>): T {
  if (!s.ok) throw s.error;
  return s.value;
}

/** Streams one answer into `store` under `name`, within the client's size limit and deadline; returns the name. */
async function bodyToStore(client: AdminClient, path: string, query: Record<string, string>, store: BodyStore, name: string): Promise<string> {
  await client.stream(path, query, (chunks) => store.write(name, chunks));
  return name;
}

/**
 * Streams one config dump resource into `store`. Envoy answers 404 for a resource no config tracker provides
 * (source/server/admin/config_dump_handler.cc addResourceToDump: a proxy of TCP proxies alone has no route
 * configurations at all), which is an empty answer, not a failed read.
 */
async function resourceToStore(client: AdminClient, resource: string, store: BodyStore): Promise<string> {
  const name = `config_dump.${resource}.json`;
  try {
    return await bodyToStore(client, '/config_dump', { resource }, store, name);
  } catch (err) {
    if (!(err instanceof AdminError) || err.reason !== 'HTTP 404') throw err;
    await store.write(
      name,
      (async function* () {
        yield Buffer.from('{}');
      })(),
    );
    return name;
  }
}

/** Streams one /stats sample into `store`; the time recorded is when it was asked for. */
export async function statsToStore(client: AdminClient, plan: ReadPlan, store: BodyStore, name: string): Promise<StatsFile> {
  const takenAt = new Date();
  await bodyToStore(client, '/stats', plan.statsQuery, store, name);
  return { file: name, takenAt };
}

/**
 * The second contact's reads, all at once, each settled before any is looked at so none runs unobserved: with a
 * `first` sample, a failed second one only loses what changed in the window; an optional read that fails is a warning.
 */
export async function readProxy(
  client: AdminClient,
  plan: ReadPlan,
  stores: ProxyStores,
  first: StatsFile | undefined,
  warnings: string[],
): Promise<CollectedProxy> {
  const info = settle(optional(warnings, () => client.get('/server_info')));
  const statsSettings = settle(optional(warnings, () => client.get('/config_dump', { mask: BOOTSTRAP_STATS_MASK })));
  const parts = settle(Promise.all(CONFIG_DUMP_RESOURCES.map((resource) => resourceToStore(client, resource, stores.now))));
  const stats = settle(statsToStore(client, plan, stores.now, first ? 'stats.later.txt' : 'stats.txt'));
  const clusters = plan.bundleReads ? settle(optional(warnings, () => client.get('/clusters', { format: 'json' }))) : undefined;
  const listeners = plan.bundleReads ? settle(optional(warnings, () => client.get('/listeners', { format: 'json' }))) : undefined;
  const [serverInfo, configParts, sample, clustersBody, listenersBody, bootstrapStats] = await Promise.all([
    info,
    parts,
    stats,
    clusters,
    listeners,
    statsSettings,
  ]);
  let statsLater: StatsFile | undefined;
  let statsFirst: StatsFile;
  if (first) {
    statsFirst = first;
    // A failed second sample leaves the first to diagnose; only what changed during the window is lost.
    if (sample.ok) statsLater = sample.value;
    else warnings.push(`second stats sample: ${(sample.error as Error).message}`);
  } else statsFirst = settled(sample);
  const fromWait = first?.file;
  const body = (name: string) => (name === fromWait ? stores.waiting.read(name) : stores.now.read(name));
  const proxy: CollectedProxy = { body, configParts: settled(configParts), stats: statsFirst, warnings };
  const serverInfoBody = settled(serverInfo);
  if (serverInfoBody) proxy.serverInfo = serverInfoBody;
  const bootstrapStatsBody = settled(bootstrapStats);
  if (bootstrapStatsBody) proxy.bootstrapStats = bootstrapStatsBody;
  if (statsLater) proxy.statsLater = statsLater;
  const clustersJson = clustersBody ? settled(clustersBody) : undefined;
  const listenersJson = listenersBody ? settled(listenersBody) : undefined;
  if (clustersJson) proxy.clusters = clustersJson;
  if (listenersJson) proxy.listeners = listenersJson;
  return proxy;
}
