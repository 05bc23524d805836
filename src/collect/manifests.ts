// Reading the policies a Git checkout declares (`--manifests DIR`): every YAML or JSON file below the directory,
// every document in it, keeping the kinds envoy-doctor compares with the live objects.

import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject, Manifests } from '../model/kubernetes.ts';
import { InputError } from '../parse/input-error.ts';

/** Kinds compared with the live cluster. */
const COMPARED_KINDS = new Set(['Gateway', 'HTTPRoute', 'BackendTrafficPolicy', 'ClientTrafficPolicy', 'EnvoyProxy']);

async function yamlFiles(dir: string, depth = 0): Promise<string[]> {
  if (depth > 12) return [];
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await yamlFiles(path, depth + 1)));
    else if (entry.isFile() && /\.(ya?ml|json)$/.test(entry.name)) out.push(path);
  }
  return out.sort();
}

/** Reads the compared kinds from every manifest below `dir`. */
export async function readManifests(dir: string): Promise<Manifests> {
  const s = await stat(dir).catch(() => undefined);
  if (!s) throw new InputError(dir, 'no such directory; expected --manifests DIR, a checkout holding Kubernetes YAML');
  if (!s.isDirectory())
    throw new InputError(dir, `a file, not a directory; expected --manifests DIR, a checkout holding Kubernetes YAML (such as ${dirname(dir)})`);
  const objects: KubeObject[] = [];
  for (const file of await yamlFiles(dir)) {
    const text = await readFile(file, 'utf8');
    for (const doc of parseAllDocuments(text, { uniqueKeys: false, logLevel: 'error' })) {
      if ('errors' in doc && doc.errors.length > 0)
        throw new InputError(file, `invalid YAML (${doc.errors[0]?.message.split('\n')[0]}); expected Kubernetes manifests`);
      const value = doc.toJSON() as Partial<KubeObject> | null;
      const items = value && (value as { kind?: string }).kind === 'List' ? ((value as { items?: Partial<KubeObject>[] }).items ?? []) : [value];
      for (const o of items) {
        if (o && typeof o.kind === 'string' && COMPARED_KINDS.has(o.kind) && typeof o.metadata?.name === 'string') objects.push(o as KubeObject);
      }
    }
  }
  return { source: dir, objects };
}
