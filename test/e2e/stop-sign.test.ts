import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, makeProject, SCRIPTS_PROVIDER, type Project } from '../support/project.js';

/**
 * `rollback_failed` is a stop sign: no deploy or rollback of that environment
 * starts (exit 7) until someone runs `shipgate ack <id> --reason "…"`; `status`
 * shows it first. Real CLI runs against real scripts.
 */

const CONFIG = `app: stop
${SCRIPTS_PROVIDER}environments: { production: {}, staging: {} }
`;

let p: Project;
let failedId: string;
beforeAll(async () => {
  p = await makeProject(CONFIG);
  expect((await p.run(['deploy', 'v1.0.0', '--env', 'production'])).code).toBe(0);
  expect((await p.run(['deploy', 'v1.0.0', '--env', 'staging'])).code).toBe(0);
  const r = await p.run(['deploy', 'v1.1.0', '--env', 'production', '--json'], { env: { FAIL_DEPLOY: '1', FAIL_ROLLBACK: '1' } });
  expect(r.code).toBe(4);
  failedId = json<{ deployment_id: string }>(r).deployment_id;
  expect(r.stderr).toContain(`Fix the target by hand, then: shipgate ack ${failedId} --reason "what you found and did"`);
});
afterAll(async () => p?.cleanup());

const calls = async (): Promise<string[]> => (await p.read('calls.log')).trim().split('\n');

describe('rollback_failed stops the environment', () => {
  it('the next deploy and rollback refuse to start (exit 7), naming the failure and the way out; nothing runs', async () => {
    const before = await calls();
    const deploy = await p.run(['deploy', 'v1.2.0', '--env', 'production']);
    expect(deploy.code).toBe(7);
    expect(deploy.stderr.split('\n').slice(0, 5)).toEqual([
      'stop/production is stopped: what runs there is unknown, so nothing new starts on top of it.',
      expect.stringMatching(new RegExp(`^ {2}deploy v1\\.1\\.0 \\(replacing v1\\.0\\.0\\) failed and its rollback failed too \\(${failedId}, [^)]+\\): stage "deploy" failed: deploy: \\./scripts/deploy\\.sh exited with code 7.*; then undo of stage "deploy" failed: rollback: .*exited with code 9`)),
      `Look first: shipgate show ${failedId} --events, and the target itself (what it runs, whether it is healthy); put it right by hand.`,
      `Then say so: shipgate ack ${failedId} --reason "what you found and did"`,
      '',
    ]);
    expect(deploy.stderr).not.toMatch(/\n\s+at /);
    const rollback = await p.run(['rollback', '--env', 'production', '--to', 'v1.0.0', '--json']);
    expect(rollback.code).toBe(7);
    expect(await calls()).toEqual(before);
    expect(json<{ deployment_id: string }[]>(await p.run(['history', '--json', '--env', 'production'])).length).toBe(2);
  });

  it('another environment is not stopped, and resume (which only finishes what a dead process began) still runs', async () => {
    expect((await p.run(['deploy', 'v1.2.0', '--env', 'staging'])).code).toBe(0);
    const resume = await p.run(['resume', '--env', 'production']);
    expect(resume.code).toBe(0);
    expect(resume.stdout).toContain('nothing to resume');
  });

  it('status shows it first, with what failed and what to check', async () => {
    const r = await p.run(['status', '--env', 'production']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('stop/production');
    expect(lines[1]).toMatch(new RegExp(`^ {2}STOPPED: {3}deploy v1\\.1\\.0 \\(replacing v1\\.0\\.0\\) failed and its rollback failed too \\(${failedId}, .*\\): stage "deploy" failed`));
    expect(lines[2]).toBe(`             no deploy or rollback starts until someone looks: shipgate show ${failedId} --events, and the target itself`);
    expect(lines[3]).toBe(`             then: shipgate ack ${failedId} --reason "what you found and did"`);
    const j = json<{ stopped: { deployment_id: string; version: string; error: string; ack: string }[] }[]>(await p.run(['status', '--json', '--env', 'production']))[0]!;
    expect(j.stopped).toEqual([expect.objectContaining({ deployment_id: failedId, version: 'v1.1.0', ack: `shipgate ack ${failedId} --reason "what you found and did"` })]);
    expect((await p.run(['status', '--env', 'staging'])).stdout).not.toContain('STOPPED');
  });

  it('ack needs a reason and a rollback_failed deployment (exit 2)', async () => {
    const noReason = await p.run(['ack', failedId]);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('--reason: say what you found and did (it is recorded with your name)');
    const firstId = json<{ deployment_id: string; status: string }[]>(await p.run(['history', '--json', '--env', 'production'])).find((d) => d.status === 'succeeded')!.deployment_id;
    const wrong = await p.run(['ack', firstId, '--reason', 'x']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(`deployment ${firstId} is succeeded, not rollback_failed: there is nothing to acknowledge`);
    expect((await p.run(['ack', 'dep_nope', '--reason', 'x'])).code).toBe(2);
  });

  it('ack records who and why (journal, record file, show, history); then deploys start again', async () => {
    const ack = await p.run(['ack', failedId, '--reason', 'restored v1.0.0 by hand', '--actor', 'oncall']);
    expect(ack.code, ack.stderr).toBe(0);
    expect(ack.stdout).toContain(`acknowledged ${failedId} as oncall: restored v1.0.0 by hand`);
    expect(ack.stdout).toContain('deploys and rollbacks of this environment may start again');
    expect((await p.run(['ack', failedId, '--reason', 'again'])).stdout).toContain(`${failedId} was already acknowledged by oncall`);

    const shown = await p.run(['show', failedId, '--events']);
    expect(shown.stdout).toMatch(/acknowledged {7}by oncall at \S+: restored v1\.0\.0 by hand/);
    expect(shown.stdout).toContain('failed rollback acknowledged by oncall: restored v1.0.0 by hand');
    const file = JSON.parse(await readFile(join(p.dir, '.shipgate/records', `${failedId}.json`), 'utf8')) as { acknowledged: { by: string; reason: string } };
    expect(file.acknowledged).toMatchObject({ by: 'oncall', reason: 'restored v1.0.0 by hand' });
    const history = json<{ deployment_id: string; acknowledged?: { by: string } | null }[]>(await p.run(['history', '--json', '--env', 'production']));
    expect(history.find((d) => d.deployment_id === failedId)!.acknowledged).toMatchObject({ by: 'oncall', reason: 'restored v1.0.0 by hand' });
    expect((await p.run(['history', '--env', 'production'])).stdout).toContain('rollback_failed (acknowledged by oncall)');
    expect((await p.run(['status', '--env', 'production'])).stdout).not.toContain('STOPPED');

    const deploy = await p.run(['deploy', 'v1.2.0', '--env', 'production']);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect((await p.read('live.txt')).trim()).toBe('v1.2.0');
  });
});
