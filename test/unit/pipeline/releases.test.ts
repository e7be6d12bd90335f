import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, chmod, lstat, mkdir, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkReleaseRow, collectRelease, MANIFEST_FILE, pruneReleases, releaseDirFor, selectPrunable, type Manifest } from '../../../src/pipeline/releases.js';
import type { ReleaseRow, Store } from '../../../src/store/contract.js';
import { makeTempDir, type TempDir } from '../../support/tmp.js';
import { memoryStore } from './helpers.js';

const NOW = '2026-11-23T17:00:00.000Z';
const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

function release(version: string, createdAt: string, dir: string | null = null): ReleaseRow {
  return { app: 'demo', version, createdAt, dir, manifestSha256: null, start: {}, artifacts: [] };
}

describe('selectPrunable', () => {
  // Newest first, as the store lists them.
  const rows = ['v5', 'v4', 'v3', 'v2', 'v1'].map((v, i) => release(v, `2026-11-2${5 - i}T00:00:00.000Z`));

  it('keeps the newest N and prunes the rest, newest first', () => {
    expect(selectPrunable(rows, 2, new Set())).toEqual(['v3', 'v2', 'v1']);
    expect(selectPrunable(rows, 4, new Set())).toEqual(['v1']);
  });

  it('never prunes a protected version', () => {
    expect(selectPrunable(rows, 2, new Set(['v1', 'v3']))).toEqual(['v2']);
    // Protected versions among the newest N still count towards N.
    expect(selectPrunable(rows, 2, new Set(['v5']))).toEqual(['v3', 'v2', 'v1']);
  });

  it('prunes nothing when N covers everything', () => {
    expect(selectPrunable(rows, 5, new Set())).toEqual([]);
    expect(selectPrunable(rows, Number.POSITIVE_INFINITY, new Set())).toEqual([]);
    expect(selectPrunable([], 1, new Set())).toEqual([]);
  });
});

