import { chmod, copyFile, lstat, mkdir, readdir, readlink, realpath, stat, symlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { PRIVATE_DIR_MODE, PRIVATE_EXECUTABLE_MODE, PRIVATE_FILE_MODE } from '../runtime/private-files.js';

/**
 * Copies build artifacts into a release folder. Files lose group and other
 * permissions (0600; 0700 when they were executable for anyone), folders are
 * 0700. Symlinks are copied verbatim (a relative link stays relative), so a
 * release never points back into the build folder, which `npm ci` or the next
 * build may change or delete. A link that leads outside the release is refused:
 * a release must hold everything it runs.
 */

export class ReleaseCopyError extends Error {}

export interface CopyOptions {
  /** Never copied (the state folder, when an artifact is the whole project). */
  skip?: string;
}

/** Copies each artifact (relative to `root`) to the same relative path under `into`. */
export async function copyArtifacts(root: string, into: string, artifacts: readonly string[], opts: CopyOptions = {}): Promise<void> {
  for (const artifact of artifacts) {
    const src = resolve(root, artifact);
    const stats = await lstat(src).catch(() => {
      throw new ReleaseCopyError(`artifact "${artifact}" does not exist after the build (looked for ${src})`);
    });
    const dest = join(into, artifact);
    await mkdir(dirname(dest), { recursive: true, mode: PRIVATE_DIR_MODE });
    await copyEntry(src, dest, stats, { ...opts, root });
  }
}

async function copyEntry(src: string, dest: string, stats: Stats, opts: CopyOptions & { root: string }): Promise<void> {
  if (stats.isSymbolicLink()) return symlink(await readlink(src), dest);
  if (stats.isFile()) {
    await copyFile(src, dest);
    return chmod(dest, stats.mode & 0o111 ? PRIVATE_EXECUTABLE_MODE : PRIVATE_FILE_MODE);
  }
  if (!stats.isDirectory()) throw new ReleaseCopyError(`${relative(opts.root, src)} is ${kindOf(stats)}: a release holds only files, folders and symlinks`);
  await mkdir(dest, { recursive: true, mode: PRIVATE_DIR_MODE });
  await chmod(dest, PRIVATE_DIR_MODE);
  for (const name of (await readdir(src)).sort()) {
    const child = join(src, name);
    if (child === opts.skip) continue;
    await copyEntry(child, join(dest, name), await lstat(child), opts);
  }
}

function kindOf(s: Stats): string {
  if (s.isFIFO()) return 'a FIFO';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Throws for a symlink under the release folder `dir` that leads outside it, or
 * that dangles in the release while the same link in the build folder `root`
 * reaches something (its target was left out of the artifacts). Where a link
 * leads is where it resolves (realpath, so a chain of links is followed); a
 * dangling link is judged by its text, resolved from the folder it sits in.
 */
export async function ensureLinksInside(dir: string, root: string, links: readonly { path: string; target: string }[]): Promise<void> {
  const top = await realpath(dir);
  for (const link of links) {
    const full = join(dir, link.path);
    const real = await realpath(full).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ELOOP') return null;
      throw err;
    });
    const inside = real !== null ? isInside(top, real) : isInside(dir, resolve(dirname(full), link.target));
    if (!inside) {
      throw new ReleaseCopyError(`symlink ${link.path} -> ${link.target} leads outside the release: a release must hold everything it runs (add what it points to to build.artifacts, or make the link point inside them)`);
    }
    if (real === null && (await exists(join(root, link.path)))) {
      throw new ReleaseCopyError(`symlink ${link.path} -> ${link.target} points to something the artifacts leave out: a release must hold everything it runs (add it to build.artifacts)`);
    }
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Whether `path` is `parent` or lies under it (both absolute, already resolved). */
export function isInside(parent: string, path: string): boolean {
  const rel = relative(parent, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
