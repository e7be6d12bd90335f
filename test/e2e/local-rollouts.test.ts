import { afterEach, describe, expect, it } from 'vitest';
import { json } from '../support/project.js';
import { eventually, makeLocalProject, type LocalProject } from '../support/local-project.js';

/** Progressive rollouts through the CLI with the local agent and the demo app. */

const CANARY_MANUAL = `rollout:
  strategy: canary
  steps: [{ weight: 20, pause: manual }, { weight: 100, pause: 0s }]
  analysis: { interval: 500ms, failureLimit: 2, maxErrorRate: 0.05, minRequests: 3, onInconclusive: continue }
`;

let p: LocalProject | null = null;
afterEach(async () => {
  await p?.dispose();
  p = null;
});

async function weightsOf(q: LocalProject): Promise<Record<string, number>> {
  return (await q.agent()).weights;
}

describe('strategies', () => {
  it('rolling replaces instances in batches and records each batch', async () => {
    p = await makeLocalProject('rollout: { strategy: rolling, maxSurge: 1, maxUnavailable: 0, pause: 0s }\n');
    expect((await p.run(['deploy', 'v1.0.0'])).code).toBe(0);
    const r = await p.run(['deploy', 'v1.1.0', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const stages = json<{ record: { rollout_stages: { stage: string; traffic_percentage: number; status: string }[] } }>(r).record.rollout_stages;
    expect(stages.map((s) => s.stage)).toEqual(['batch-1', 'batch-2']);
    expect(stages.at(-1)).toMatchObject({ traffic_percentage: 100, status: 'healthy' });
    expect(await weightsOf(p)).toEqual({ 'v1.1.0': 100 });
    expect((await p.get('/')).version).toBe('v1.1.0');
    const versions = (await p.agent()).versions.map((v) => v.version);
    expect(versions).toEqual(['v1.1.0']);
  });

  it('rolling with maxSurge 0 and maxUnavailable 1: traffic leaves the old version before its last instance stops', async () => {
    p = await makeLocalProject('rollout: { strategy: rolling, maxSurge: 0, maxUnavailable: 1, pause: 0s }\n');
    expect((await p.run(['deploy', 'v1.0.0'])).code).toBe(0);
    const r = await p.run(['deploy', 'v1.1.0']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await weightsOf(p)).toEqual({ 'v1.1.0': 100 });
    expect((await p.agent()).versions.map((v) => [v.version, v.instances.length])).toEqual([['v1.1.0', 2]]);
  });

  it('blue-green: green is reachable through the header before the switch, blue stays warm, rollback is an instant switch', async () => {
    p = await makeLocalProject('rollout: { strategy: bluegreen, pause: 1s, analysis: { interval: 500ms, minRequests: 0 } }\n');
    expect((await p.run(['deploy', 'v1.0.0'])).code).toBe(0);
    const deploy = p.spawn(['deploy', 'v1.1.0', '--json']);
    await deploy.waitFor('rollout preview');
    const q = p;
    const viaHeader = await eventually(async () => {
      const r = await q.get('/', { 'x-shipgate-version': 'v1.1.0' });
      return r.status === 200 ? r : undefined;
    }, 'green through the header');
    expect(viaHeader.version).toBe('v1.1.0');
    expect((await p.get('/')).version).toBe('v1.0.0');
    const done = await deploy.done;
    expect(done.code, done.stderr).toBe(0);
    expect((await p.get('/')).version).toBe('v1.1.0');
    const blue = (await p.agent()).versions.find((v) => v.version === 'v1.0.0')!;
    expect(blue.warmUntil).not.toBeNull();
    expect(blue.instances.every((i) => i.state === 'ready')).toBe(true);
    const rb = await p.run(['rollback', '--json']);
    expect(rb.code, rb.stderr).toBe(0);
    const shown = json<{ events: { type: string; data: { detail?: string } }[] }>(await p.run(['show', json<{ deployment_id: string }>(rb).deployment_id, '--events', '--json']));
    expect(shown.events.some((e) => e.type === 'step:started' && e.data.detail === 'v1.0.0 is warm: switching at once')).toBe(true);
    expect((await p.get('/')).version).toBe('v1.0.0');
  });
});

describe('controls on a running rollout', () => {
  it('promote ends a manual pause; the deployment succeeds', async () => {
    p = await makeLocalProject(CANARY_MANUAL);
    expect((await p.run(['deploy', 'v1.0.0'])).code).toBe(0);
    const deploy = p.spawn(['deploy', 'v1.1.0']);
    await deploy.waitFor('weights v1.0.0=80% v1.1.0=20%');
    expect(await weightsOf(p)).toEqual({ 'v1.0.0': 80, 'v1.1.0': 20 });
    const pause = await p.run(['pause']);
    expect(pause.code, pause.stderr).toBe(0);
    const resume = await p.run(['resume']);
    expect(resume.stdout).toContain('resumed');
    const promote = await p.run(['promote']);
    expect(promote.code, promote.stderr).toBe(0);
    expect(promote.stdout).toContain('promoted');
    const r = await deploy.done;
    expect(r.code, r.stdout).toBe(0);
    expect(await weightsOf(p)).toEqual({ 'v1.1.0': 100 });
  });

  it('abort returns traffic to stable and the deployment is rolled back (exit 1)', async () => {
    p = await makeLocalProject(CANARY_MANUAL);
    expect((await p.run(['deploy', 'v1.0.0'])).code).toBe(0);
    const deploy = p.spawn(['deploy', 'v1.1.0']);
    await deploy.waitFor('weights v1.0.0=80% v1.1.0=20%');
    expect((await p.run(['abort'])).code).toBe(0);
    const r = await deploy.done;
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('aborted by a person');
    expect(await weightsOf(p)).toEqual({ 'v1.0.0': 100 });
    expect((await p.agent()).versions.map((v) => v.version)).toEqual(['v1.0.0']);
  });

  it('promote without a rollout in progress is a usage error', async () => {
    p = await makeLocalProject();
    expect((await p.run(['agent', 'start'])).code).toBe(0);
    const r = await p.run(['promote']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no rollout is in progress');
  });
});

describe('the dead-man switch', () => {
  it('returns traffic to stable when the driving process dies, and the next command finishes the journal', async () => {
    p = await makeLocalProject(CANARY_MANUAL);
    expect((await p.run(['deploy', 'v1.0.0'])).code).toBe(0);
    const deploy = p.spawn(['deploy', 'v1.1.0']);
    await deploy.waitFor('weights v1.0.0=80% v1.1.0=20%');
    deploy.child.kill('SIGKILL');
    await deploy.done;
    const q = p;
    await eventually(async () => ((await weightsOf(q))['v1.0.0'] === 100 ? true : undefined), 'the dead-man switch', 15_000);
    expect((await p.agent()).rollout).toMatchObject({ state: 'aborted_by_deadman' });
    const status = json<{ activity: { state: string }[] }[]>(await p.run(['status', '--json']))[0]!;
    expect(status.activity.map((a) => a.state)).toEqual(['interrupted']);
    const r = await p.run(['resume', '--json']);
    expect(json<{ recovered: { status: string }[] }>(r).recovered).toEqual([expect.objectContaining({ status: 'rolled_back' })]);
    expect((await p.agent()).versions.map((v) => v.version)).toEqual(['v1.0.0']);
    expect((await p.get('/')).version).toBe('v1.0.0');
  });
});

describe('analysis', () => {
  it('a failing canary is reverted automatically and the record shows the verdicts', async () => {
    p = await makeLocalProject(`rollout:
  strategy: canary
  steps: [{ weight: 50, pause: 20s }, { weight: 100, pause: 0s }]
  analysis: { interval: 500ms, failureLimit: 2, maxErrorRate: 0.05, minRequests: 3, onInconclusive: continue }
`);
    expect((await p.run(['deploy', 'v1.0.0'])).code).toBe(0);
    await p.write('faults.json', JSON.stringify({ errorRate: 0.5 }));
    const q = p;
    let running = true;
    const load = (async () => {
      while (running) await q.get('/').catch(() => undefined);
    })();
    const r = await p.run(['deploy', 'v1.1.0', '--json']);
    running = false;
    await load;
    expect(r.code).toBe(1);
    const rec = json<{ status: string; record: { analysis: { verdict: string; error_rate: number }[]; rollout_stages: { stage: string; status: string }[] } }>(r);
    expect(rec.status).toBe('rolled_back');
    expect(rec.record.analysis.filter((a) => a.verdict === 'fail').length).toBe(2);
    expect(rec.record.rollout_stages[0]).toMatchObject({ stage: 'canary', status: 'failed' });
    expect(await weightsOf(p)).toEqual({ 'v1.0.0': 100 });
  });
});
