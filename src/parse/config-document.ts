// A config dump file (JSON or YAML, one proxy or several) into parsed configs.

import { parse as parseYaml } from 'yaml';
import { type ParsedConfig, parseConfigDump, splitDocument } from './config-dump.ts';
import { detectKind, kindName } from './detect.ts';
import { InputError } from './input-error.ts';

const EXPECTED = 'expected an Envoy /config_dump (JSON or YAML) or egctl config envoy-proxy output';

/** Parses a config dump document; one entry per proxy it holds. */
export function parseConfigDocument(bytes: Buffer, source: string, fallbackId: string): ParsedConfig[] {
  const kind = detectKind(bytes.subarray(0, 64 * 1024));
  let doc: unknown;
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  if (kind === 'json') {
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new InputError(source, `invalid or truncated JSON (${(err as Error).message}); ${EXPECTED}`);
    }
  } else if (kind === 'yaml') {
    try {
      // Aliases would let a few bytes stand for any number of resources; dumps as Envoy, egctl and istioctl print them have none.
      // Warnings (an unknown %directive) are not printed: Node would spread them over six lines of standard error.
      doc = parseYaml(text, { maxAliasCount: 0, uniqueKeys: false, logLevel: 'error' });
    } catch (err) {
      if (/alias/i.test((err as Error).message)) {
        throw new InputError(source, `YAML aliases (*name) are not expanded; ${EXPECTED}, which has none`);
      }
      const first = (err as Error).message.split('\n')[0];
      throw new InputError(source, `invalid YAML (${first}); ${EXPECTED}`);
    }
  } else if (kind === 'html') {
    throw new InputError(source, 'expected an Envoy /config_dump, got an HTML page (an error or login page answered with 200)');
  } else {
    throw new InputError(source, `${kindName(kind)}; ${EXPECTED}`);
  }
  return splitDocument(doc, source, fallbackId).map((raw) => parseConfigDump(raw, source));
}
