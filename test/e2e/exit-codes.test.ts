import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, makeProject, type Project, SCRIPTS_PROVIDER } from '../support/project.js';

/**
 * The exit codes are an interface (CI scripts branch on them). The README table is
 * pinned here: 0 ok, 1 failed and rolled back, 2 usage/config, 3 gate, 4 rollback
 * failed, 5 lock held, 6 interrupted, 7 stopped by an unacknowledged failed rollback, 130 cancelled.
 */

const CONFIG = `
app: exits
${SCRIPTS_PROVIDER}`;

let p: Project;
beforeAll(async () => {
  p = await makeProject(CONFIG);
  expect((await p.run(['deploy', 'v1.0.0'])).code).toBe(0);
});
afterAll(async () => p?.cleanup());

describe('exit codes', () => {
  it('0: success', async () => {
    expect((await p.run(['deploy', 'v1.1.0'])).code).toBe(0);
  });

  it('1: deploy failed and was rolled back', async () => {
    const r = await p.run(['deploy', 'v1.2.0'], { env: { FAIL_DEPLOY: '1' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('failed and was rolled back to v1.1.0');
  });

  it('2: invalid usage or config', async () => {
    const unknownFlag = await p.run(['deploy', 'v1.2.0', '--frobnicate']);
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toContain("unknown option '--frobnicate'");
    expect((await p.run(['frobnicate'])).code).toBe(2);
    const badVersion = await p.run(['deploy', 'v1.2.0;rm -rf /']);
    expect(badVersion.code).toBe(2);
    expect(badVersion.stderr).toContain('contains ";"');
    const other = await makeProject('app: exits\nprovider: { type: command, deploy: [] }\n');
    try {
      const r = await other.run(['deploy', 'v1.0.0']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('provider.deploy:');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await other.cleanup();
    }
  });

  it('3: blocked by a gate', async () => {
    const r = await p.run(['deploy', '1.2.0']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('gate semver: block');
  });

  it('4: rollback failed (a human must look)', async () => {
    const r = await p.run(['deploy', 'v1.3.0'], { env: { FAIL_DEPLOY: '1', FAIL_ROLLBACK: '1' } });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('ROLLBACK FAILED');
  });

  it('7: stopped: an earlier rollback failed and nobody acknowledged it (nothing starts until shipgate ack)', async () => {
    const stopSign = async () => json<{ deployment_id: string; status: string }[]>(await p.run(['history', '--json'])).find((d) => d.status === 'rollback_failed');
    // The case of code 4 leaves one; run alone (-t), this case makes its own.
    if (!(await stopSign())) expect((await p.run(['deploy', 'v1.3.0'], { env: { FAIL_DEPLOY: '1', FAIL_ROLLBACK: '1' } })).code).toBe(4);
    const failed = (await stopSign())!;
    const r = await p.run(['deploy', 'v1.3.1']);
    expect(r.code).toBe(7);
    expect(r.stderr).toContain(`shipgate ack ${failed.deployment_id} --reason`);
    expect((await p.run(['rollback'])).code).toBe(7);
    expect((await p.run(['ack', failed.deployment_id, '--reason', 'put v1.1.0 back by hand'])).code).toBe(0);
    expect((await p.run(['deploy', 'v1.3.1'])).code).toBe(0);
  });

  it('5: lock held', async () => {
    const release = join(p.dir, 'release-5');
    const holder = p.spawn(['deploy', 'v1.4.0'], { env: { HOLD_UNTIL: release } });
    await holder.waitFor('deploy/deploy started');
    const r = await p.run(['deploy', 'v1.4.1']);
    await writeFile(release, '');
    expect(r.code).toBe(5);
    expect((await holder.done).code).toBe(0);
  });

  it('6: interrupted: the run stopped unfinished (here on an internal error); the next command settles it', async () => {
    const r = await p.run(['deploy', 'v1.4.5'], { env: { HOLD_UNTIL: join(p.dir, 'never'), SHIPGATE_CRASH_AFTER: 'reject:process:started:deploy' } });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('shipgate stopped: internal error');
    const resume = await p.run(['resume', '--json']);
    expect(json<{ recovered: { version: string; status: string }[] }>(resume).recovered).toEqual([expect.objectContaining({ version: 'v1.4.5', status: 'rolled_back' })]);
    expect((await p.read('live.txt')).trim()).toBe('v1.4.0');
  });

  it('130: SIGINT stops at the next safe point and undoes what began', async () => {
    const release = join(p.dir, 'release-130');
    const run = p.spawn(['deploy', 'v1.5.0', '--json'], { env: { HOLD_UNTIL: release } });
    await run.waitFor('deploy/deploy started');
    run.child.kill('SIGINT');
    await run.waitFor('stopping at the next safe point');
    await writeFile(release, '');
    const r = await run.done;
    expect(r.code).toBe(130);
    const out = json<{ status: string; record: { stages: { name: string; undo: string | null }[] } }>(r);
    expect(out.status).toBe('cancelled');
    expect(out.record.stages.find((s) => s.name === 'deploy')!.undo).toBe('undone');
    expect((await p.read('live.txt')).trim()).toBe('v1.4.0');
  });

  it('130: a second SIGINT kills the running command; undo still runs', async () => {
    const run = p.spawn(['deploy', 'v1.6.0', '--json'], { env: { HOLD_UNTIL: join(p.dir, 'never') } });
    await run.waitFor('deploy/deploy started');
    run.child.kill('SIGINT');
    await run.waitFor('stopping at the next safe point');
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(json<{ status: string }>(r).status).toBe('cancelled');
    expect((await p.read('calls.log')).trim().split('\n').at(-1)).toBe('rollback v1.4.0');
  });
});
