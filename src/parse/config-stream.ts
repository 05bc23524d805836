// Config dumps read as a stream: the document is never one string, so a dump of any size (`/config_dump?include_eds`
// of a large mesh runs past V8's ~512 MiB string limit) is read with memory that follows the model. Each
// `configs[]` entry is walked key by key; the elements of its clusters, listeners and route configurations are
// parsed in batches and turned into model objects as they arrive (ConfigDumpReader), and a finished entry leaves
// only a placeholder. EDS (`dynamic_endpoint_configs`, `static_endpoint_configs`) and secrets are skipped without
// keeping their bytes, since the model reads neither (api/envoy/admin/v3/config_dump_shared.proto,
// config_dump.proto: EndpointsConfigDump, SecretsConfigDump). The result equals the whole-document parse of
// parseConfigDocument. YAML is read whole, up to a size limit.

import { ConfigDumpReader, EntryMembers, type ParsedConfig, parseConfigDump, splitDocument } from './config-dump.ts';
import { type ConfigSlot, entryArrayReader } from './config-slot.ts';
import { parseConfigDocument } from './config-document.ts';
import { detectKind, kindName } from './detect.ts';
import { InputError } from './input-error.ts';
import { peek } from './peek.ts';
import { typeName } from './proto-json.ts';
import { scanJsonChunks } from './json-stream.ts';
import { type Decision, type JsonStreamHandler, MAX_VALUE_BYTES, type PathPart, type ValueKind } from './json-stream-handler.ts';

const EXPECTED = 'expected an Envoy /config_dump (JSON or YAML) or egctl config envoy-proxy output';

/** Largest YAML document read (whole, as one string). */
const MAX_YAML_BYTES = 500 * 1024 * 1024;

/** Keys of `configs[]` entries whose values are never read: EDS and secrets, in both spellings. */
export const SKIPPED_CONFIG_KEYS: ReadonlySet<string> = new Set([
  'dynamic_endpoint_configs',
  'static_endpoint_configs',
  'dynamic_active_secrets',
  'dynamic_warming_secrets',
  'static_secrets',
  'dynamicEndpointConfigs',
  'staticEndpointConfigs',
  'dynamicActiveSecrets',
  'dynamicWarmingSecrets',
  'staticSecrets',
]);

/** Options of the streaming config dump reader. */
interface ConfigStreamOptions {
  /** Largest YAML document accepted (default {@link MAX_YAML_BYTES}). */
  maxYamlBytes?: number;
  /** Largest single JSON value parsed at once (default 500 MiB). */
  maxValueBytes?: number;
  /** The input's size when known (a file): YAML over the limit is refused before it is read. */
  totalBytes?: number;
  /**
   * Reads the input again from its start (a file). When given, EDS and secrets laid out on lines of their own are
   * skipped to their closing line without walking their bytes, and a document that then fails to scan is read again
   * without skipping so (json-layout.ts): the result, or the error, is the full scan's.
   */
  reread?: () => AsyncIterable<Buffer>;
}

type Container = Record<string, unknown> | unknown[];

/** Where `configs[]` entries sit: the root array, or a `configs` array at most three objects deep. */
function entryDepth(path: readonly PathPart[]): number {
  // Returns the length of the entry's path when `path` is at or inside an entry, else -1.
  if (path.length >= 1 && typeof path[0] === 'number') return 1;
  for (let d = 1; d <= 3 && d < path.length; d++) {
    if (path[d - 1] === 'configs' && typeof path[d] === 'number') {
      for (let k = 0; k < d - 1; k++) if (typeof path[k] !== 'string') return -1;
      return d + 1;
    }
  }
  return -1;
}

function setMember(o: Record<string, unknown>, key: string, value: unknown): void {
  // JSON.parse makes `__proto__` an own property; so must the rebuilt document.
  if (key === '__proto__') Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}

/** Stands in the stack for an entry array whose elements are read as they arrive, never kept. */
const READ_AS_ARRIVING: unique symbol = Symbol('read as arriving');

/** Stands in a `configs[]` array for an entry already read into its proxy's reader. */
const READ_ENTRY: Readonly<Record<string, never>> = Object.freeze({});

/** The `configs[]` entry being streamed. */
interface OpenEntry {
  depth: number;
  object: Record<string, unknown>;
  members: EntryMembers;
  configs: unknown[];
  index: number;
}

/**
 * Rebuilds the document around its `configs[]` entries and reads each entry into its proxy's model as it
 * arrives: the elements of an entry's clusters, listeners and route configurations are read one by one and let go,
 * and a finished entry leaves only a placeholder, so memory follows the model rather than the dump.
 */
class ConfigDumpBuilder implements JsonStreamHandler {
  root: unknown;
  /** One reader per `configs[]` array, by the array the rebuilt document holds. */
  readonly readers = new Map<unknown[], ConfigDumpReader>();
  private readonly stack: Array<Container | typeof READ_AS_ARRIVING> = [];
  private entry: OpenEntry | undefined;
  private arriving: { read: (element: unknown, slot: ConfigSlot) => void; slot: ConfigSlot } | undefined;

  decide(path: readonly PathPart[], kind: ValueKind): Decision {
    if (kind === 'scalar') return 'emit';
    const entry = entryDepth(path);
    if (entry < 0) {
      // Above the entries: the root, up to two wrapping objects (egctl's namespace and pod), and `configs`.
      if (path.length === 0) return 'descend';
      const key = path.at(-1);
      if (kind === 'array') return key === 'configs' && path.length <= 3 ? 'descend' : 'emit';
      return path.length <= 2 ? 'descend' : 'emit';
    }
    if (path.length === entry) return kind === 'object' ? 'descend' : 'emit';
    if (path.length === entry + 1) {
      const key = path.at(-1);
      if (typeof key === 'string' && SKIPPED_CONFIG_KEYS.has(key)) return 'skip';
      return kind === 'array' ? 'descend' : 'emit';
    }
    return 'emit';
  }

