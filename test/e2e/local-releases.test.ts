import { readFileSync } from 'node:fs';
import { appendFile, readlink, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { json } from '../support/project.js';
import { eventually, makeLocalProject, type LocalProject } from '../support/local-project.js';

/**
 * Releases whose artifacts hold symlinks, as node_modules does (npm's .bin links,
 * pnpm's package links): the release must run without the build folder.
 */

/** The demo app installed as a package the pnpm way, started through its .bin link. */
const BUILD = `import { cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
rmSync('node_modules', { recursive: true, force: true });
const pkg = 'node_modules/.pnpm/demo-server@1.0.0/node_modules/demo-server';
mkdirSync(pkg, { recursive: true });
cpSync('server.js', pkg + '/server.js');
writeFileSync(pkg + '/package.json', '{"type":"module"}');
symlinkSync('.pnpm/demo-server@1.0.0/node_modules/demo-server', 'node_modules/demo-server');
mkdirSync('node_modules/.bin');
symlinkSync('../demo-server/server.js', 'node_modules/.bin/demo-server');
console.log('built ' + process.env.SHIPGATE_VERSION);
`;

const PKG_FILE = 'node_modules/.pnpm/demo-server@1.0.0/node_modules/demo-server/server.js';

function config(port: number): string {
  return `app: localtest
provider:
  type: local
  command: ["node", "node_modules/.bin/demo-server"]
  instances: 2
  listen: 127.0.0.1:${port}
  readiness: { path: /health, interval: 100ms, timeout: 1s, grace: 15s }
  stopTimeout: 3s
build:
  command: ["node", "build.js"]
  artifacts: [node_modules]
`;
}

let p: LocalProject | null = null;
afterEach(async () => {
  await p?.dispose();
  p = null;
});

async function project(): Promise<LocalProject> {
  const q = await makeLocalProject();
  await q.write('shipgate.yaml', config(q.port));
  await q.write('build.js', BUILD);
  return q;
}

/** Deploys v1.0.0, then v1.1.0 (the immediate strategy stops v1.0.0), then deletes the build folder's node_modules as `npm ci` would. */
async function deployTwiceThenDeleteBuild(q: LocalProject): Promise<void> {
  for (const v of ['v1.0.0', 'v1.1.0']) {
    const r = await q.run(['deploy', v]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }
  expect((await q.get('/')).version).toBe('v1.1.0');
  await rm(join(q.dir, 'node_modules'), { recursive: true });
}

describe('a release with node_modules symlinks', () => {
  it('keeps running and rolls back after the build folder is deleted', async () => {
    p = await project();
    const q = p;
    await deployTwiceThenDeleteBuild(q);
    // The links in the release are the build's, verbatim, and the manifest lists them.
    const release = join(q.dir, '.shipgate/releases/v1.0.0');
    expect(await readlink(join(release, 'node_modules/.bin/demo-server'))).toBe('../demo-server/server.js');
    const manifest = JSON.parse(readFileSync(join(release, 'manifest.json'), 'utf8')) as { symlinks: unknown[] };
    expect(manifest.symlinks).toEqual([
      { path: 'node_modules/.bin/demo-server', target: '../demo-server/server.js' },
      { path: 'node_modules/demo-server', target: '.pnpm/demo-server@1.0.0/node_modules/demo-server' },
    ]);

    // Keeps running: a killed instance is restarted from its release.
    const before = (await q.agent()).versions.find((v) => v.version === 'v1.1.0')!.instances[0]!;
    process.kill(before.pid!, 'SIGKILL');
    await eventually(async () => {
      const now = (await q.agent()).versions.find((v) => v.version === 'v1.1.0')!.instances.find((i) => i.id === before.id);
      return now && now.pid !== before.pid && now.state === 'ready' ? true : undefined;
    }, `${before.id} restarted and ready`);
    expect((await q.get('/')).version).toBe('v1.1.0');

    // Rolls back: v1.0.0's instances start from its kept release.
    const rb = await q.run(['rollback', '--json']);
    expect(rb.code, rb.stdout + rb.stderr).toBe(0);
    expect((await q.get('/')).version).toBe('v1.0.0');
    expect((await q.agent()).weights).toEqual({ 'v1.0.0': 100 });
  });

  it('a release changed since its build is not started: the rollback fails naming the file, and the live version keeps serving', async () => {
    p = await project();
    const q = p;
    await deployTwiceThenDeleteBuild(q);
    await appendFile(join(q.dir, '.shipgate/releases/v1.0.0', PKG_FILE), '\n// edited in place\n');
    const rb = await q.run(['rollback', '--json']);
    expect(rb.code).not.toBe(0);
    const out = json<{ status: string; error: string }>(rb);
    expect(out.error).toContain(`release v1.0.0 at ${join(q.dir, '.shipgate/releases/v1.0.0')} does not match its manifest: ${PKG_FILE} changed (`);
    expect(out.error).toContain('its instances were not started (deploy v1.0.0 again to rebuild it)');
    expect((await q.agent()).weights).toEqual({ 'v1.1.0': 100 });
    expect((await q.agent()).versions.map((v) => v.version)).toEqual(['v1.1.0']);
    expect((await q.get('/')).version).toBe('v1.1.0');
  });
});
