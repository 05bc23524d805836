// Pod logs as kubelet serves them through the fake Kubernetes API server (test/helpers/kube-api.ts).
//
// Log lines may carry the container runtime's RFC3339 timestamp (`2025-01-02T03:04:05.123456789Z text`).
// sinceSeconds/sinceTime filter on it whether or not `timestamps=true` is asked for; without `timestamps=true` the
// timestamp prefix is removed, as kubelet does. tailLines is applied before the since filter (as kubelet). A
// container still waiting to start has no logs yet (400, as kubelet answers).

import type { FakeCluster, FakeContainer, FakePod } from './kube-cluster.ts';
import { boolParam, intParam } from './kube-query.ts';
import { badRequest } from './kube-refusals.ts';

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2}) /;

function timestampOf(line: string): { ms: number; prefix: number } | undefined {
  const m = TIMESTAMP.exec(line);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${(m[2] ?? '').slice(0, 4)}${m[3]}`);
  return Number.isNaN(ms) ? undefined : { ms, prefix: m[0].length };
}

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

/** The log of one of a pod's containers (`container=`, or its only one) for these query parameters. */
export function containerLog(cluster: FakeCluster, pod: FakePod, params: URLSearchParams): string {
  const name = pod.metadata.name;
  const namespace = pod.metadata.namespace ?? '';
  const names = [...(pod.spec.containers ?? []), ...(pod.spec.initContainers ?? [])].map((c) => c.name);
  let container = params.get('container') ?? '';
  if (!container) {
    if (pod.spec.containers.length !== 1)
      throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${pod.spec.containers.map((c) => c.name).join(' ')}]`);
    container = (pod.spec.containers[0] as FakeContainer).name;
  }
  if (!names.includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
  const key = `${namespace}/${name}/${container}`;
  let text: string | undefined;
  if (boolParam(params, 'previous')) {
    text = cluster.previousLogs?.get(key);
    if (text === undefined) throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
  } else {
    const waiting = pod.status?.containerStatuses?.find((s) => s.name === container)?.state?.waiting;
    text = cluster.logs?.get(key);
    if (waiting && text === undefined)
      throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${waiting.reason ?? 'ContainerCreating'}`);
  }
  return selectLog(text ?? '', params, cluster.now?.() ?? new Date());
}
