import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, makeProject, type Project, SCRIPTS_PROVIDER } from '../support/project.js';

/** The approval gate: the deployment waits; listed approvers approve; self-approval is refused; timeouts block. */

const config = (timeout: string) => `
app: approvals
${SCRIPTS_PROVIDER}gates:
  approval: { required: 1, approvers: [alice, bob], timeout: ${timeout} }
`;

let p: Project;
beforeAll(async () => {
  p = await makeProject(config('60s'));
});
afterAll(async () => p?.cleanup());

const ID = /as (dep_\d{8}T\d{6}Z_[a-z0-9]{5})/;

describe('approval', () => {
  it('waits, refuses self and unlisted approvers, then proceeds on a listed approval', async () => {
    const run = p.spawn(['deploy', 'v1.0.0', '--json'], { env: { SHIPGATE_ACTOR: 'alice' } });
    const text = await run.waitFor('shipgate approve');
    const id = ID.exec(text)![1]!;
    expect(text).toContain(`waiting for 1 approval from bob`);

    const status = json<{ activity: { state: string }[] }[]>(await p.run(['status', '--json']))[0]!;
    expect(status.activity.map((a) => a.state)).toEqual(['awaiting_approval']);

    const self = await p.run(['approve', id, '--by', 'alice']);
    expect(self.code).toBe(2);
    expect(self.stderr).toContain('alice started this deployment and cannot approve it');
    const stranger = await p.run(['approve', id, '--by', 'mallory']);
    expect(stranger.code).toBe(2);
    expect(stranger.stderr).toContain('mallory is not an approver');

    const ok = await p.run(['approve', id, '--by', 'bob', '--comment', 'looks good']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('1 of 1 approval(s)');

    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    const rec = json<{ record: { gates: { name: string; result: string; reason: string }[] } }>(r).record;
    const gate = rec.gates.find((g) => g.name === 'approval')!;
    expect(gate.result).toBe('pass');
    expect(gate.reason).toContain('bob');
    const shown = json<{ events: { type: string; data: { approver?: string; comment?: string } }[] }>(await p.run(['show', id, '--events', '--json']));
    expect(shown.events.find((e) => e.type === 'approval:added')!.data).toMatchObject({ approver: 'bob', comment: 'looks good' });
  });

  it('approving a finished deployment is refused', async () => {
    const last = json<{ deployment_id: string }[]>(await p.run(['history', '--json', '--limit', '1']))[0]!;
    const r = await p.run(['approve', last.deployment_id, '--by', 'bob']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('already ended (succeeded)');
  });

  it('an unknown id is a usage error', async () => {
    const r = await p.run(['approve', 'dep_20200101T000000Z_00000', '--by', 'bob']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no deployment dep_20200101T000000Z_00000');
  });

  it('times out with "approval timed out" (exit 3) and nothing changes', async () => {
    const q = await makeProject(config('2s'));
    try {
      const r = await q.run(['deploy', 'v1.0.0'], { env: { SHIPGATE_ACTOR: 'alice' } });
      expect(r.code).toBe(3);
      expect(r.stdout).toContain('approval timed out after 2s');
      expect(await q.readOr('live.txt', 'none')).toBe('none');
    } finally {
      await q.cleanup();
    }
  });

  it('SIGINT while waiting for approval cancels at once (exit 130)', async () => {
    const run = p.spawn(['deploy', 'v1.1.0'], { env: { SHIPGATE_ACTOR: 'alice' } });
    await run.waitFor('shipgate approve');
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    expect((await p.read('live.txt')).trim()).toBe('v1.0.0');
  });
});
