import { afterEach, describe, expect, it } from 'vitest';
import { makeLocalProject, type LocalProject } from '../support/local-project.js';
import { shipgateInTerminal, type Terminal } from '../support/terminal.js';

/**
 * What a person sees in a real terminal (a tmux pseudo-terminal): a canary's
 * steps, weights and verdicts live under the deploy stage; after a failed rollout
 * or a Ctrl-C, the undo lines and the outcome.
 */

/** Steps held until `shipgate promote`, so the test moves the rollout on when it has seen a step, not on a timer. */
const MANUAL_CANARY = `rollout:
  strategy: canary
  steps: [{ weight: 5, pause: manual }, { weight: 50, pause: manual }, { weight: 100, pause: 0s }]
  analysis: { interval: 300ms, failureLimit: 2, maxErrorRate: 0.05, minRequests: 0, onInconclusive: continue }
`;

/** Each test deploys twice through the agent; a loaded machine needs more than the default 30 s. */
const TIMEOUT_MS = 120_000;

let p: LocalProject | null = null;
let term: Terminal | null = null;
afterEach(async () => {
  await term?.close();
  await p?.dispose();
  term = null;
  p = null;
});

async function deployedProject(): Promise<LocalProject> {
  const q = await makeLocalProject(MANUAL_CANARY);
  const first = await q.run(['deploy', 'v1.0.0']);
  expect(first.code, first.stderr).toBe(0);
  return q;
}

describe('in a terminal', () => {
  it("shows a canary's step, weights and verdict changing on screen while it runs", async () => {
    p = await deployedProject();
    term = await shipgateInTerminal(p.dir, ['deploy', 'v1.1.0']);
    const at5 = await term.waitFor((s) => s.includes('rollout canary: 5% to the new version') && s.includes('analysis canary: pass'), 'the 5% step and a verdict');
    expect(at5).toContain('weights v1.0.0=95% v1.1.0=5%');
    expect(at5).not.toMatch(/EXIT=/);
    expect((await p.run(['promote'])).code).toBe(0);
    const at50 = await term.waitFor(/rollout progressive: 50% to the new version/, 'the 50% step');
    expect(at50).toContain('rollout canary at 5%: healthy after');
    expect(at50).toContain('weights v1.0.0=50% v1.1.0=50%');
    expect(at50).not.toMatch(/EXIT=/);
    expect((await p.run(['promote'])).code).toBe(0);
    const { code, screen } = await term.exit();
    expect(code, screen).toBe(0);
    expect(screen).toContain('rollout progressive at 50%: healthy after');
    expect(screen).toContain('rollout full at 100%: healthy after');
    expect(screen).toContain('deploy v1.1.0 to localtest/production succeeded');
  }, TIMEOUT_MS);

  it('after a failed rollout, the undo lines and the outcome are on screen, and no listener warning', async () => {
    p = await deployedProject();
    // Instances of v1.1.0 die soon after they listen: the direct probes of analysis fail.
    await p.write('faults.json', JSON.stringify({ crashAfterMs: 400 }));
    term = await shipgateInTerminal(p.dir, ['deploy', 'v1.1.0']);
    const { code, screen } = await term.exit();
    expect(code, screen).toBe(1);
    expect(term.frames.some((f) => f.includes('rollout canary: 5% to the new version') && !/EXIT=/.test(f))).toBe(true);
    expect(screen).toContain('rollout canary at 5%: FAILED after');
    expect(screen).toMatch(/analysis canary: fail — /);
    expect(screen).toContain('undo deploy started');
    expect(screen).toMatch(/deploy\/\w+ started: /);
    expect(screen).toMatch(/undo deploy finished: restored v1\.0\.0/);
    expect(screen).toContain('deploy v1.1.0 to localtest/production failed and was rolled back to v1.0.0');
    expect(screen).not.toContain('threw');
    expect(screen).not.toContain('Warning');
  }, TIMEOUT_MS);

  it('Ctrl-C during a rollout cancels at a safe point and undoes (exit 130), with the undo on screen', async () => {
    p = await deployedProject();
    term = await shipgateInTerminal(p.dir, ['deploy', 'v1.1.0']);
    await term.waitFor(/weights v1\.0\.0=95% v1\.1\.0=5%/, 'the 5% step');
    await term.keys('C-c');
    const { code, screen } = await term.exit();
    expect(code, screen).toBe(130);
    expect(screen).toMatch(/undo deploy finished: restored v1\.0\.0/);
    expect(screen).toContain('deploy v1.1.0 to localtest/production cancelled; what began was undone');
    expect((await p.agent()).weights).toEqual({ 'v1.0.0': 100 });
    const status = await p.run(['status']);
    expect(status.stdout).not.toContain('INTERRUPTED');
    expect(status.stdout).toContain('lock:      free');
  }, TIMEOUT_MS);
});
