import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { json, makeProject, type Project } from '../support/project.js';

/**
 * Acceptance (issue 8, §1): a run killed by SIGKILL leaves its deploy script
 * running in its own process group. The next command must end that group before
 * it undoes anything; otherwise the script finishes after the undo and puts the
 * new version back while `status` says the old one is live.
 */
const CONFIG = `app: orphans
provider:
  type: command
  deploy: ["sh", "-c", "echo $$ > deploy.pid; sleep \${DEPLOY_SLEEP:-4}; echo $SHIPGATE_VERSION > current"]
  rollback: ["sh", "-c", "echo $SHIPGATE_VERSION > current"]
gates: { semver: false }
`;

const RUNS = Number(process.env.ORPHAN_RUNS ?? 10);
const projects: Project[] = [];
afterAll(async () => {
  await Promise.all(projects.map((p) => p.cleanup()));
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  for (const end = Date.now() + ms; !(await check()); ) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await sleep(20);
  }
}

function isRunning(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** The repro of the issue, one project: v1.0.0 live, a deploy of v2.0.0 SIGKILLed 1.5 s in, then `resume`. */
async function repro(sleepSeconds = 4): Promise<{ current: string; resume: Record<string, unknown>; orphanAlive: boolean; events: string[] }> {
  const p = await makeProject(CONFIG, {});
  projects.push(p);
  const first = await p.run(['deploy', 'v1.0.0', '--json'], { env: { DEPLOY_SLEEP: '0' } });
  expect(first.code, first.stderr).toBe(0);
  const deploy = p.spawn(['deploy', 'v2.0.0'], { env: { DEPLOY_SLEEP: String(sleepSeconds) } });
  await deploy.waitFor('deploy/deploy started');
  // SIGKILL 1.5 s after the script began (it writes its pid first): it is asleep, 2.5 s before it would write v2.0.0.
  await until(() => p.readOr('deploy.pid', '').then((t) => t.trim() !== ''));
  await sleep(1500);
  deploy.child.kill('SIGKILL');
  await deploy.done;
  const orphan = Number((await p.read('deploy.pid')).trim());
  const resume = await p.run(['resume', '--json']);
  expect(resume.code, resume.stderr).toBe(0);
  const orphanAlive = isRunning(orphan);
  // Past the moment the orphaned script would have written v2.0.0 (4 s after it began).
  if (sleepSeconds < 10) await sleep(3500);
  const show = json<{ events: { type: string }[] }>(await p.run(['show', (json<{ recovered: { deployment_id: string }[] }>(resume).recovered[0]!).deployment_id, '--events', '--json']));
  return { current: (await p.read('current')).trim(), resume: json(resume), orphanAlive, events: show.events.map((e) => e.type) };
}

describe('crash recovery owns what the dead run started', () => {
  it(`the orphaned deploy script is ended before the undo: the old version stays live (${RUNS} runs)`, async () => {
    const results = await Promise.all(Array.from({ length: RUNS }, () => repro()));
    for (const r of results) {
      expect(r.resume).toMatchObject({ recovered: [expect.objectContaining({ version: 'v2.0.0', status: 'rolled_back' })] });
      expect(r.orphanAlive).toBe(false);
      expect(r.current).toBe('v1.0.0');
    }
  }, 120_000);

  it('recovery journals the group it ended, before it undoes anything', async () => {
    // A script that would run for a minute: certainly still running when recovery begins.
    const r = await repro(60);
    expect(r.orphanAlive).toBe(false);
    expect(r.current).toBe('v1.0.0');
    const order = ['process:started', 'recovery:started', 'process:ended', 'undo:started'].map((t) => r.events.indexOf(t));
    expect(order.every((i, n) => i > (n === 0 ? -1 : order[n - 1]!)), r.events.join(' ')).toBe(true);
  }, 60_000);
});
