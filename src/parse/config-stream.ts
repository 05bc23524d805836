// Config dumps read as a stream: the document is rebuilt from its parts without ever being one string, so a dump
// of any size (`/config_dump?include_eds` of a large mesh runs past V8's ~512 MiB string limit) is read with
// memory that follows the model. Each `configs[]` entry is walked key by key; arrays inside it are parsed
// element by element; EDS (`dynamic_endpoint_configs`, `static_endpoint_configs`) and secrets are skipped
// without keeping their bytes, since the model reads neither (api/envoy/admin/v3/config_dump_shared.proto,
// config_dump.proto: EndpointsConfigDump, SecretsConfigDump). The result equals the whole-document parse of
// parseConfigDocument minus those skipped parts. YAML is read whole, up to a size limit.

import { type ParsedConfig, parseConfigDump, splitDocument } from './config-dump.ts';
import { parseConfigDocument } from './config-document.ts';
import { detectKind, kindName } from './detect.ts';
import { InputError } from './input-error.ts';
import { peek } from './peek.ts';
import { type Decision, type JsonStreamHandler, MAX_VALUE_BYTES, type PathPart, scanJsonChunks, type ValueKind } from './json-stream.ts';

const EXPECTED = 'expected an Envoy /config_dump (JSON or YAML) or egctl config envoy-proxy output';

/** Largest YAML document read (whole, as one string). */
export const MAX_YAML_BYTES = 500 * 1024 * 1024;

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
export interface ConfigStreamOptions {
  /** Largest YAML document accepted (default {@link MAX_YAML_BYTES}). */
  maxYamlBytes?: number;
  /** Largest single JSON value parsed at once (default 500 MiB). */
  maxValueBytes?: number;
  /** The input's size when known (a file): YAML over the limit is refused before it is read. */
  totalBytes?: number;
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

/** Rebuilds the parts of a config dump document the model reads. */
class ConfigDumpBuilder implements JsonStreamHandler {
  root: unknown;
  private readonly stack: Container[] = [];

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
    const container: Container = kind === 'object' ? {} : [];
    this.place(path, container);
    this.stack.push(container);
  }

  value(path: readonly PathPart[], value: unknown): void {
    this.place(path, value);
  }

  leave(): void {
    this.stack.pop();
  }

  private place(path: readonly PathPart[], value: unknown): void {
    const parent = this.stack.at(-1);
    if (parent === undefined) this.root = value;
    else if (Array.isArray(parent)) parent.push(value);
    else setMember(parent, path.at(-1) as string, value);
  }
}

/** Parses a streamed JSON config dump document (Envoy's, egctl-wrapped or a resource list) into one config per proxy. */
export async function parseJsonConfigChunks(chunks: AsyncIterable<Buffer>, source: string, fallbackId: string, options: ConfigStreamOptions = {}): Promise<ParsedConfig[]> {
  const builder = new ConfigDumpBuilder();
  await scanJsonChunks(chunks, source, builder, { expected: EXPECTED, maxValueBytes: options.maxValueBytes ?? MAX_VALUE_BYTES });
  return splitDocument(builder.root, source, fallbackId).map((raw) => parseConfigDump(raw, source));
}

/** Parses a config dump arriving as chunks (file, HTTP body, gunzipped stream): JSON streamed, YAML read whole. */
export async function parseConfigDumpChunks(chunks: AsyncIterable<Buffer>, source: string, fallbackId: string, options: ConfigStreamOptions = {}): Promise<ParsedConfig[]> {
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
