// Renders deploy/ with a real kustomize: the `kustomize` command when installed, else `kubectl kustomize` (kubectl
// embeds kustomize; Debian's kubernetes-client package provides it, and .ci/run installs it when kubectl is missing).

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT } from '../helpers/cli.ts';

/** A rendered Kubernetes object, loosely typed: tests read the fields they check. */
export interface Rendered {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

export interface RbacRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

function tryRender(command: string, args: string[]): { ok: boolean; stdout: string; stderr: string; missing: boolean } {
  const r = spawnSync(command, args, { encoding: 'utf8', cwd: ROOT });
  const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  return { ok: r.status === 0, stdout: r.stdout ?? '', stderr: r.stderr ?? '', missing };
}

let cached: Rendered[] | undefined;

/** The objects `kubectl apply -k deploy/` would apply. */
export function renderDeploy(): Rendered[] {
  if (cached) return cached;
  const dir = join(ROOT, 'deploy');
  const attempts: Array<[string, string[]]> = [
    ['kustomize', ['build', dir]],
    ['kubectl', ['kustomize', dir]],
  ];
  const tried: string[] = [];
  for (const [command, args] of attempts) {
    const r = tryRender(command, args);
    if (r.missing) {
      tried.push(`${command}: not installed`);
      continue;
    }
    if (!r.ok) throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr.trim()}`);
    cached = parseAllDocuments(r.stdout)
      .map((d) => d.toJSON() as Rendered | null)
      .filter((o): o is Rendered => o !== null);
    return cached;
  }
  throw new Error(`no kustomize to render deploy/ (${tried.join('; ')}): install kustomize, or kubectl (Debian: apt-get install kubernetes-client)`);
}

/** The one rendered object of this kind and name. */
export function objectOf(kind: string, name: string): Rendered {
  const found = renderDeploy().filter((o) => o.kind === kind && o.metadata.name === name);
  if (found.length !== 1) throw new Error(`deploy/ renders ${found.length} ${kind} named ${name}`);
  return found[0] as Rendered;
}

/** The CronJob's pod spec and its one container. */
export function cronJobPod(): { cronJob: Rendered; pod: Record<string, any>; container: Record<string, any> } {
  const cronJob = objectOf('CronJob', 'envoy-doctor');
  const pod = (cronJob as any).spec.jobTemplate.spec.template.spec as Record<string, any>;
  const containers = pod.containers as Array<Record<string, any>>;
  if (containers.length !== 1) throw new Error(`the CronJob runs ${containers.length} containers, expected 1`);
  return { cronJob, pod, container: containers[0] as Record<string, any> };
}
