// Bundles: what `envoy-doctor collect` writes and `envoy-doctor analyze` reads back (docs/bundle.md).
// A bundle is a directory (or a .tar.gz of one) with a manifest, one directory per proxy in the single-proxy
// layout, and the Kubernetes objects. Archives are extracted only as plain files and directories inside a
// fresh temporary directory: absolute paths and `..` are refused, links are never extracted (and refused, except the
// log links of an egctl support bundle).

import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { create as createTar, extract as extractTar } from 'tar';
import { InputError } from '../parse/input-error.ts';
import { egctlRoot } from './egctl-bundle.ts';
import { makeTempDir, removeTempDir } from './temp-dirs.ts';

/** The `kind` that marks a multi-proxy bundle manifest. */
export const BUNDLE_KIND = 'envoy-doctor-bundle';

/** One proxy's manifest (also the single-proxy directory manifest of docs/bundle.md). */
export interface ProxyManifest {
  id?: string;
  namespace?: string;
  owner?: string;
  /** Where the admin interface was reached: a URL, or `pod <ns>/<name> port 19000`. */
  admin?: string;
  stats?: { file?: string; takenAt?: string };
  statsLater?: { file?: string; takenAt?: string };
  /** Reads that failed for this proxy without stopping its diagnosis (e.g. its logs). */
  warnings?: string[];
}

/** One proxy as the bundle manifest lists it. */
export interface BundledProxy {
  id: string;
  namespace?: string;
  owner?: string;
  collected: boolean;
  /** Directory of its files, relative to the bundle. */
  dir?: string;
  reason?: string;
}

/** The manifest of a multi-proxy bundle. */
export interface BundleManifest {
  kind: typeof BUNDLE_KIND;
  schemaVersion: 1;
  tool: { name: string; version: string };
  createdAt: string;
  source: Record<string, string | string[] | number | boolean>;
  intervalSeconds: number;
  proxies: BundledProxy[];
  kubernetes?: { file?: string; unavailable: string[] };
}

/** A path segment safe to use as a directory name. */
export function safeSegment(text: string): string {
  const s = text.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_');
  return s === '' ? '_' : s.slice(0, 200);
}

/** Writes a file inside the bundle, creating its directory. */
export async function writeBundleFile(root: string, relative: string, data: string | Buffer): Promise<void> {
  const path = join(root, relative);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, data);
}

/** Packs a bundle directory into a .tar.gz. */
export async function archiveBundle(dir: string, archive: string): Promise<void> {
  await createTar({ gzip: true, file: archive, cwd: dir, portable: true }, ['.']);
}

/** An extracted archive: where the bundle is, and how to remove the copy. */
interface ExtractedBundle {
  /** The temporary directory it was extracted into: paths below it are named after the archive in messages. */
  tempDir: string;
  root: string;
  /** The bundle's own name: its top-level directory, or the archive's name. */
  name: string;
  cleanup(): Promise<void>;
}

/** A path a manifest names, resolved inside the bundle; refuses absolute paths and `..`. */
export function insideBundle(root: string, relative: string, manifest: string): string {
  const clean = normalize(relative);
  if (isAbsolute(relative) || clean.split(sep).includes('..')) {
    throw new InputError(manifest, `names ${relative}, outside the bundle; expected paths relative to the bundle directory`);
  }
  return join(root, clean);
}

/** What is wrong with an archive that could not be extracted, in words for people rather than the tar library's. */
function archiveProblem(err: NodeJS.ErrnoException): string {
  const message = err.message ?? '';
  if (err.code === 'ENOENT') return 'no such file';
  if (err.code === 'EACCES') return 'cannot read (permission denied)';
  if (err.code === 'EISDIR') return 'a directory';
  if (/unexpected end of file/i.test(message) || err.code === 'Z_BUF_ERROR' || err.code === 'TAR_ABORT')
    return 'cut short: it ends before the archive does (an interrupted copy or download?)';
  if (/^zlib:|incorrect header check|invalid (block|distance|stored)/i.test(message) || (err.code ?? '').startsWith('Z_'))
    return 'damaged: its compressed data cannot be read';
  return 'not a .tar.gz archive, or a damaged one';
}

/** Extracts a bundle archive into a new temporary directory. */
export async function extractBundleArchive(archive: string): Promise<ExtractedBundle> {
  const dir = await makeTempDir('envoy-doctor-bundle-');
  const refused: string[] = [];
  const links: string[] = [];
  try {
    await extractTar({
      file: archive,
      cwd: dir,
      strict: true,
      filter: (path, entry) => {
        const type = 'type' in entry ? entry.type : 'File';
        const clean = normalize(path);
        if (isAbsolute(path) || clean.split(sep).includes('..')) {
          refused.push(`${path} (outside the bundle)`);
          return false;
        }
        if (type === 'File' || type === 'Directory' || type === 'OldFile') return true;
        // Links are never extracted; egctl's support bundles hold some (pod-logs/), which nothing here needs.
        links.push(path);
        return false;
      },
    });
  } catch (err) {
    await removeTempDir(dir);
    throw new InputError(
      archive,
      `${archiveProblem(err as NodeJS.ErrnoException)}; expected a bundle written by envoy-doctor collect (a directory or .tar.gz)`,
    );
  }
  if (links.length > 0 && !(await egctlRoot(dir))) refused.push(...links.map((l) => `${l} (link)`));
  if (refused.length > 0) {
    await removeTempDir(dir);
    throw new InputError(
      archive,
      `holds entries outside plain files and directories (${refused.slice(0, 3).join(', ')}); expected a bundle written by envoy-doctor collect`,
    );
  }
  // `tar czf b.tar.gz bundle/` puts everything under one directory: the bundle is that directory.
  const top = await readdir(dir, { withFileTypes: true });
  const cleanup = () => removeTempDir(dir);
  if (top.length === 1 && top[0]?.isDirectory()) return { tempDir: dir, root: join(dir, top[0].name), name: top[0].name, cleanup };
  return { tempDir: dir, root: dir, name: basename(archive).replace(/\.(tar\.gz|tgz)$/, ''), cleanup };
}
