import { copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { json, makeProject, SCRIPTS_PROVIDER, STATE_SCRIPTS, type Project } from '../support/project.js';
import { makeLocalProject, type LocalProject } from '../support/local-project.js';

/**
 * The truth about what is live comes from the target: the agent's weights (local
 * provider), the records folder, a status script. Real CLI runs, real agents,
 * real instances; the store is deleted or swapped for an older copy on disk.
 */

const DB = '.shipgate/state.db';

/** Removes the SQLite store as an operator would (`rm .shipgate/state.db*`). */
async function deleteStore(p: Project): Promise<void> {
  for (const suffix of ['', '-wal', '-shm']) await rm(join(p.dir, `${DB}${suffix}`), { force: true });
}

let p: LocalProject | null = null;
let c: Project | null = null;
afterEach(async () => {
  await p?.dispose();
  await c?.cleanup();
  p = c = null;
});

describe('undo returns to what the target served (local provider)', () => {
  /** v1 and v2 deployed; then a v3 whose smoke test fails after the rollout stopped v2. */
  const SMOKE = (port: number) => `smoke:\n  - { name: home, url: "http://127.0.0.1:${port}/", expect: [200] }\nrollout: { strategy: immediate }\n`;

  it('with the store lost: the failed version does not stay at 100% with the good one stopped', async () => {
    p = await makeLocalProject();
    const q = p;
    await q.write('shipgate.yaml', (await q.read('shipgate.yaml')) + SMOKE(q.port));
    expect((await q.run(['deploy', 'v1.0.0'])).code).toBe(0);
    await deleteStore(q);
    const status = await q.run(['status']);
    expect(status.stdout).toMatch(/WARNING: {3}the store has no successful deployment of localtest\/production, but .*\.shipgate\/records\/dep_\w+\.json says v1\.0\.0 went live there .*: the store looks lost or replaced/);
    await q.write('faults.json', JSON.stringify({ errorRate: 1 }));
    const r = await q.run(['deploy', 'v2.0.0', '--json']);
    expect(r.code, r.stderr).toBe(1);
    const out = json<{ status: string; record: { previous_version: string; warnings: string[] } }>(r);
    expect(out.status).toBe('rolled_back');
    expect(out.record.previous_version).toBe('v1.0.0');
    expect(out.record.warnings[0]).toMatch(/the store looks lost or replaced; v1\.0\.0 is taken as the previous version \(an undo returns to it\)$/);
    const agent = await q.agent();
    expect(agent.weights).toEqual({ 'v1.0.0': 100 });
    expect(agent.versions.map((v) => v.version)).toEqual(['v1.0.0']);
    expect((await q.get('/')).version).toBe('v1.0.0');
  });

  it('with an older copy of the store put back (and no records): status warns, and the undo returns to the router version, not the store one', async () => {
    p = await makeLocalProject();
    const q = p;
    await q.write('shipgate.yaml', (await q.read('shipgate.yaml')) + SMOKE(q.port));
    expect((await q.run(['deploy', 'v1.0.0'])).code).toBe(0);
    await copyFile(join(q.dir, DB), join(q.dir, 'state-after-v1.db'));
    expect((await q.run(['deploy', 'v2.0.0'])).code).toBe(0);
    await deleteStore(q);
    await copyFile(join(q.dir, 'state-after-v1.db'), join(q.dir, DB));
    await rm(join(q.dir, '.shipgate/records'), { recursive: true });
    const status = await q.run(['status']);
    expect(status.stdout).toContain('WARNING:   the store says v1.0.0 is live in localtest/production, but the router sends most traffic to v2.0.0');
    expect(json<{ warnings: string[] }[]>(await q.run(['status', '--json']))[0]!.warnings).toEqual(['the store says v1.0.0 is live in localtest/production, but the router sends most traffic to v2.0.0']);
    await q.write('faults.json', JSON.stringify({ errorRate: 1 }));
    const r = await q.run(['deploy', 'v3.0.0', '--json']);
    expect(r.code, r.stderr).toBe(1);
    const out = json<{ status: string; record: { previous_version: string; warnings: string[] } }>(r);
    expect(out.status).toBe('rolled_back');
    expect(out.record.warnings).toEqual(['the store says v1.0.0 was live in production, but the target served v2.0.0: v2.0.0 is taken as the previous version (an undo returns to it)']);
    expect(out.record.previous_version).toBe('v2.0.0');
    const agent = await q.agent();
    expect(agent.weights).toEqual({ 'v2.0.0': 100 });
    expect(agent.versions.map((v) => v.version)).toEqual(['v2.0.0']);
    expect((await q.get('/')).version).toBe('v2.0.0');
  });
});

describe('a deleted state.db (command provider)', () => {
  it('status says the store looks lost; the next deploy takes the previous version from the records, loudly, and its undo returns there', async () => {
    c = await makeProject(`app: lost\n${SCRIPTS_PROVIDER}`, STATE_SCRIPTS);
    expect((await c.run(['deploy', 'v1.0.0'])).code).toBe(0);
    expect((await c.run(['deploy', 'v2.0.0'])).code).toBe(0);
    await deleteStore(c);
    const status = await c.run(['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/live: {6}nothing deployed yet/);
    expect(status.stdout).toMatch(/WARNING: {3}the store has no successful deployment of lost\/production, but \S+ says v2\.0\.0 went live there/);
    const rollback = await c.run(['rollback']);
    expect(rollback.code).toBe(2);
    expect(rollback.stderr).toMatch(/nothing to roll back in the store: the store has no successful deployment of lost\/production, but \S+ says v2\.0\.0 went live there .*: the store looks lost or replaced\. To go back, deploy the version you want/);
    const r = await c.run(['deploy', 'v3.0.0'], { env: { FAIL_DEPLOY: '1' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/WARNING: the store has no successful deployment of lost\/production, but .* says v2\.0\.0 went live there/);
    expect(r.stdout).toContain('deploy v3.0.0 to lost/production (live: v2.0.0)');
    expect(r.stdout).toContain('failed and was rolled back to v2.0.0');
    expect((await c.read('calls.log')).trim().split('\n').slice(-2)).toEqual(['deploy v3.0.0', 'rollback v2.0.0']);
    expect((await c.read('live.txt')).trim()).toBe('v2.0.0');
  });

  it('status warns when a status script names another version than the store', async () => {
    c = await makeProject(`app: drift\n${SCRIPTS_PROVIDER}  status: ["sh", "-c", "echo running $(cat live.txt)"]\n`, STATE_SCRIPTS);
    expect((await c.run(['deploy', 'v1.0.0'])).code).toBe(0);
    expect((await c.run(['deploy', 'v2.0.0'])).code).toBe(0);
    expect((await c.run(['status'])).stdout).not.toContain('WARNING');
    await c.write('live.txt', 'v1.0.0\n'); // someone put v1.0.0 back by hand
    const status = await c.run(['status']);
    expect(status.stdout).toContain('WARNING:   the store says v2.0.0 is live in drift/production, but the target\'s status script names v1.0.0');
    expect(status.stdout).toContain('target:    running v1.0.0');
  });
});
