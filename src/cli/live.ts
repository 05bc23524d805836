// Running a live collection from command-line options: direct admin URLs or Kubernetes discovery, each proxy
// diagnosed (`diagnose`) or written into a bundle (`collect`) as soon as it is read.

import type { BundleManifest } from '../collect/bundle.ts';
import { bundleSink, diagnosisSink, writeBundleManifest } from '../collect/capture.ts';
import { readGatewayObjects } from '../collect/gateway-reads.ts';
import { readVirtualServices } from '../collect/istio-reads.ts';
import { kubernetesTargets, loadKubeConfig } from '../collect/kubernetes-api.ts';
import { collectAll, type LiveSink, type ProgressEvent, type TargetOutcome } from '../collect/live-collection.ts';
import { readDocument } from '../collect/read-input.ts';
import type { LiveTarget, ReadPlan } from '../collect/proxy-contact.ts';
import { readManifests } from '../collect/manifests.ts';
import { statsFilter } from '../collect/stats-filter.ts';
import type { Diagnosis } from '../diagnose/diagnose.ts';
import { neededStats } from '../diagnose/stats-to-read.ts';
import { startDiagnosis } from './diagnosis.ts';
import { type KubernetesObjects, type Manifests, noKubernetesObjects } from '../model/kubernetes.ts';
import type { CliIO } from './io.ts';
import type { LiveCliOptions } from './options.ts';
import { UsageError } from './usage-error.ts';

/** Whom a live run reads, and what it read before the proxies: the Envoy Gateway objects, Istio's VirtualServices. */
interface LivePlan {
  targets: LiveTarget[];
  kubernetes?: KubernetesObjects;
  /** The Envoy Gateway objects were read (`--manifests` compares them). */
  gatewayObjects?: boolean;
  source: Record<string, string | string[] | number | boolean>;
}

/** What `diagnose` asks each proxy for: /stats filtered to what the analyzers read, no bundle-only reads. */
export const DIAGNOSE_READS: ReadPlan = { statsQuery: { filter: statsFilter(neededStats()) }, bundleReads: false };

/** What `collect` asks each proxy for: the whole of /stats, and /clusters and /listeners for the bundle. */
const COLLECT_READS: ReadPlan = { statsQuery: {}, bundleReads: true };

/** The admin URLs as targets; `accessLog`, a file, is the logs of the only one (plain Envoy writes its access log to a file). */
function directTargets(urls: string[], accessLog: string | undefined): LiveTarget[] {
  const unique = [...new Set(urls)];
  if (accessLog !== undefined && unique.length !== 1)
    throw new UsageError(`--access-log is the log of one proxy: give one --admin with it (${unique.length} given)`);
  return unique.map((raw) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new UsageError(`--admin ${raw}: expected a URL such as http://127.0.0.1:9901`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--admin ${raw}: expected an http:// or https:// URL`);
    const base = url.href.replace(/\/$/, '');
    const target: LiveTarget = { id: url.host, admin: base, open: async () => ({ base, close: async () => undefined }) };
    if (accessLog !== undefined) target.logs = async () => (await readDocument(accessLog)).toString('utf8');
    return target;
  });
}

/** Progress on standard error, one rewritten line, only when it is a terminal. */
function progressPrinter(io: CliIO): ((e: ProgressEvent) => void) | undefined {
  if (!io.stderrIsTTY) return undefined;
  return (e) => io.stderr(`\r\u001b[2K${e.done}/${e.total} proxies · ${e.target}: ${e.step}`);
}

