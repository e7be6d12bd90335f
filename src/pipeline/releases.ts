import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { ReleaseRow, Store } from '../store/contract.js';
import type { StatePaths } from './stage.js';

export const MANIFEST_FILE = 'manifest.json';

export interface ManifestEntry {
  path: string;
  sha256: string;
  size: number;
}

export interface Manifest {
  version: string;
  createdAt: string;
  files: ManifestEntry[];
}

/** Where a version's release lives, or null when the app has no build step. */
export function releaseDirFor(ctx: { config: { build?: unknown }; paths: StatePaths }, version: string): string | null {
  return ctx.config.build ? join(ctx.paths.releasesDir, version) : null;
}

async function sha256File(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name));
  }
  return out.sort();
}

/**
 * Copies `artifacts` (relative to `root`) into `<releasesDir>/<version>/` with a
 * sha256 manifest. Written to a temporary folder and renamed, so a crash never
 * leaves a half-copied release that looks complete.
 */
export async function collectRelease(root: string, releasesDir: string, version: string, artifacts: string[], nowIso: string): Promise<{ dir: string; manifestSha256: string; manifest: Manifest }> {
  const dir = join(releasesDir, version);
  const tmp = join(releasesDir, `.tmp-${version}-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    await copyArtifacts(root, tmp, artifacts);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  const files: ManifestEntry[] = [];
  for (const file of await listFiles(tmp)) {
    files.push({ path: relative(tmp, file), sha256: await sha256File(file), size: (await stat(file)).size });
  }
  const manifest: Manifest = { version, createdAt: nowIso, files };
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  await writeFile(join(tmp, MANIFEST_FILE), text);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  return { dir, manifestSha256: createHash('sha256').update(text).digest('hex'), manifest };
}

async function copyArtifacts(root: string, into: string, artifacts: string[]): Promise<void> {
  for (const artifact of artifacts) {
    const src = resolve(root, artifact);
    await stat(src).catch(() => {
      throw new Error(`artifact "${artifact}" does not exist after the build (looked for ${src})`);
    });
    await cp(src, join(into, artifact), { recursive: true, dereference: false, preserveTimestamps: true });
  }
}

/** True when the release folder still holds the manifest the store recorded. */
export async function isReleaseIntact(row: ReleaseRow): Promise<boolean> {
  if (!row.dir || !row.manifestSha256) return false;
  try {
    const text = await readFile(join(row.dir, MANIFEST_FILE));
    return createHash('sha256').update(text).digest('hex') === row.manifestSha256;
  } catch {
    return false;
  }
}

/** Pure: versions to prune — all but the newest `keep`, never a protected one. `releases` are newest first. */
export function selectPrunable(releases: readonly ReleaseRow[], keep: number, protect: ReadonlySet<string>): string[] {
  return releases.filter((r, i) => i >= keep && !protect.has(r.version)).map((r) => r.version);
}

export async function pruneReleases(store: Store, app: string, keep: number, protect: ReadonlySet<string>): Promise<string[]> {
  const releases = await store.listReleases(app);
  const doomed = selectPrunable(releases, keep, protect);
  for (const version of doomed) {
    const row = releases.find((r) => r.version === version);
    if (row?.dir) await rm(row.dir, { recursive: true, force: true });
    await store.deleteRelease(app, version);
  }
  return doomed;
}
