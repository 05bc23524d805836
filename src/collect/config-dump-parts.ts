// One /config_dump document streamed from a proxy's per-resource answers (`/config_dump?resource=`, each
// `{"configs": [...]}` of api/envoy/admin/v3/config_dump.proto), the node from /server_info and the bootstrap's stats
// settings from a masked read (`/config_dump?mask=`, docs/root/operations/admin.rst), which the resource answers lack.

import { InputError } from '../parse/input-error.ts';
import { CONFIG_DUMP_RESOURCES } from './admin-client.ts';
import type { CollectedProxy } from './proxy-contact.ts';

const OPENING = /^\s*\{\s*"configs"\s*:\s*\[/;
const EMPTY = /^\s*\{\s*\}\s*$/;
const CLOSING = /\]\s*\}\s*$/;
const HEAD_BYTES = 256;
const TAIL_BYTES = 64;

/**
 * The entries of one `/config_dump?resource=` answer, `{"configs": [ ... ]}`, as the bytes between its brackets,
 * streamed. An answer laid out otherwise is parsed whole (it is one resource) and its entries written back.
 */
async function* configEntries(body: () => AsyncIterable<Buffer>, source: string): AsyncGenerator<Buffer> {
  const stream = body();
  let head: Buffer = Buffer.alloc(0);
  let tail: Buffer = Buffer.alloc(0);
  let opened = false;
  for await (const chunk of stream) {
    if (!opened) {
      head = Buffer.concat([head, chunk]);
      const m = OPENING.exec(head.subarray(0, HEAD_BYTES).toString('latin1'));
      if (!m) {
        if (head.length < HEAD_BYTES) continue;
        break;
      }
      opened = true;
      tail = head.subarray(m[0].length);
      head = Buffer.alloc(0);
    } else if (chunk.length >= TAIL_BYTES) {
      // The last bytes are held back until the end, where the closing `]}` is cut off; nothing else is copied.
      if (tail.length > 0) yield tail;
      yield chunk.subarray(0, chunk.length - TAIL_BYTES);
      tail = chunk.subarray(chunk.length - TAIL_BYTES);
      continue;
    } else tail = Buffer.concat([tail, chunk]);
    if (tail.length > TAIL_BYTES) {
      yield tail.subarray(0, tail.length - TAIL_BYTES);
      tail = tail.subarray(tail.length - TAIL_BYTES);
    }
  }
  if (opened) {
    const end = CLOSING.exec(tail.toString('latin1'));
    if (!end) throw new InputError(source, "truncated: no closing ']}'; expected Envoy's /config_dump");
    yield tail.subarray(0, end.index);
    return;
  }
  // Not Envoy's layout: read the answer whole and write its entries back.
  const whole: Buffer[] = [];
  for await (const chunk of body()) whole.push(chunk);
  const text = Buffer.concat(whole)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
  if (EMPTY.test(text)) return;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InputError(source, `not JSON (${(err as Error).message}); expected Envoy's /config_dump`);
  }
  const configs = (doc as { configs?: unknown } | null)?.configs;
  if (!Array.isArray(configs)) throw new InputError(source, "no configs[]; expected Envoy's /config_dump");
  yield Buffer.from(configs.map((c) => JSON.stringify(c)).join(','));
}

/** The bootstrap's stats settings from a masked /config_dump answer; nothing when it holds none or is not JSON. */
function bootstrapStatsFields(body: Buffer | undefined): Record<string, unknown> {
  if (!body) return {};
  try {
    const configs = (JSON.parse(body.toString('utf8')) as { configs?: unknown }).configs;
    const entry = Array.isArray(configs)
      ? (configs.find((c) => typeof c?.['@type'] === 'string' && c['@type'].endsWith('.BootstrapConfigDump')) as { bootstrap?: unknown } | undefined)
      : undefined;
    const bootstrap = entry?.bootstrap;
    if (bootstrap === null || typeof bootstrap !== 'object') return {};
    // Only the masked fields, whatever else an answer carries.
    const out: Record<string, unknown> = {};
    for (const key of [
      'stats_config',
      'deferred_stat_options',
      'overload_manager',
      'layered_runtime',
      'statsConfig',
      'deferredStatOptions',
      'overloadManager',
      'layeredRuntime',
    ]) {
      const v = (bootstrap as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = v;
    }
    return out;
  } catch {
    return {};
  }
}

/**
 * One /config_dump document, streamed, from a proxy's per-resource answers (in the order of CONFIG_DUMP_RESOURCES),
 * the node from /server_info and the bootstrap's stats settings from a masked read, which the resource answers lack.
 */
export async function* configDumpChunks(
  proxy: Pick<CollectedProxy, 'body' | 'configParts' | 'serverInfo' | 'bootstrapStats'>,
  base: string,
): AsyncGenerator<Buffer> {
  yield Buffer.from('{"configs":[');
  let entries = 0;
  let node: unknown;
  if (proxy.serverInfo) {
    try {
      node = (JSON.parse(proxy.serverInfo.toString('utf8')) as { node?: unknown }).node;
    } catch {
      // /server_info that is not JSON adds nothing; the resources still make a dump.
    }
  }
  const bootstrap = { ...(node ? { node } : {}), ...bootstrapStatsFields(proxy.bootstrapStats) };
  if (Object.keys(bootstrap).length > 0) {
    yield Buffer.from(JSON.stringify({ '@type': 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump', bootstrap }));
    entries++;
  }
  for (const [i, file] of proxy.configParts.entries()) {
    let started = false;
    for await (const chunk of configEntries(() => proxy.body(file), `${base}/config_dump?resource=${CONFIG_DUMP_RESOURCES[i] ?? file}`)) {
      if (!started) {
        // Leading whitespace says nothing yet: an answer with no entries adds no comma.
        const text = chunk.toString('latin1');
        const at = text.search(/\S/);
        if (at < 0) continue;
        started = true;
        if (entries > 0) yield Buffer.from(',');
        entries++;
        yield chunk.subarray(at);
        continue;
      }
      yield chunk;
    }
  }
  yield Buffer.from(']}');
}
