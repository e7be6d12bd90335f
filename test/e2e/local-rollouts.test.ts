import { afterEach, describe, expect, it } from 'vitest';
import { json, type CliResult } from '../support/project.js';
import { eventually, makeLocalProject, type LocalProject } from '../support/local-project.js';
import { pace } from '../support/pace.js';

/** Progressive rollouts through the CLI with the local agent and the demo app. */

const CANARY_MANUAL = `rollout:
  strategy: canary
  steps: [{ weight: 20, pause: manual }, { weight: 100, pause: 0s }]
  analysis: { interval: 500ms, failureLimit: 2, maxErrorRate: 0.05, minRequests: 3, onInconclusive: continue }
`;

/** The canary of the dead-man test: half the traffic, held until promoted. */
const CANARY_HALF_MANUAL = `rollout:
  strategy: canary
  steps: [{ weight: 50, pause: manual }, { weight: 100, pause: 0s }]
  analysis: { interval: 500ms, failureLimit: 2, maxErrorRate: 0.05, minRequests: 3, onInconclusive: continue }
`;
/** provider.deadman and rollout.analysis.interval of the dead-man test (see localConfig and CANARY_HALF_MANUAL). */
const DEADMAN_MS = 3000;
const INTERVAL_MS = 500;
/** How late timers may fire on a loaded 2-core machine. */
const TIMER_SLACK_MS = 500;

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
    const first = await p.run(['deploy', 'v1.0.0']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
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
  it('returns all traffic to stable within deadman + one interval of a SIGKILL at 50%, and the next command finishes the journal', async () => {
    p = await makeLocalProject(CANARY_HALF_MANUAL);
    expect((await p.run(['deploy', 'v1.0.0'])).code).toBe(0);
    const deploy = p.spawn(['deploy', 'v1.1.0']);
    await deploy.waitFor('weights v1.0.0=50% v1.1.0=50%');
    const killedAt = Date.now();
    deploy.child.kill('SIGKILL');
    await deploy.done;
    const q = p;
    await eventually(async () => ((await weightsOf(q))['v1.0.0'] === 100 ? true : undefined), 'the dead-man switch', 15_000);
    const rollout = (await p.agent()).rollout as { state: string; abortedAt: string | null } | null;
    expect(rollout).toMatchObject({ state: 'aborted_by_deadman' });
    // The agent moved the weights in the tick that set abortedAt. The bound is the design's (dead-man time plus one
    // interval) plus what a timer may fire late on a loaded shared machine (CI saw 35 ms over): a bound, not a benchmark.
    expect(Date.parse(rollout!.abortedAt!) - killedAt).toBeLessThanOrEqual(DEADMAN_MS + INTERVAL_MS + TIMER_SLACK_MS);
    const status = await p.run(['status']);
    expect(status.stdout).toContain('deploy v1.1.0 INTERRUPTED');
    expect(status.stdout).toContain(`rollout of v1.1.0 ABORTED by the dead-man switch at ${rollout!.abortedAt} (its deploy process stopped sending heartbeats; traffic went back to v1.0.0)`);
    const statusJson = json<{ activity: { state: string }[]; agent: { rollout: { state: string } } }[]>(await p.run(['status', '--json']))[0]!;
    expect(statusJson.activity.map((a) => a.state)).toEqual(['interrupted']);
    expect(statusJson.agent.rollout).toMatchObject({ state: 'aborted_by_deadman', candidate: 'v1.1.0', stable: 'v1.0.0' });
    const r = await p.run(['resume', '--json']);
    expect(json<{ recovered: { status: string }[] }>(r).recovered).toEqual([expect.objectContaining({ status: 'rolled_back' })]);
    expect((await p.agent()).versions.map((v) => v.version)).toEqual(['v1.0.0']);
    expect((await p.get('/')).version).toBe('v1.0.0');
    // The revert the agent made on its own is in the journal, written by the command that settled the deployment.
    const id = json<{ recovered: { deployment_id: string }[] }>(r).recovered[0]!.deployment_id;
    const events = json<{ events: { type: string; data: { reason?: string; weights?: Record<string, number>; message?: string } }[] }>(await p.run(['show', id, '--events', '--json'])).events;
    const revert = events.find((e) => e.type === 'rollout:weights' && e.data.reason?.startsWith('dead-man switch'));
    expect(revert?.data).toMatchObject({ weights: { 'v1.0.0': 100 }, reason: `dead-man switch: no heartbeat for 3s from the process driving the rollout, so the agent returned all traffic to v1.0.0 at ${rollout!.abortedAt}` });
    // The agent's own record of the abort, journaled once by the commands that came after (resume read it at its start and its end).
    const aborts = events.filter((e) => e.type === 'agent:deadman_abort');
    expect(aborts).toHaveLength(1);
    expect(aborts[0]!.data).toMatchObject({ deploymentId: id, version: 'v1.1.0', environment: 'production', message: expect.stringMatching(/^dead-man switch: no heartbeat from rollout dep_\S+ for 3000ms; all traffic back to v1\.0\.0$/) });
  });
});

