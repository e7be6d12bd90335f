/**
 * Issue 8, §2: no unhandled rejection anywhere. The CLI's process-level guard
 * turns one into a clean, journaled "interrupted" ending (exit 6), never a raw
 * stack; the command it was running is ended; the next command settles it.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { json, makeProject, type Project } from '../support/project.js';

const CONFIG = `app: guarded
provider:
  type: command
  deploy: ["sh", "-c", "echo $$ > deploy.pid; echo started; sleep \${DEPLOY_SLEEP:-0}; echo $SHIPGATE_VERSION > current"]
  rollback: ["sh", "-c", "echo $SHIPGATE_VERSION > current"]
`;

let p: Project;
afterAll(async () => {
  await p?.cleanup();
});

function isRunning(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

describe('an unhandled rejection during a deploy', () => {
  it('ends the run as interrupted: exit 6, one clean line, journaled, the script ended; resume settles it', async () => {
    p = await makeProject(CONFIG, {});
    expect((await p.run(['deploy', 'v1.0.0'])).code).toBe(0);
    const r = await p.run(['deploy', 'v2.0.0', '--json'], { env: { DEPLOY_SLEEP: '30', SHIPGATE_CRASH_AFTER: 'reject:step:output:deploy:deploy' } });
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toContain('shipgate stopped: internal error: injected by SHIPGATE_CRASH_AFTER after step:output:deploy:deploy');
    expect(r.stderr).toContain('the deployment is left unfinished (interrupted): the next shipgate deploy, rollback or resume settles it');
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(json(r)).toMatchObject({ status: 'error', error_type: 'RunInterrupted', exit_code: 6, deployment_id: expect.stringMatching(/^dep_/) });
    const pid = Number((await p.readOr('deploy.pid', '0')).trim());
    expect(pid).toBeGreaterThan(0);
    // It got SIGTERM as shipgate exited.
    for (let i = 0; i < 100 && isRunning(pid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(isRunning(pid)).toBe(false);

    const status = json<{ activity: { state: string; version: string; deployment_id: string }[] }[]>(await p.run(['status', '--json']));
    const interrupted = status[0]!.activity[0]!;
    expect(interrupted).toMatchObject({ version: 'v2.0.0', state: 'interrupted' });
    const shown = json<{ events: { type: string; data: { reason?: string } }[] }>(await p.run(['show', interrupted.deployment_id, '--events', '--json']));
    expect(shown.events.find((e) => e.type === 'run:interrupted')?.data.reason).toBe('internal error: injected by SHIPGATE_CRASH_AFTER after step:output:deploy:deploy');

    const resume = await p.run(['resume', '--json']);
    expect(json(resume)).toMatchObject({ recovered: [expect.objectContaining({ version: 'v2.0.0', status: 'rolled_back' })] });
    expect((await p.read('current')).trim()).toBe('v1.0.0');
  }, 60_000);
});
