// The single-file executable's entry point (`npm run build:sea`, sea/build.ts): what bin/envoy-doctor.js does, for a
// Node.js binary that carries envoy-doctor bundled as one CommonJS script and its files as assets.
//
// envoy-doctor reads a few of its own files next to its modules (package.json for its name and version, the docs pages
// `explain` prints). The bundle's modules see themselves under SEA_ROOT, a directory that exists nowhere, and reads of
// a file under it are answered from the executable's assets: the same bytes the npm package ships.

import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { getAsset, isSea } from 'node:sea';
import { restartWithStartFlags, V8_FLAGS } from '../src/cli/v8-flags.ts';
import { SEA_ROOT } from './root.ts';

/** The asset key of a path under SEA_ROOT (`docs/findings/x.md`), or undefined for any other path. */
function assetKey(path: unknown): string | undefined {
  const text = path instanceof URL ? (path.protocol === 'file:' ? fileURLToPath(path) : undefined) : typeof path === 'string' ? path : undefined;
  return text?.startsWith(`${SEA_ROOT}/`) ? text.slice(SEA_ROOT.length + 1) : undefined;
}

/** The asset as `readFile` would give the file: a string with an encoding, else a Buffer; ENOENT when there is none. */
function readAsset(key: string, options: unknown): string | Buffer {
  let bytes: ArrayBuffer;
  try {
    bytes = getAsset(key);
  } catch {
    throw Object.assign(new Error(`ENOENT: no such file or directory, open '${SEA_ROOT}/${key}'`), {
      code: 'ENOENT',
      errno: -2,
      syscall: 'open',
      path: `${SEA_ROOT}/${key}`,
    });
  }
  const encoding = (typeof options === 'string' ? options : (options as { encoding?: string } | undefined)?.encoding) as BufferEncoding | undefined;
  const buffer = Buffer.from(bytes);
  return encoding ? buffer.toString(encoding) : buffer;
}

if (isSea()) {
  const { readFileSync } = fs;
  const { readFile } = fs.promises;
  fs.readFileSync = function (this: unknown, path: unknown, ...rest: unknown[]) {
    const key = assetKey(path);
    return key === undefined ? Reflect.apply(readFileSync, this, [path, ...rest]) : readAsset(key, rest[0]);
  } as typeof fs.readFileSync;
  fs.promises.readFile = async function (this: unknown, path: unknown, ...rest: unknown[]) {
    const key = assetKey(path);
    return key === undefined ? Reflect.apply(readFile, this, [path, ...rest]) : readAsset(key, rest[0]);
  } as typeof fs.promises.readFile;
}

// As bin/envoy-doctor.js: analyze and diagnose restart once with the start flags, and the V8 flags are set before the
// command's modules load. Node.js puts the executable's path at argv[1] of a single-file executable, as the script's.
restartWithStartFlags(process.argv.slice(2), process.argv.slice(2));
for (const flag of V8_FLAGS) setFlagsFromString(flag);
import('../src/cli/process.ts')
  .then(({ runAsProcess }) => runAsProcess())
  .then((code) => {
    process.exitCode = code;
  });