describe('releases on disk', () => {
  let tmp: TempDir;
  let root: string;
  let releasesDir: string;

  beforeEach(async () => {
    tmp = await makeTempDir('shipgate-releases-');
    root = join(tmp.path, 'project');
    releasesDir = join(root, '.shipgate', 'releases');
    await write('dist/app.js', 'console.log("v1")\n');
    await write('dist/assets/logo.svg', '<svg/>');
    await write('config.json', '{"port":8080}');
  });

  afterEach(async () => {
    await tmp.cleanup();
  });

  async function write(path: string, content: string): Promise<void> {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }

  it('releaseDirFor: <releasesDir>/<version>, or null without a build step', () => {
    const paths = { root, stateDir: join(root, '.shipgate'), releasesDir, recordsDir: join(root, '.shipgate', 'records'), reportsDir: join(root, '.shipgate', 'reports') };
    expect(releaseDirFor({ config: { build: {} }, paths }, 'v1.2.3')).toBe(join(releasesDir, 'v1.2.3'));
    expect(releaseDirFor({ config: {}, paths }, 'v1.2.3')).toBeNull();
  });

  it('collectRelease copies the artifacts with a manifest whose sha256s match the files', async () => {
    const { dir, manifestSha256, manifest } = await collectRelease(root, releasesDir, 'v1.0.0', ['dist', 'config.json'], NOW);
    expect(dir).toBe(join(releasesDir, 'v1.0.0'));
    expect(manifest.version).toBe('v1.0.0');
    expect(manifest.createdAt).toBe(NOW);
    expect(manifest.files.map((f) => f.path)).toEqual(['config.json', 'dist/app.js', 'dist/assets/logo.svg']);
    for (const f of manifest.files) {
      const content = await readFile(join(dir, f.path));
      expect(f.sha256).toBe(sha256(content));
      expect(f.size).toBe(content.length);
      expect(content.equals(await readFile(join(root, f.path)))).toBe(true);
    }
    const text = await readFile(join(dir, MANIFEST_FILE));
    expect(sha256(text)).toBe(manifestSha256);
    expect(JSON.parse(text.toString()) as Manifest).toEqual(manifest);
    // Nothing but the release and its manifest; no temporary folder left behind.
    expect((await readdir(releasesDir)).sort()).toEqual(['v1.0.0']);
  });

  it('names a missing artifact', async () => {
    await expect(collectRelease(root, releasesDir, 'v1.0.0', ['dist', 'build/out.js'], NOW)).rejects.toThrow(
      `artifact "build/out.js" does not exist after the build (looked for ${join(root, 'build/out.js')})`,
    );
    expect(existsSync(join(releasesDir, 'v1.0.0'))).toBe(false);
  });

  // SRC BUG (src/pipeline/releases.ts collectRelease): when an artifact is missing (or a copy fails),
  // the temporary folder `.tmp-<version>-<pid>` with the artifacts copied so far stays in
  // .shipgate/releases forever; nothing prunes it (pruning works from store rows).
  it('leaves no temporary folder behind when an artifact is missing', async () => {
    await collectRelease(root, releasesDir, 'v1.0.0', ['dist', 'nope'], NOW).catch(() => undefined);
    expect(await readdir(releasesDir).catch(() => [])).toEqual([]);
  });

  it('re-collecting a version replaces the old release cleanly', async () => {
    await collectRelease(root, releasesDir, 'v1.0.0', ['dist', 'config.json'], NOW);
    await rm(join(root, 'dist/assets'), { recursive: true });
    await write('dist/app.js', 'console.log("v1 again")\n');
    const again = await collectRelease(root, releasesDir, 'v1.0.0', ['dist'], '2026-11-23T18:00:00.000Z');
    expect(again.manifest.files.map((f) => f.path)).toEqual(['dist/app.js']);
    expect(await readFile(join(again.dir, 'dist/app.js'), 'utf8')).toBe('console.log("v1 again")\n');
    expect(existsSync(join(again.dir, 'dist/assets'))).toBe(false);
    expect(existsSync(join(again.dir, 'config.json'))).toBe(false);
    expect((await readdir(releasesDir)).sort()).toEqual(['v1.0.0']);
  });

  it('checkReleaseRow: ok for the release as built; names what changed, went missing or was never recorded', async () => {
    const { dir, manifestSha256 } = await collectRelease(root, releasesDir, 'v1.0.0', ['dist'], NOW);
    const row: ReleaseRow = { ...release('v1.0.0', NOW, dir), manifestSha256 };
    expect((await checkReleaseRow(row)).ok).toBe(true);
    expect(await checkReleaseRow({ ...row, dir: null })).toEqual({ ok: false, problems: ['no release folder was recorded for it'] });
    expect(await checkReleaseRow({ ...row, manifestSha256: null })).toEqual({ ok: false, problems: ['no release folder was recorded for it'] });
    expect(await checkReleaseRow({ ...row, dir: join(releasesDir, 'v9.9.9') })).toEqual({ ok: false, problems: ['manifest.json is missing (the release folder is gone or incomplete)'] });
    await writeFile(join(dir, 'dist/app.js'), 'console.log("v2")\n');
    expect(await checkReleaseRow(row)).toEqual({ ok: false, problems: ['dist/app.js changed (its sha256 differs)'] });
    await writeFile(join(dir, 'dist/app.js'), 'tampered, and longer\n');
    await rm(join(dir, 'dist/assets/logo.svg'));
    expect(await checkReleaseRow(row)).toEqual({ ok: false, problems: ['dist/app.js changed (21 bytes, built with 18)', 'dist/assets/logo.svg is missing'] });
    await appendFile(join(dir, MANIFEST_FILE), ' ');
    expect(await checkReleaseRow(row)).toEqual({ ok: false, problems: ['manifest.json changed since the build (its sha256 is not the one recorded)'] });
  });

  it('checkReleaseRow: files the app adds at run time are not a problem; a file replaced by a symlink is', async () => {
    const { dir, manifestSha256 } = await collectRelease(root, releasesDir, 'v1.0.0', ['dist'], NOW);
    const row: ReleaseRow = { ...release('v1.0.0', NOW, dir), manifestSha256 };
    await writeFile(join(dir, 'dist/cache.db'), 'written by the app');
    expect((await checkReleaseRow(row)).ok).toBe(true);
    await rm(join(dir, 'dist/app.js'));
    await symlink(join(root, 'dist/app.js'), join(dir, 'dist/app.js'));
    expect(await checkReleaseRow(row)).toEqual({ ok: false, problems: ['dist/app.js is no longer a regular file'] });
  });

  it('checkReleaseRow strict: a manifest written before symlinks were listed fails, so the build runs again', async () => {
    const old = { version: 'v0.9.0', createdAt: NOW, files: [] };
    const text = `${JSON.stringify(old)}\n`;
    await mkdir(join(releasesDir, 'v0.9.0'), { recursive: true });
    await writeFile(join(releasesDir, 'v0.9.0', MANIFEST_FILE), text);
    const row: ReleaseRow = { ...release('v0.9.0', NOW, join(releasesDir, 'v0.9.0')), manifestSha256: sha256(text) };
    expect((await checkReleaseRow(row)).ok).toBe(true);
    expect(await checkReleaseRow(row, { strict: true })).toEqual({ ok: false, problems: ['manifest.json was written by an older shipgate (it does not list symlinks)'] });
  });

  describe('symlinks', () => {
    /** node_modules as npm and pnpm lay it out: relative links between packages and into .bin. */
    async function nodeModules(): Promise<void> {
      await write('node_modules/.pnpm/greet@1.0.0/node_modules/greet/index.js', 'module.exports = "hi"\n');
      await write('node_modules/tool/bin.js', '#!/usr/bin/env node\n');
      await chmod(join(root, 'node_modules/tool/bin.js'), 0o755);
      await mkdir(join(root, 'node_modules/.bin'), { recursive: true });
      await symlink('../tool/bin.js', join(root, 'node_modules/.bin/tool'));
      await symlink('.pnpm/greet@1.0.0/node_modules/greet', join(root, 'node_modules/greet'));
      await symlink('../gone.js', join(root, 'node_modules/.bin/dangling'));
    }

    it('are copied verbatim (relative stays relative) and listed in the manifest with their targets', async () => {
      await nodeModules();
      const { dir, manifest } = await collectRelease(root, releasesDir, 'v1.0.0', ['node_modules'], NOW);
      expect(await readlink(join(dir, 'node_modules/.bin/tool'))).toBe('../tool/bin.js');
      expect(await readlink(join(dir, 'node_modules/greet'))).toBe('.pnpm/greet@1.0.0/node_modules/greet');
      expect(manifest.symlinks).toEqual([
        { path: 'node_modules/.bin/dangling', target: '../gone.js' },
        { path: 'node_modules/.bin/tool', target: '../tool/bin.js' },
        { path: 'node_modules/greet', target: '.pnpm/greet@1.0.0/node_modules/greet' },
      ]);
      // The release works without the build folder.
      await rm(join(root, 'node_modules'), { recursive: true });
      expect(await readFile(join(dir, 'node_modules/greet/index.js'), 'utf8')).toBe('module.exports = "hi"\n');
    });

    it('a link that leads outside the release, or to something the artifacts leave out, is refused; nothing is left behind', async () => {
      await write('shared/lib.js', 'x');
      await mkdir(join(root, 'dist/lib'), { recursive: true });
      await symlink('../../../shared/lib.js', join(root, 'dist/lib/up.js'));
      await expect(collectRelease(root, releasesDir, 'v1.0.0', ['dist'], NOW)).rejects.toThrow(
        'symlink dist/lib/up.js -> ../../../shared/lib.js leads outside the release: a release must hold everything it runs (add what it points to to build.artifacts, or make the link point inside them)',
      );
      expect(await readdir(releasesDir)).toEqual([]);
      await rm(join(root, 'dist/lib/up.js'));
      // Inside the release by its text, but what it reaches in the build folder was not copied.
      await symlink('../../shared/lib.js', join(root, 'dist/lib/shared.js'));
      await expect(collectRelease(root, releasesDir, 'v1.0.0', ['dist'], NOW)).rejects.toThrow(
        'symlink dist/lib/shared.js -> ../../shared/lib.js points to something the artifacts leave out: a release must hold everything it runs (add it to build.artifacts)',
      );
      expect(await readdir(releasesDir)).toEqual([]);
      // With its target among the artifacts, the same link is inside the release.
      const { manifest } = await collectRelease(root, releasesDir, 'v1.0.0', ['dist', 'shared'], NOW);
      expect(manifest.symlinks).toEqual([{ path: 'dist/lib/shared.js', target: '../../shared/lib.js' }]);
    });

    it('an absolute link is refused (it would lead back into the build folder), as is a chain of links leaving the release', async () => {
      await symlink(join(root, 'dist/app.js'), join(root, 'dist/abs.js'));
      await expect(collectRelease(root, releasesDir, 'v1.0.0', ['dist'], NOW)).rejects.toThrow(`symlink dist/abs.js -> ${join(root, 'dist/app.js')} leads outside the release`);
      await rm(join(root, 'dist/abs.js'));
      // `top` points at the release's top folder; `top/..` is lexically inside (dist) but really the release's parent.
      await symlink('..', join(root, 'dist/top'));
      await symlink('top/..', join(root, 'dist/up'));
      await expect(collectRelease(root, releasesDir, 'v1.0.0', ['dist'], NOW)).rejects.toThrow('symlink dist/up -> top/.. leads outside the release');
    });

    it('a changed, removed or replaced symlink fails the check', async () => {
      await nodeModules();
      const { dir, manifestSha256 } = await collectRelease(root, releasesDir, 'v1.0.0', ['node_modules'], NOW);
      const row: ReleaseRow = { ...release('v1.0.0', NOW, dir), manifestSha256 };
      expect((await checkReleaseRow(row, { strict: true })).ok).toBe(true);
      await rm(join(dir, 'node_modules/.bin/tool'));
      await symlink('/usr/bin/env', join(dir, 'node_modules/.bin/tool'));
      await rm(join(dir, 'node_modules/greet'));
      await rm(join(dir, 'node_modules/.bin/dangling'));
      await writeFile(join(dir, 'node_modules/.bin/dangling'), '');
      expect(await checkReleaseRow(row)).toEqual({
        ok: false,
        problems: ['node_modules/.bin/dangling is no longer a symlink (it pointed to ../gone.js)', 'symlink node_modules/.bin/tool points to /usr/bin/env (built pointing to ../tool/bin.js)', 'symlink node_modules/greet is missing'],
      });
    });
  });

  it('release files are for their owner only: 0600, executables 0700, folders 0700, whatever the source modes', async () => {
    await write('dist/run.sh', '#!/bin/sh\n');
    await chmod(join(root, 'dist/run.sh'), 0o755);
    await chmod(join(root, 'dist/app.js'), 0o666);
    await chmod(join(root, 'dist/assets'), 0o777);
    const { dir } = await collectRelease(root, releasesDir, 'v1.0.0', ['dist'], NOW);
    const mode = async (p: string): Promise<string> => ((await stat(join(dir, p))).mode & 0o777).toString(8);
    expect(await mode('.')).toBe('700');
    expect(await mode('dist')).toBe('700');
    expect(await mode('dist/assets')).toBe('700');
    expect(await mode('dist/app.js')).toBe('600');
    expect(await mode('dist/run.sh')).toBe('700');
    expect(await mode(MANIFEST_FILE)).toBe('600');
    expect(((await stat(releasesDir)).mode & 0o777).toString(8)).toBe('700');
  });

  it('refuses a FIFO in an artifact, naming it', async () => {
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [join(root, 'dist/pipe')]);
    await expect(collectRelease(root, releasesDir, 'v1.0.0', ['dist'], NOW)).rejects.toThrow('dist/pipe is a FIFO: a release holds only files, folders and symlinks');
  });

  it('an artifact that is the whole project does not copy the state folder into the release', async () => {
    await mkdir(join(root, '.shipgate', 'records'), { recursive: true });
    await writeFile(join(root, '.shipgate', 'records', 'r.json'), '{}');
    const { manifest } = await collectRelease(root, releasesDir, 'v1.0.0', ['.'], NOW);
    expect(manifest.files.map((f) => f.path)).toEqual(['config.json', 'dist/app.js', 'dist/assets/logo.svg']);
  });

  describe('pruneReleases', () => {
    let store: Store;

    beforeEach(async () => {
      store = await memoryStore();
    });

    afterEach(async () => {
      await store.close();
    });

    it('deletes the folders and rows of the pruned versions only', async () => {
      const versions = ['v1', 'v2', 'v3', 'v4'];
      for (const [i, v] of versions.entries()) {
        const { dir, manifestSha256 } = await collectRelease(root, releasesDir, v, ['config.json'], `2026-11-2${i}T00:00:00.000Z`);
        await store.upsertRelease({ ...release(v, `2026-11-2${i}T00:00:00.000Z`, dir), manifestSha256 });
      }
      await store.upsertRelease(release('v0-nodir', '2026-11-19T00:00:00.000Z'));
      const result = await pruneReleases(store, 'demo', 2, new Set(['v1']), releasesDir);
      expect(result).toEqual({ pruned: ['v2', 'v0-nodir'], refused: [] });
      expect((await store.listReleases('demo')).map((r) => r.version)).toEqual(['v4', 'v3', 'v1']);
      expect((await readdir(releasesDir)).sort()).toEqual(['v1', 'v3', 'v4']);
    });

    it('prunes nothing (and touches nothing) when within the limit', async () => {
      await store.upsertRelease(release('v1', NOW));
      expect(await pruneReleases(store, 'demo', 3, new Set(), releasesDir)).toEqual({ pruned: [], refused: [] });
      expect(await store.listReleases('demo')).toHaveLength(1);
    });

    it('deletes only real folders directly under the releases folder; any other row is reported and left alone', async () => {
      const outside = join(tmp.path, 'precious');
      await mkdir(join(outside, 'sub'), { recursive: true });
      await writeFile(join(outside, 'sub', 'keep.txt'), 'keep me');
      await mkdir(join(releasesDir, 'v2', 'nested'), { recursive: true });
      await symlink(outside, join(releasesDir, 'linked'));
      const rows: [string, string][] = [
        ['v1', outside],
        ['v2', join(releasesDir, '..', '..', '..', 'precious')],
        ['v3', releasesDir],
        ['v4', join(releasesDir, 'linked')],
        ['v5', join(releasesDir, 'v2', 'nested')],
        ['v6', 'relative/path'],
        ['v7', join(releasesDir, 'v7-gone')],
      ];
      for (const [i, [v, dir]] of rows.entries()) await store.upsertRelease(release(v, `2026-11-1${i}T00:00:00.000Z`, dir));
      await store.upsertRelease(release('v9', '2026-11-30T00:00:00.000Z', join(releasesDir, 'v9')));
      const result = await pruneReleases(store, 'demo', 1, new Set(), releasesDir);
      expect(result.pruned).toEqual(['v7']);
      expect(result.refused).toEqual([
        { version: 'v6', dir: 'relative/path', reason: 'not an absolute path' },
        { version: 'v5', dir: join(releasesDir, 'v2', 'nested'), reason: `not a folder directly under ${releasesDir}` },
        { version: 'v4', dir: join(releasesDir, 'linked'), reason: 'a symlink, not a release folder' },
        { version: 'v3', dir: releasesDir, reason: 'the releases folder itself' },
        { version: 'v2', dir: join(releasesDir, '..', '..', '..', 'precious'), reason: `not a folder directly under ${releasesDir}` },
        { version: 'v1', dir: outside, reason: `not a folder directly under ${releasesDir}` },
      ]);
      expect(await readFile(join(outside, 'sub', 'keep.txt'), 'utf8')).toBe('keep me');
      expect(existsSync(join(releasesDir, 'v2', 'nested'))).toBe(true);
      expect((await lstat(join(releasesDir, 'linked'))).isSymbolicLink()).toBe(true);
      // Refused rows stay, so the next prune reports them again until a human looks.
      expect((await store.listReleases('demo')).map((r) => r.version)).toEqual(['v9', 'v6', 'v5', 'v4', 'v3', 'v2', 'v1']);
    });
  });
});