describe('instances that fail (real processes)', () => {
  const CANARY_WATCHED = `rollout:
  strategy: canary
  steps: [{ weight: 50, pause: 20s }, { weight: 100, pause: 0s }]
  analysis: { interval: 500ms, failureLimit: 2, maxErrorRate: 0.05, minRequests: 3, onInconclusive: continue }
`;

  /** Deploys v1.0.0, then v1.1.0 built with `faults` (the demo app's fault modes); returns the second deploy's result. */
  async function deployFaulty(q: LocalProject, faults: Record<string, unknown>, during?: (deploy: ReturnType<LocalProject['spawn']>) => Promise<void>) {
    expect((await q.run(['deploy', 'v1.0.0'])).code).toBe(0);
    await q.write('faults.json', JSON.stringify(faults));
    const deploy = q.spawn(['deploy', 'v1.1.0', '--json']);
    await during?.(deploy);
    return deploy.done;
  }

  function expectRolledBack(r: CliResult) {
    expect(r.code, r.stderr).toBe(1);
    expect(json<{ status: string }>(r).status).toBe('rolled_back');
  }

  /** Rolled back because the direct probes of v1.1.0's instances failed (at least failureLimit times); v1.0.0 serves everything. */
  async function expectProbesFailedAndRolledBack(q: LocalProject, r: CliResult) {
    expectRolledBack(r);
    const rec = json<{ record: { analysis: { verdict: string; reasons: string[] }[]; rollout_stages: { stage: string; status: string }[] } }>(r).record;
    const failed = rec.analysis.filter((a) => a.verdict === 'fail');
    expect(failed.length).toBeGreaterThanOrEqual(2);
    for (const f of failed) expect(f.reasons.join('; ')).toMatch(/probe of instance v1\.1\.0#\d+ \(v1\.1\.0\) failed/);
    expect(rec.rollout_stages[0]).toMatchObject({ stage: 'canary', status: 'failed' });
    expect(await weightsOf(q)).toEqual({ 'v1.0.0': 100 });
    expect((await q.get('/')).version).toBe('v1.0.0');
  }

  it('a crash loop fails the deploy and rolls back', async () => {
    p = await makeLocalProject(CANARY_WATCHED);
    const q = p;
    const r = await deployFaulty(q, { crashAfterMs: 300 });
    await expectProbesFailedAndRolledBack(q, r);
    expect((await q.agent()).versions.map((v) => v.version)).toEqual(['v1.0.0']);
  });

  it('a version that crashes on start fails the deploy before any traffic moves', async () => {
    p = await makeLocalProject(CANARY_WATCHED);
    const r = await deployFaulty(p, { crashOnStart: true });
    expectRolledBack(r);
    expect(r.stdout + r.stderr).toMatch(/v1\.1\.0/);
    expect(await weightsOf(p)).toEqual({ 'v1.0.0': 100 });
    expect((await p.get('/')).version).toBe('v1.0.0');
  });

  it('a slow start within grace succeeds', async () => {
    p = await makeLocalProject('rollout: { strategy: immediate }\n');
    const started = Date.now();
    const r = await deployFaulty(p, { slowStartMs: 2500 });
    expect(r.code, r.stderr).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2500);
    expect(await weightsOf(p)).toEqual({ 'v1.1.0': 100 });
    expect((await p.get('/')).version).toBe('v1.1.0');
  });

  it('an instance killed during a step fails analysis and rolls back', async () => {
    p = await makeLocalProject(CANARY_WATCHED);
    const q = p;
    let killed = 0;
    const r = await deployFaulty(q, {}, async (deploy) => {
      await deploy.waitFor('weights v1.0.0=50% v1.1.0=50%');
      // Kill the candidate's instances whenever they run, until the deployment ends.
      let over = false;
      void deploy.done.then(() => (over = true));
      while (!over) {
        const candidate = (await q.agent().catch(() => null))?.versions.find((v) => v.version === 'v1.1.0');
        for (const i of candidate?.instances ?? []) {
          if (i.pid === null) continue;
          try {
            process.kill(i.pid, 'SIGKILL');
            killed++;
          } catch {
            // exited already
          }
        }
        await new Promise((res) => setTimeout(res, 100));
      }
    });
    expect(killed).toBeGreaterThan(0);
    await expectProbesFailedAndRolledBack(q, r);
  });
});