  enter(path: readonly PathPart[], kind: 'object' | 'array'): void {
    const open = this.entry;
    if (open !== undefined && path.length === open.depth + 1 && this.startMember(open, path.at(-1) as string, kind)) return;
    const container: Container = kind === 'object' ? {} : [];
    const parent = this.stack.at(-1);
    this.place(path, container);
    this.stack.push(container);
    if (open === undefined && kind === 'object' && Array.isArray(parent) && path.length === entryDepth(path)) {
      let reader = this.readers.get(parent);
      if (reader === undefined) this.readers.set(parent, (reader = new ConfigDumpReader()));
      const object = container as Record<string, unknown>;
      this.entry = { depth: path.length, object, members: new EntryMembers(reader), configs: parent, index: parent.length - 1 };
    }
  }

  /**
   * Notes member `key` of the open entry and, when it is an array the entry's type reads, starts reading it element
   * by element instead of building it; true if so.
   */
  private startMember(open: OpenEntry, key: string, kind: 'object' | 'array'): boolean {
    const slot = open.members.slot(key);
    if (slot === undefined || kind !== 'array') return false;
    const type = typeName(open.object);
    const read = entryArrayReader(type, key);
    if (read === undefined) return false;
    slot.streamedAs = type;
    delete open.object[key];
    this.arriving = { read, slot };
    this.stack.push(READ_AS_ARRIVING);
    return true;
  }

  /** The elements of an entry array read as they arrive are all emitted (`decide` past an entry's members). */
  emitsEveryElement(): boolean {
    return this.stack.at(-1) === READ_AS_ARRIVING;
  }

  value(path: readonly PathPart[], value: unknown): void {
    const arriving = this.arriving;
    if (arriving !== undefined && this.stack.at(-1) === READ_AS_ARRIVING) {
      arriving.read(value, arriving.slot);
      return;
    }
    const open = this.entry;
    if (open !== undefined && path.length === open.depth + 1) open.members.slot(path.at(-1) as string);
    this.place(path, value);
  }

  leave(): void {
    const top = this.stack.pop();
    if (top === READ_AS_ARRIVING) {
      this.arriving = undefined;
      return;
    }
    const open = this.entry;
    if (open !== undefined && top === open.object) {
      open.members.end(open.object);
      open.configs[open.index] = READ_ENTRY;
      this.entry = undefined;
    }
  }

  private place(path: readonly PathPart[], value: unknown): void {
    const parent = this.stack.at(-1);
    if (parent === undefined) this.root = value;
    else if (parent === READ_AS_ARRIVING) throw new Error('unreachable: a value placed in an array read as it arrives');
    else if (Array.isArray(parent)) parent.push(value);
    else setMember(parent, path.at(-1) as string, value);
  }
}

/** Parses a streamed JSON config dump document (Envoy's, egctl-wrapped or a resource list) into one config per proxy. */
export async function parseJsonConfigChunks(
  chunks: AsyncIterable<Buffer>,
  source: string,
  fallbackId: string,
  options: ConfigStreamOptions = {},
): Promise<ParsedConfig[]> {
  const maxValueBytes = options.maxValueBytes ?? MAX_VALUE_BYTES;
  let builder = new ConfigDumpBuilder();
  const skipByLayout = options.reread === undefined ? undefined : { skipped: 0 };
  try {
    await scanJsonChunks(chunks, source, builder, { expected: EXPECTED, maxValueBytes, ...(skipByLayout && { skipByLayout }) });
  } catch (err) {
    if (!(err instanceof InputError) || options.reread === undefined || skipByLayout?.skipped === 0) throw err;
    builder = new ConfigDumpBuilder();
    await scanJsonChunks(options.reread(), source, builder, { expected: EXPECTED, maxValueBytes });
  }
  return splitDocument(builder.root, source, fallbackId).map((raw) => {
    const reader = builder.readers.get(raw.configs);
    return reader === undefined ? parseConfigDump(raw, source) : reader.finish(raw, source);
  });
}

/** Parses a config dump arriving as chunks (file, HTTP body, gunzipped stream): JSON streamed, YAML read whole. */
export async function parseConfigDumpChunks(
  chunks: AsyncIterable<Buffer>,
  source: string,
  fallbackId: string,
  options: ConfigStreamOptions = {},
): Promise<ParsedConfig[]> {
  const { head, rest } = await peek(chunks);
  const kind = detectKind(head);
  if (kind === 'json') return parseJsonConfigChunks(rest, source, fallbackId, options);
  if (kind !== 'yaml') throw new InputError(source, `${kindName(kind)}; ${EXPECTED}`);
  const limit = options.maxYamlBytes ?? MAX_YAML_BYTES;
  const tooLarge = (size: number): InputError =>
    new InputError(
      source,
      `${(size / 1048576).toFixed(0)} MiB of YAML is more than the ${(limit / 1048576).toFixed(0)} MiB a YAML document can be read in; ` +
        'expected a smaller YAML dump, or Envoy /config_dump JSON, which is read as a stream at any size',
    );
  if (options.totalBytes !== undefined && options.totalBytes > limit) throw tooLarge(options.totalBytes);
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of rest) {
    total += chunk.length;
    if (total > limit) throw tooLarge(total);
    parts.push(chunk);
  }
  return parseConfigDocument(Buffer.concat(parts), source, fallbackId);
}
