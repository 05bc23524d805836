// Envoy's /server_info (api/envoy/admin/v3/server_info.proto): the build version and the server state.
// `version` reads `<sha>/<x.y.z>/<Clean|Modified>/<RELEASE|DEBUG>/<ssl>`.

import { InputError } from './input-error.ts';
import { isObj, str } from './proto-json.ts';

/** What envoy-doctor uses from /server_info. */
interface ServerInfo {
  /** `1.35.3`, or undefined when the version string has no release number. */
  envoyVersion?: string;
  state?: string;
}

/**
 * The release number in Envoy's build version string (`<sha>/<x.y.z>/<Clean|Modified>/<RELEASE|DEBUG>/<ssl>`), as
 * /server_info and the legacy bootstrap `node.build_version` print it; undefined when it has none.
 */
export function releaseOfBuildVersion(version: string): string | undefined {
  return /(?:^|\/)(\d+\.\d+\.\d+)(?:[-/]|$)/.exec(version)?.[1];
}

/** Parses /server_info JSON text. */
export function parseServerInfo(text: string, source: string): ServerInfo {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new InputError(source, `invalid JSON (${(err as Error).message}); expected Envoy /server_info output`);
  }
  const version = isObj(doc) ? str(doc, 'version') : undefined;
  if (version === undefined) throw new InputError(source, 'no version field; expected Envoy /server_info output');
  const info: ServerInfo = {};
  const release = releaseOfBuildVersion(version);
  if (release) info.envoyVersion = release;
  const state = str(doc, 'state');
  if (state) info.state = state;
  return info;
}
