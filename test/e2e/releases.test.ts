import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, makeProject, type Project, SCRIPTS_PROVIDER } from '../support/project.js';

/** Build once per version; artifacts kept with a sha256 manifest; the last `keep` kept, never the live one or the rollback target. */

const CONFIG = `
app: releasetest
${SCRIPTS_PROVIDER}build:
  command: ["./scripts/build.sh"]
  artifacts: [dist]
  keep: 1
`;

interface Release {
  version: string;
  dir: string;
  manifest_sha256: string;
  marks: string[];
}

let p: Project;
beforeAll(async () => {
  p = await makeProject(CONFIG);
});
afterAll(async () => p?.cleanup());

const releases = async () => json<Release[]>(await p.run(['releases', '--json']));
const builds = async () => (await p.readOr('calls.log', '')).split('\n').filter((l) => l.startsWith('build'));

describe('builds and releases', () => {
  it('copies the artifacts with a sha256 manifest', async () => {
    expect((await p.run(['deploy', 'v1.0.0'])).code).toBe(0);
    const [rel] = await releases();
    expect(rel).toMatchObject({ version: 'v1.0.0', marks: ['live in production'] });
    const manifestText = await readFile(join(rel!.dir, 'manifest.json'));
    expect(createHash('sha256').update(manifestText).digest('hex')).toBe(rel!.manifest_sha256);
    const manifest = JSON.parse(manifestText.toString()) as { files: { path: string; sha256: string }[] };
    const app = await readFile(join(rel!.dir, 'dist/app.txt'));
    expect(app.toString()).toBe('app v1.0.0\n');
    expect(manifest.files).toEqual([{ path: 'dist/app.txt', sha256: createHash('sha256').update(app).digest('hex'), size: app.length }]);
  });

  it('builds once per version', async () => {
    expect((await p.run(['deploy', 'v1.0.0'])).code).toBe(0);
    expect(await builds()).toEqual(['build v1.0.0']);
  });

  it('keeps the live release and the rollback target even beyond `keep`', async () => {
    expect((await p.run(['deploy', 'v1.1.0'])).code).toBe(0);
    expect((await releases()).map((r) => [r.version, r.marks])).toEqual([
      ['v1.1.0', ['live in production']],
      ['v1.0.0', ['rollback target in production']],
    ]);
    expect((await p.run(['deploy', 'v1.2.0'])).code).toBe(0);
    const now = await releases();
    expect(now.map((r) => r.version)).toEqual(['v1.2.0', 'v1.1.0']);
    expect(existsSync(join(p.dir, '.shipgate/releases/v1.0.0'))).toBe(false);
    expect(existsSync(join(p.dir, '.shipgate/releases/v1.1.0/manifest.json'))).toBe(true);
  });

  it('a pruned release cannot be rolled back to; a kept one can', async () => {
    const gone = await p.run(['rollback', '--to', 'v1.0.0']);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('no kept release v1.0.0 of releasetest (kept: v1.2.0, v1.1.0)');
    expect((await p.run(['rollback'])).code).toBe(0);
    expect((await p.read('live.txt')).trim()).toBe('v1.1.0');
  });

  it('SHIPGATE_RELEASE_DIR points the scripts at the release', async () => {
    await p.write('scripts/deploy.sh', '#!/bin/sh\necho "$SHIPGATE_RELEASE_DIR" > release-dir.txt\necho "$SHIPGATE_VERSION" > live.txt\n');
    expect((await p.run(['deploy', 'v1.3.0'])).code).toBe(0);
    expect((await p.read('release-dir.txt')).trim()).toBe(join(p.dir, '.shipgate/releases/v1.3.0'));
  });

  it('a failing build fails the deploy before anything changes', async () => {
    const r = await p.run(['deploy', 'v1.4.0'], { env: { FAIL_BUILD: '1' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('build: ./scripts/build.sh exited with code 3; last output: build broke');
    expect((await p.read('live.txt')).trim()).toBe('v1.3.0');
  });
});

describe('release folders the store names', () => {
  let q: Project;
  beforeAll(async () => {
    q = await makeProject(CONFIG);
  });
  afterAll(async () => q?.cleanup());

  it('an edited release row cannot make pruning delete a folder outside .shipgate/releases/: it is reported and left alone', async () => {
    for (const v of ['v1.0.0', 'v1.1.0']) expect((await q.run(['deploy', v])).code).toBe(0);
    await q.write('precious/keep.txt', 'do not delete');
    const db = new Database(join(q.dir, '.shipgate/state.db'));
    db.prepare('UPDATE releases SET dir = ? WHERE version = ?').run(join(q.dir, 'precious'), 'v1.0.0');
    db.close();
    const r = await q.run(['deploy', 'v1.2.0']);
    expect(await q.readOr('precious/keep.txt', 'DELETED')).toBe('do not delete');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`release v1.0.0 not pruned: its recorded folder ${join(q.dir, 'precious')} is not a folder directly under ${join(q.dir, '.shipgate/releases')}; left alone (check the releases table)`);
    expect((await q.run(['releases', '--json'])).stdout).toContain('"version": "v1.0.0"');
  });

  it('a kept release changed since its build is built again on its next deploy, and the journal says why', async () => {
    await q.write('.shipgate/releases/v1.1.0/dist/app.txt', 'edited in place\n');
    const r = await q.run(['deploy', 'v1.1.0', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((await q.readOr('calls.log', '')).split('\n').filter((l) => l === 'build v1.1.0')).toHaveLength(2);
    expect(await q.read('.shipgate/releases/v1.1.0/dist/app.txt')).toBe('app v1.1.0\n');
    const shown = json<{ events: { type: string; data: { detail?: string } }[] }>(await q.run(['show', json<{ deployment_id: string }>(r).deployment_id, '--events', '--json']));
    expect(shown.events.find((e) => e.type === 'step:started' && e.data.detail?.includes('does not match'))?.data.detail).toBe(
      `release v1.1.0 at ${join(q.dir, '.shipgate/releases/v1.1.0')} does not match its manifest: dist/app.txt changed (16 bytes, built with 11): building it again`,
    );
  });
});
