// Structural mutations of JSON documents for the property tests: keys dropped, duplicated (twice in the text, as
// JSON allows and JSON.parse resolves to the last), values replaced by other types, deep nesting, numbers JSON
// cannot hold exactly and tokens it does not allow (NaN, Infinity), all written out by a serializer that can emit them.

import fc from 'fast-check';
import { edgeNumberText, hostileName } from './harness.ts';

const RAW = Symbol('raw');
const DUPLICATE = Symbol('duplicate');

interface RawToken {
  [RAW]: string;
}

type Tree = unknown;

/** A path from the root to a node: object keys and array indexes. */
export type NodePath = Array<string | number>;

/** Every node's path in a document, root first (walked without recursion, so deep documents are fine). */
export function nodePaths(doc: Tree, limit = 50_000): NodePath[] {
  const out: NodePath[] = [];
  const stack: Array<[Tree, NodePath]> = [[doc, []]];
  while (stack.length > 0 && out.length < limit) {
    const [node, path] = stack.pop() as [Tree, NodePath];
    out.push(path);
    if (Array.isArray(node)) node.forEach((v, i) => stack.push([v, [...path, i]]));
    else if (node !== null && typeof node === 'object') for (const [k, v] of Object.entries(node)) stack.push([v, [...path, k]]);
  }
  return out;
}

/** One mutation of a JSON tree, at a node chosen by index into its paths. */
export type Mutation =
  | { op: 'drop'; node: number }
  | { op: 'duplicate-key'; node: number; value: unknown }
  | { op: 'replace'; node: number; value: unknown }
  | { op: 'raw'; node: number; token: string }
  | { op: 'nest'; node: number; depth: number; open: '[' | '{"a":' | '{"value":' }
  | { op: 'copy'; node: number; times: number }
  | { op: 'rename'; node: number; key: string }
  | { op: 'nest-field'; node: number; depth: number };

/** Fields the parser reads as numbers, durations or wrappers: where deep nesting is most likely to be followed. */
const READ_FIELDS = new Set([
  'per_connection_buffer_limit_bytes',
  'perConnectionBufferLimitBytes',
  'max_connections',
  'maxConnections',
  'max_requests',
  'max_pending_requests',
  'max_retries',
  'port_value',
  'portValue',
  'timeout',
  'idle_timeout',
  'idleTimeout',
  'stream_idle_timeout',
  'max_connection_duration',
  'max_stream_duration',
  'keepalive_time',
  'keepalive_probes',
  'keepalive_interval',
  'int_value',
  'level',
  'bind_to_port',
  'allow_connect',
  'major_number',
  'minor_number',
  'patch',
  'enabled',
  'disabled',
  'request_timeout',
  'connect_timeout',
]);

const value: fc.Arbitrary<unknown> = fc.oneof(
  { maxDepth: 3 },
  fc.jsonValue({ maxDepth: 2 }),
  hostileName,
  fc.constantFrom(
    null,
    true,
    false,
    0,
    -1,
    2 ** 53 + 1,
    Number.MAX_VALUE,
    1e-320,
    '',
    '-',
    '1s',
    '-5s',
    '1e400s',
    'NaNs',
    '0.0000001s',
    '99999999999999999999s',
    `${'9'.repeat(400)}s`,
    { seconds: '1e305', nanos: 0 },
    {},
    [],
  ),
);

/** A random mutation. */
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('drop' as const), node: fc.nat() }),
  fc.record({ op: fc.constant('duplicate-key' as const), node: fc.nat(), value }),
  fc.record({ op: fc.constant('replace' as const), node: fc.nat(), value }),
  fc.record({ op: fc.constant('raw' as const), node: fc.nat(), token: edgeNumberText }),
  fc.record({
    op: fc.constant('nest' as const),
    node: fc.nat(),
    depth: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.constantFrom(5_000, 20_000)),
    open: fc.constantFrom('[' as const, '{"a":' as const, '{"value":' as const),
  }),
  fc.record({ op: fc.constant('copy' as const), node: fc.nat(), times: fc.integer({ min: 2, max: 50 }) }),
  fc.record({ op: fc.constant('nest-field' as const), node: fc.nat(), depth: fc.constantFrom(2, 3, 100, 20_000) }),
  fc.record({
    op: fc.constant('rename' as const),
    node: fc.nat(),
    key: fc.oneof(
      hostileName,
      fc.constantFrom('@type', 'name', 'configs', 'cluster', 'listener', 'route_config', 'value', '__proto__', 'constructor', 'toString'),
    ),
  }),
);

