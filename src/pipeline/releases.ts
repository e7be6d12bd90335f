import { lstat, realpath, rename, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ensurePrivateDir, writePrivateFile } from '../runtime/private-files.js';
import type { ReleaseRow, Store } from '../store/contract.js';
import { copyArtifacts, ensureLinksInside } from './release-copy.js';
import { checkRelease, describeTree, MANIFEST_FILE, sha256, type Manifest, type ReleaseCheck } from './release-manifest.js';
import type { StatePaths } from './stage.js';

export { MANIFEST_FILE, type Manifest, type ManifestEntry, type ManifestLink } from './release-manifest.js';

/** Where a version's release lives, or null when the app has no build step. */
export function releaseDirFor(ctx: { config: { build?: unknown }; paths: StatePaths }, version: string): string | null {
  return ctx.config.build ? join(ctx.paths.releasesDir, version) : null;
}

/**
 * Copies `artifacts` (relative to `root`) into `<releasesDir>/<version>/` with a
 * manifest (sha256 per file, target per symlink). Written to a temporary folder
 * and renamed, so a crash never leaves a half-copied release that looks complete.
 */
export async function collectRelease(root: string, releasesDir: string, version: string, artifacts: string[], nowIso: string): Promise<{ dir: string; manifestSha256: string; manifest: Manifest }> {
  const dir = join(releasesDir, version);
  const tmp = join(releasesDir, `.tmp-${version}-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  ensurePrivateDir(tmp);
  let manifest: Manifest;
  try {
    // An artifact that is the whole project must not copy the state folder into itself.
    await copyArtifacts(root, tmp, artifacts, { skip: dirname(releasesDir) });
    const tree = await describeTree(tmp);
    await ensureLinksInside(tmp, root, tree.symlinks);
    manifest = { version, createdAt: nowIso, ...tree };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  await writePrivateFile(join(tmp, MANIFEST_FILE), text);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  return { dir, manifestSha256: sha256(text), manifest };
}

/**
 * Checks a recorded release: its manifest is the one the store recorded, and every
 * file and symlink the manifest lists is as built. A release built before
 * manifests listed symlinks does not pass (`strict`), so it is built again.
 */
export async function checkReleaseRow(row: ReleaseRow, opts: { strict?: boolean } = {}): Promise<ReleaseCheck> {
  if (!row.dir || !row.manifestSha256) return { ok: false, problems: ['no release folder was recorded for it'] };
  const check = await checkRelease(row.dir, row.manifestSha256);
  if (check.ok && opts.strict && check.manifest.symlinks === undefined) return { ok: false, problems: [`${MANIFEST_FILE} was written by an older shipgate (it does not list symlinks)`] };
  return check;
}

/** Pure: versions to prune — all but the newest `keep`, never a protected one. `releases` are newest first. */
export function selectPrunable(releases: readonly ReleaseRow[], keep: number, protect: ReadonlySet<string>): string[] {
  return releases.filter((r, i) => i >= keep && !protect.has(r.version)).map((r) => r.version);
}

export interface RefusedPrune {
  version: string;
  dir: string;
  reason: string;
}

export interface PruneResult {
  pruned: string[];
  /** Rows whose folder is not a release folder of this project: left alone (row and folder), for a human to look at. */
  refused: RefusedPrune[];
}

/**
 * Deletes the releases beyond `keep` (folder and row). Only a real folder directly
 * under `releasesDir` is ever deleted: a row naming anything else (edited by hand,
 * or written where the project used to be) is reported instead.
 */
export async function pruneReleases(store: Store, app: string, keep: number, protect: ReadonlySet<string>, releasesDir: string): Promise<PruneResult> {
  const releases = await store.listReleases(app);
  const result: PruneResult = { pruned: [], refused: [] };
  for (const version of selectPrunable(releases, keep, protect)) {
    const row = releases.find((r) => r.version === version)!;
    const reason = row.dir ? await refusalOf(row.dir, releasesDir) : null;
    if (reason !== null) {
      result.refused.push({ version, dir: row.dir!, reason });
      continue;
    }
    if (row.dir) await rm(row.dir, { recursive: true, force: true });
    await store.deleteRelease(app, version);
    result.pruned.push(version);
  }
  return result;
}

/** Deletes one release (folder and row); returns why it was refused instead, or null when it is gone. */
export async function discardRelease(store: Store, app: string, version: string, dir: string, releasesDir: string): Promise<string | null> {
  const refusal = await refusalOf(dir, releasesDir);
  if (refusal !== null) return refusal;
  await rm(dir, { recursive: true, force: true });
  await store.deleteRelease(app, version);
  return null;
}

/** Why `dir` must not be deleted as a release folder, or null when it may (a missing folder may: nothing to delete). */
export async function refusalOf(dir: string, releasesDir: string): Promise<string | null> {
  if (!isAbsolute(dir)) return 'not an absolute path';
  const stats = await lstat(dir).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : err));
  if (stats === null) return null;
  if (stats instanceof Error) return `cannot look at it (${stats.message})`;
  if (stats.isSymbolicLink()) return 'a symlink, not a release folder';
  const top = await realpath(releasesDir).catch(() => resolve(releasesDir));
  const real = await realpath(dir);
  if (real === top) return 'the releases folder itself';
  if (dirname(real) !== top) return `not a folder directly under ${releasesDir}`;
  return null;
}
