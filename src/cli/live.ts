// Running a live collection from command-line options: direct admin URLs or Kubernetes discovery.

import { collectAll, type LiveTarget, type ProgressEvent, type TargetOutcome } from '../collect/live.ts';
import { kubernetesTargets, loadKubeConfig, readGatewayObjects } from '../collect/kubernetes.ts';
import type { KubernetesObjects } from '../model/kubernetes.ts';
import { UsageError } from '../parse/input-error.ts';
import type { CliIO } from './io.ts';
import type { LiveCliOptions } from './options.ts';

/** What a live run collected. */
export interface LiveRun {
  outcomes: TargetOutcome[];
  kubernetes?: KubernetesObjects;
  source: Record<string, string | string[] | number | boolean>;
}

function directTargets(urls: string[]): LiveTarget[] {
  return [...new Set(urls)].map((raw) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new UsageError(`--admin ${raw}: expected a URL such as http://127.0.0.1:9901`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--admin ${raw}: expected an http:// or https:// URL`);
    const base = url.href.replace(/\/$/, '');
    return { id: url.host, admin: base, open: async () => ({ base, close: async () => undefined }) };
  });
}

/** Progress on standard error, one rewritten line, only when it is a terminal. */
function progressPrinter(io: CliIO): ((e: ProgressEvent) => void) | undefined {
  if (!io.stderrIsTTY) return undefined;
  return (e) => io.stderr(`\r\u001b[2K${e.done}/${e.total} proxies · ${e.target}: ${e.step}`);
}

/** Collects from the proxies the options name. */
export async function runLive(targets: string[], o: LiveCliOptions, io: CliIO): Promise<LiveRun> {
  const settings = { intervalMs: o.interval, concurrency: o.concurrency, timeoutMs: o.timeout, retries: o.retries };
  const progress = progressPrinter(io);
  const finish = () => {
    if (progress) io.stderr('\r\u001b[2K');
  };
  if (o.admin && o.admin.length > 0) {
    if (targets.length > 0 || o.selector || o.namespace || o.allNamespaces) throw new UsageError('--admin reads proxies directly; it cannot be combined with Kubernetes targets, -n, -A or -l');
    const outcomes = await collectAll(directTargets(o.admin), { ...settings, ...(progress ? { progress } : {}) });
    finish();
    return { outcomes, source: { mode: 'admin', admin: o.admin } };
  }
  const kc = loadKubeConfig({ ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}), ...(o.context ? { context: o.context } : {}) });
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
  const outcomes = await collectAll(live, { ...settings, ...(progress ? { progress } : {}) });
  finish();
  let kubernetes: KubernetesObjects | undefined;
  const gatewayNamespaces = new Set<string>();
  for (const t of live) {
    const m = /^gateway ([^/]+)\//.exec(t.owner ?? '');
    if (m) gatewayNamespaces.add(m[1] as string);
  }
  if (o.objects && gatewayNamespaces.size > 0) kubernetes = await readGatewayObjects(kc, [...gatewayNamespaces]);
  const source: LiveRun['source'] = { mode: 'kubernetes', context: kc.getCurrentContext() };
  if (o.namespace) source.namespace = o.namespace;
  if (o.allNamespaces) source.allNamespaces = true;
  if (o.selector) source.selector = o.selector;
  if (targets.length > 0) source.targets = targets;
  return kubernetes ? { outcomes, kubernetes, source } : { outcomes, source };
}
