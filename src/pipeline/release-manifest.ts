import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';

/**
 * A release's manifest: every file with its sha256 and size, every symlink with
 * its target as written. Checked before instances start from a release and
 * before a build is skipped for an existing one. Files the app adds to its
 * release folder at run time are not checked; what the build put there is.
 */

export const MANIFEST_FILE = 'manifest.json';
/** Files up to this size are hashed from one read; larger ones are streamed. */
const WHOLE_READ_BYTES = 1024 * 1024;
/** Files hashed at once: enough to keep the disk busy with many small files. */
const HASH_CONCURRENCY = 8;
/** Problems named in a message; the rest are counted. */
const PROBLEMS_SHOWN = 3;

export interface ManifestEntry {
  path: string;
  sha256: string;
  size: number;
}

export interface ManifestLink {
  path: string;
  /** The link's text, as `readlink` gives it. */
  target: string;
}

export interface Manifest {
  version: string;
  createdAt: string;
  files: ManifestEntry[];
  /** Absent from manifests written before symlinks were listed. */
  symlinks?: ManifestLink[];
}

export type ReleaseCheck = { ok: true; manifest: Manifest } | { ok: false; problems: string[] };

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function sha256File(path: string, size: number): Promise<string> {
  if (size <= WHOLE_READ_BYTES) return sha256(await readFile(path));
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Runs `fn` over `items`, at most `limit` at a time, keeping the order of results. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

interface TreeEntry {
  path: string;
  stats: Stats;
}

/** Every file and symlink under `dir` (not following links), in a stable order; `skip` names a top-level entry to leave out. */
async function walk(dir: string, skip?: string): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const visit = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(dir, rel))).sort()) {
      const path = rel === '' ? name : join(rel, name);
      if (path === skip) continue;
      const stats = await lstat(join(dir, path));
      if (stats.isDirectory()) await visit(path);
      else out.push({ path, stats });
    }
  };
  await visit('');
  return out;
}

/** The files (hashed) and symlinks of a release folder, as its manifest lists them. */
export async function describeTree(dir: string): Promise<Pick<Manifest, 'files'> & { symlinks: ManifestLink[] }> {
  const entries = await walk(dir, MANIFEST_FILE);
  const links = entries.filter((e) => e.stats.isSymbolicLink());
  const files = entries.filter((e) => e.stats.isFile());
  return {
    files: await mapLimit(files, HASH_CONCURRENCY, async (e) => ({ path: e.path, sha256: await sha256File(join(dir, e.path), e.stats.size), size: e.stats.size })),
    symlinks: await mapLimit(links, HASH_CONCURRENCY, async (e) => ({ path: e.path, target: await readlink(join(dir, e.path)) })),
  };
}

/**
 * Checks the release folder `dir` against its manifest, and the manifest against
 * the sha256 the store recorded for it (when there is one).
 */
export async function checkRelease(dir: string, manifestSha256: string | null): Promise<ReleaseCheck> {
  let text: Buffer;
  try {
    text = await readFile(join(dir, MANIFEST_FILE));
  } catch {
    return { ok: false, problems: [`${MANIFEST_FILE} is missing (the release folder is gone or incomplete)`] };
  }
  if (manifestSha256 !== null && sha256(text) !== manifestSha256) return { ok: false, problems: [`${MANIFEST_FILE} changed since the build (its sha256 is not the one recorded)`] };
  const manifest = parseManifest(text);
  if (!manifest) return { ok: false, problems: [`${MANIFEST_FILE} is not a manifest shipgate wrote`] };
  const problems = [
    ...(await mapLimit(manifest.files, HASH_CONCURRENCY, (f) => fileProblem(dir, f))),
    ...(await mapLimit(manifest.symlinks ?? [], HASH_CONCURRENCY, (l) => linkProblem(dir, l))),
  ].filter((p): p is string => p !== null);
  return problems.length === 0 ? { ok: true, manifest } : { ok: false, problems };
}

function parseManifest(text: Buffer): Manifest | null {
  let m: Partial<Manifest>;
  try {
    m = JSON.parse(text.toString('utf8')) as Partial<Manifest>;
  } catch {
    return null;
  }
  if (!Array.isArray(m.files) || (m.symlinks !== undefined && !Array.isArray(m.symlinks))) return null;
  const filesOk = m.files.every((f) => isPlainRelative(f?.path) && typeof f.sha256 === 'string' && typeof f.size === 'number');
  const linksOk = (m.symlinks ?? []).every((l) => isPlainRelative(l?.path) && typeof l.target === 'string');
  return filesOk && linksOk ? (m as Manifest) : null;
}

/** A path that stays inside the folder it is relative to. */
function isPlainRelative(path: unknown): path is string {
  return typeof path === 'string' && path !== '' && !isAbsolute(path) && !normalize(path).split(sep).includes('..');
}

async function fileProblem(dir: string, f: ManifestEntry): Promise<string | null> {
  const stats = await lstat(join(dir, f.path)).catch(() => null);
  if (!stats) return `${f.path} is missing`;
  if (!stats.isFile()) return `${f.path} is no longer a regular file`;
  if (stats.size !== f.size) return `${f.path} changed (${stats.size} bytes, built with ${f.size})`;
  return (await sha256File(join(dir, f.path), stats.size)) === f.sha256 ? null : `${f.path} changed (its sha256 differs)`;
}

async function linkProblem(dir: string, l: ManifestLink): Promise<string | null> {
  const stats = await lstat(join(dir, l.path)).catch(() => null);
  if (!stats) return `symlink ${l.path} is missing`;
  if (!stats.isSymbolicLink()) return `${l.path} is no longer a symlink (it pointed to ${l.target})`;
  const target = await readlink(join(dir, l.path));
  return target === l.target ? null : `symlink ${l.path} points to ${target} (built pointing to ${l.target})`;
}

/** One line for a release that failed its check: the first problems, and how many more. */
export function describeProblems(version: string, dir: string, problems: readonly string[]): string {
  const more = problems.length > PROBLEMS_SHOWN ? ` (and ${problems.length - PROBLEMS_SHOWN} more)` : '';
  return `release ${version} at ${dir} does not match its manifest: ${problems.slice(0, PROBLEMS_SHOWN).join('; ')}${more}`;
}