describe('onInconclusive: pause', () => {
  // No traffic, and minRequests far above it: every window is inconclusive.
  const HOLD = `rollout:
  strategy: canary
  steps: [{ weight: 20, pause: 1s }, { weight: 100, pause: 0s }]
  analysis: { interval: 300ms, failureLimit: 2, maxErrorRate: 0.05, minRequests: 1000000, onInconclusive: pause }
`;

  async function heldCanary(q: LocalProject) {
    expect((await q.run(['deploy', 'v1.0.0'])).code).toBe(0);
    const deploy = q.spawn(['deploy', 'v1.1.0', '--json']);
    await deploy.waitFor('rollout paused in canary (analysis inconclusive)');
    // Well past the step's 1s pause, the rollout still holds at 20%.
    await new Promise((res) => setTimeout(res, 2500));
    expect(await weightsOf(q)).toEqual({ 'v1.0.0': 80, 'v1.1.0': 20 });
    return deploy;
  }

  it('holds the rollout until promote', async () => {
    p = await makeLocalProject(HOLD);
    const deploy = await heldCanary(p);
    expect((await p.run(['promote'])).code).toBe(0);
    const r = await deploy.done;
    expect(r.code, r.stderr).toBe(0);
    expect(json<{ status: string }>(r).status).toBe('succeeded');
    expect(await weightsOf(p)).toEqual({ 'v1.1.0': 100 });
  });

  it('holds the rollout until abort, which rolls it back', async () => {
    p = await makeLocalProject(HOLD);
    const deploy = await heldCanary(p);
    expect((await p.run(['abort'])).code).toBe(0);
    const r = await deploy.done;
    expect(r.code).toBe(1);
    expect(json<{ status: string }>(r).status).toBe('rolled_back');
    expect(await weightsOf(p)).toEqual({ 'v1.0.0': 100 });
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
      while (running) {
        await q.get('/').catch(() => undefined);
        await pace();
      }
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

  it('a canary that fails every answer is ejected by the router after 5, and analysis fails it without waiting for minRequests', async () => {
    p = await makeLocalProject(`rollout:
  strategy: canary
  steps: [{ weight: 10, pause: 30s }, { weight: 100, pause: 0s }]
  analysis: { interval: 500ms, failureLimit: 1, maxErrorRate: 0.01, minRequests: 1000, onInconclusive: continue }
`);
    expect((await p.run(['deploy', 'v1.0.0'])).code).toBe(0);
    await p.write('faults.json', JSON.stringify({ errorRate: 1 }));
    const q = p;
    let running = true;
    let failed = 0;
    const load = (async () => {
      while (running) {
        const res = await q.get('/').catch(() => null);
        if (res === null || res.status >= 500) failed++;
        await pace();
      }
    })();
    const r = await p.run(['deploy', 'v1.1.0', '--json']);
    running = false;
    await load;
    expect(r.code).toBe(1);
    const rec = json<{ status: string; record: { analysis: { verdict: string; reasons: string[] }[] } }>(r);
    expect(rec.status).toBe('rolled_back');
    const failing = rec.record.analysis.filter((a) => a.verdict === 'fail');
    expect(failing).toHaveLength(1);
    expect(failing[0]!.reasons.join('; ')).toMatch(/^the router ejected v1\.1\.0: its answers failed again and again in a row \(error rate 100\.0%, 5 of 5 requests/);
    expect(failed).toBe(5); // the 5 answers that got it ejected, and no more
    expect(await weightsOf(p)).toEqual({ 'v1.0.0': 100 });
  });
});