/** Finds the proxies the options name and, for those of a Gateway, reads the Envoy Gateway objects. */
async function planLive(targets: string[], o: LiveCliOptions): Promise<LivePlan> {
  if (o.admin && o.admin.length > 0) {
    if (targets.length > 0 || o.selector || o.namespace || o.allNamespaces)
      throw new UsageError('--admin reads proxies directly; it cannot be combined with Kubernetes targets, -n, -A or -l');
    return { targets: directTargets(o.admin, o.logs ? o.accessLog : undefined), source: { mode: 'admin', admin: o.admin } };
  }
  if (o.accessLog !== undefined) throw new UsageError("--access-log goes with --admin; through Kubernetes the pods' logs are read (--since, --no-logs)");
  const kc = await loadKubeConfig({ ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}), ...(o.context ? { context: o.context } : {}) });
  const live = await kubernetesTargets(kc, {
    ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}),
    ...(o.context ? { context: o.context } : {}),
    ...(o.namespace ? { namespace: o.namespace } : {}),
    allNamespaces: o.allNamespaces ?? false,
    ...(o.selector ? { selector: o.selector } : {}),
    ...(o.adminPort !== undefined ? { adminPort: o.adminPort } : {}),
    targets,
    logsSinceSeconds: o.logs ? Math.round(o.since / 1000) : 0,
  });
  const gatewayNamespaces = new Set<string>();
  for (const t of live) {
    const m = /^gateway ([^/]+)\//.exec(t.owner ?? '');
    if (m) gatewayNamespaces.add(m[1] as string);
  }
  const source: LivePlan['source'] = { mode: 'kubernetes', context: kc.getCurrentContext() };
  if (o.namespace) source.namespace = o.namespace;
  if (o.allNamespaces) source.allNamespaces = true;
  if (o.selector) source.selector = o.selector;
  if (targets.length > 0) source.targets = targets;
  // Read before the proxies, so each proxy is diagnosed with them as soon as it is collected.
  if (!o.objects) return { targets: live, source };
  const istioNamespaces = [...new Set(live.filter((t) => t.istio && t.namespace !== undefined).map((t) => t.namespace as string))];
  const gateway = gatewayNamespaces.size > 0 ? await readGatewayObjects(kc, [...gatewayNamespaces]) : undefined;
  const istio = istioNamespaces.length > 0 ? await readVirtualServices(kc, istioNamespaces) : undefined;
  if (!gateway && !istio) return { targets: live, source };
  const kubernetes = gateway ?? noKubernetesObjects();
  if (istio?.virtualServices) kubernetes.virtualServices = istio.virtualServices;
  kubernetes.unavailable.push(...(istio?.unavailable ?? []));
  return { targets: live, kubernetes, gatewayObjects: gateway !== undefined, source };
}

/** Collects the planned proxies into `sink`, with progress on a terminal. */
async function collectLive(plan: LivePlan, o: LiveCliOptions, io: CliIO, sink: LiveSink, reads: ReadPlan): Promise<TargetOutcome[]> {
  const progress = progressPrinter(io);
  const settings = { intervalMs: o.interval, concurrency: o.concurrency, timeoutMs: o.timeout, retries: o.retries, reads };
  try {
    return await collectAll(plan.targets, { ...settings, ...(progress ? { progress } : {}) }, sink);
  } finally {
    if (progress) io.stderr('\r\u001b[2K');
  }
}

/** `diagnose`: every proxy parsed and diagnosed as it is read, only its summary kept; the merged diagnosis. */
export async function diagnoseLive(targets: string[], o: LiveCliOptions & { manifests?: string }, io: CliIO): Promise<Diagnosis> {
  const plan = await planLive(targets, o);
  let manifests: Manifests | undefined;
  if (o.manifests !== undefined) {
    if (!plan.gatewayObjects)
      throw new UsageError(
        '--manifests compares the live Envoy Gateway objects, and none were read: diagnose through Kubernetes, or analyze a bundle that holds them',
      );
    manifests = await readManifests(o.manifests);
  }
  const run = await startDiagnosis('summary');
  const sink = await diagnosisSink(run, { ...(plan.kubernetes ? { kubernetes: plan.kubernetes } : {}), ...(manifests ? { manifests } : {}) });
  try {
    await collectLive(plan, o, io, sink, DIAGNOSE_READS);
  } finally {
    await sink.close();
  }
  return run.result();
}

/** `collect`: every proxy written into the bundle directory `dir` as it is read, then the bundle's manifest. */
export async function collectLiveBundle(
  targets: string[],
  o: LiveCliOptions,
  io: CliIO,
  dir: string,
  tool: { name: string; version: string },
): Promise<BundleManifest> {
  const plan = await planLive(targets, o);
  const outcomes = await collectLive(plan, o, io, bundleSink(dir), COLLECT_READS);
  return writeBundleManifest(dir, outcomes, {
    tool,
    source: plan.source,
    intervalSeconds: o.interval / 1000,
    ...(plan.kubernetes ? { kubernetes: plan.kubernetes } : {}),
  });
}
