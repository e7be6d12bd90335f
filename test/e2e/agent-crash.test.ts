import { afterEach, describe, expect, it } from 'vitest';
import { isAlive } from '../support/agent-process.js';
import { json } from '../support/project.js';
import { eventually, makeLocalProject, type AgentView, type LocalProject } from '../support/local-project.js';

/**
 * After a kill -9 of the agent, a new agent adopts the instances from its state
 * file, which keeps no environment values. The live version must stay
 * restartable, and redeploying it must work. Real agents and instances.
 */

function readyOf(a: AgentView, version: string): AgentView['versions'][number]['instances'] {
  return a.versions.find((v) => v.version === version)?.instances.filter((i) => i.state === 'ready') ?? [];
}

/** Kills the agent with SIGKILL and waits until it is gone; its instances keep running. */
async function killAgent(q: LocalProject): Promise<void> {
  const { pid } = await q.agent();
  process.kill(pid, 'SIGKILL');
  await eventually(async () => (isAlive(pid) ? undefined : true), 'the agent to die');
}

/** Kills one ready instance of `version` and waits until the agent has a ready one with a new pid (a restart). */
async function expectRestarted(q: LocalProject, version: string): Promise<void> {
  const victim = readyOf(await q.agent(), version)[0]!;
  process.kill(victim.pid!, 'SIGKILL');
  const again = await eventually(async () => readyOf(await q.agent(), version).find((i) => i.id === victim.id && i.pid !== victim.pid && i.restarts > 0), `${victim.id} to be restarted`, 30_000);
  expect(again.pid).not.toBe(victim.pid);
}

const CANARY = `rollout:
  strategy: canary
  steps: [{ weight: 20, pause: 1s }, { weight: 100, pause: 0s }]
  analysis: { interval: 500ms, failureLimit: 2, maxErrorRate: 0.05, minRequests: 0, onInconclusive: continue }
`;

let p: LocalProject | null = null;
afterEach(async () => {
  await p?.dispose();
  p = null;
});

describe('after a kill -9 of the agent (local provider)', () => {
  it('redeploying the live version works: its instances come back to full count and can be restarted again', async () => {
    p = await makeLocalProject(CANARY);
    const q = p;
    expect((await q.run(['deploy', 'v1.0.0'])).code).toBe(0);
    const doomed = readyOf(await q.agent(), 'v1.0.0')[0]!.pid!;
    await killAgent(q);
    // One instance dies while no agent watches it.
    process.kill(doomed, 'SIGKILL');
    const r = await q.run(['deploy', 'v1.0.0', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(json<{ status: string }>(r).status).toBe('succeeded');
    const after = await q.agent();
    expect(after.weights).toEqual({ 'v1.0.0': 100 });
    expect(readyOf(after, 'v1.0.0')).toHaveLength(2);
    expect(after.versions.find((v) => v.version === 'v1.0.0')!.specMissing).toBe(false);
    expect((await q.get('/')).version).toBe('v1.0.0');
    await expectRestarted(q, 'v1.0.0');
  });

  it('the next deploy sends the live version spec again, so its instances are restarted during the rollout of another version', async () => {
    p = await makeLocalProject(CANARY.replace('pause: 1s', 'pause: manual'));
    const q = p;
    expect((await q.run(['deploy', 'v1.0.0'])).code).toBe(0);
    await killAgent(q);
    const deploy = q.spawn(['deploy', 'v1.1.0']);
    await deploy.waitFor('weights v1.0.0=80% v1.1.0=20%');
    await expectRestarted(q, 'v1.0.0');
    expect((await q.run(['abort'])).code).toBe(0);
    expect((await deploy.done).code).toBe(1);
    expect((await q.agent()).weights).toEqual({ 'v1.0.0': 100 });
  });
});