function parentOf(doc: Tree, path: NodePath): { parent: Record<string | number, unknown> | undefined; key: string | number | undefined } {
  if (path.length === 0) return { parent: undefined, key: undefined };
  let cur = doc as Record<string | number, unknown>;
  for (const p of path.slice(0, -1)) cur = cur[p] as Record<string | number, unknown>;
  return { parent: cur, key: path[path.length - 1] };
}

function nested(depth: number, open: string, inner: string): string {
  const close = open === '[' ? ']' : '}';
  return `${open.repeat(depth)}${inner}${close.repeat(depth)}`;
}

/** Applies mutations to a copy of a document; the root itself is only ever replaced by a raw token. */
export function mutate(doc: Tree, mutations: Mutation[]): Tree {
  let out = structuredClone(doc);
  for (const m of mutations) {
    let paths = nodePaths(out);
    if (m.op === 'nest-field') {
      const read = paths.filter((p) => READ_FIELDS.has(String(p[p.length - 1])));
      if (read.length === 0) continue;
      paths = read;
    }
    const path = paths[m.node % paths.length] as NodePath;
    const { parent, key } = parentOf(out, path);
    const current = parent === undefined ? out : parent[key as string];
    const set = (v: unknown) => {
      if (parent === undefined) out = v;
      else parent[key as string] = v;
    };
    switch (m.op) {
      case 'drop':
        if (parent === undefined) break;
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key as string];
        break;
      case 'duplicate-key':
        if (current !== null && typeof current === 'object' && !Array.isArray(current) && Object.keys(current).length > 0) {
          const k = Object.keys(current)[m.node % Object.keys(current).length] as string;
          (current as Record<symbol, unknown>)[DUPLICATE] = { key: k, value: m.value };
        }
        break;
      case 'replace':
        set(structuredClone(m.value));
        break;
      case 'raw':
        set({ [RAW]: m.token } satisfies RawToken);
        break;
      case 'nest':
        set({ [RAW]: nested(m.depth, m.open, JSON.stringify(current ?? null) ?? 'null') } satisfies RawToken);
        break;
      case 'nest-field':
        set({ [RAW]: nested(m.depth, '{"value":', JSON.stringify(current ?? null) ?? 'null') } satisfies RawToken);
        break;
      case 'copy':
        if (Array.isArray(parent)) parent.splice(key as number, 0, ...Array.from({ length: m.times }, () => structuredClone(current)));
        break;
      case 'rename':
        if (parent !== undefined && !Array.isArray(parent)) {
          const v = parent[key as string];
          delete parent[key as string];
          Object.defineProperty(parent, m.key, { value: v, enumerable: true, configurable: true, writable: true });
        }
        break;
    }
  }
  return out;
}

/** JSON text of a mutated tree: raw tokens written as they are, duplicated keys written twice. */
export function serialize(tree: Tree): string {
  const parts: string[] = [];
  const stack: Array<Tree | { [RAW]: string }> = [tree];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node !== null && typeof node === 'object' && RAW in node) {
      parts.push((node as RawToken)[RAW]);
    } else if (Array.isArray(node)) {
      const items: Array<Tree> = [{ [RAW]: '[' }];
      node.forEach((v, i) => {
        if (i > 0) items.push({ [RAW]: ',' });
        items.push(v === undefined ? null : v);
      });
      items.push({ [RAW]: ']' });
      for (let i = items.length - 1; i >= 0; i--) stack.push(items[i]);
    } else if (node !== null && typeof node === 'object') {
      const items: Array<Tree> = [{ [RAW]: '{' }];
      const entries = Object.entries(node);
      const dup = (node as Record<symbol, unknown>)[DUPLICATE] as { key: string; value: unknown } | undefined;
      // JSON.parse keeps the last of duplicated keys: the injected value comes first or last by the key's length.
      if (dup) dup.key.length % 2 === 0 ? entries.unshift([dup.key, dup.value]) : entries.push([dup.key, dup.value]);
      entries.forEach(([k, v], i) => {
        items.push({ [RAW]: `${i > 0 ? ',' : ''}${JSON.stringify(k)}:` });
        items.push(v === undefined ? null : v);
      });
      items.push({ [RAW]: '}' });
      for (let i = items.length - 1; i >= 0; i--) stack.push(items[i]);
    } else {
      parts.push(JSON.stringify(node ?? null) ?? 'null');
    }
  }
  return parts.join('');
}
