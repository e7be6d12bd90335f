/**
 * The fly provider's rollout session: `shipgate pause|resume|promote|abort` from another process
 * reach a `shipgate deploy` that holds a canary step on the fake Machines API (`pause: manual`),
 * through the deployment's journal in the store. Every command is journaled with who sent it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeMachinesApi } from '../support/fly/fake-machines-api.js';
import { FLY_IMAGE as IMAGE, makeFlyCliProject, type FlyCliProject } from '../support/fly/cli-project.js';
import type { Project } from '../support/project.js';

const TOKEN = 'fly-tok-51ad0e';

let fly: FlyCliProject | undefined;
afterEach(async () => {
  await fly?.dispose();
  fly = undefined;
});

const MANUAL = `rollout:
  steps: [{ weight: 30, pause: manual }, { weight: 60, pause: manual }, { weight: 100, pause: 0s }]
  analysis: { interval: 200ms, minRequests: 1 }
`;

const images = (f: FakeMachinesApi): string[] =>
  f
    .machines('hotdash')
    .map((m) => String(m.config.image))
    .sort();

/** Resolves once a machine of `version` exists and the deploy reads the machines again (the step is watched). */
function watching(f: FakeMachinesApi, version: string): Promise<void> {
  let updated = false;
  return new Promise<void>((resolve) =>
    f.onRequest((q) => {
      if (q.method === 'POST' && (q.body as { config?: { image?: string } } | undefined)?.config?.image === `${IMAGE}:${version}`) updated = true;
      else if (updated && q.method === 'GET' && q.path === '/v1/apps/hotdash/machines') resolve();
    }),
  );
}

type Journaled = { type: string; data: { command?: string; by?: string; step?: string } };

async function journalOf(project: Project, id: string): Promise<Journaled[]> {
  const r = await project.run(['show', id, '--events', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { events: Journaled[] }).events;
}

describe('fly provider: the rollout session', () => {
  it('pause, resume, promote and promote --full reach the deploy process; abort rolls it back', async () => {
    fly = await makeFlyCliProject(TOKEN, { strategy: 'canary', tail: MANUAL });
    const { fake: f, project: p } = fly;
    const env = { FLY_API_TOKEN: TOKEN, SHIPGATE_ACTOR: 'alice' };
    expect((await p.run(['deploy', 'v1.0.0'], { env })).code).toBe(0);

    // Nothing runs: the session says so.
    const idle = await p.run(['promote'], { env });
    expect(idle.code).toBe(2);
    expect(idle.stderr).toContain('no rollout is in progress in production: no deployment is running');

    const held = watching(f, 'v2.0.0');
    const run = p.spawn(['deploy', 'v2.0.0'], { env });
    await held;
    const pause = await p.run(['pause'], { env });
    expect(pause.code, pause.stderr).toBe(0);
    expect(pause.stdout).toMatch(/^v2\.0\.0 \(\S+\): paused: analysis continues/);
    // status tells the 3 a.m. reader where the rollout stands, and what to type.
    const status = await p.run(['status'], { env });
    expect(status.stdout).toMatch(/deploy v2\.0\.0 running in stage deploy since \S+ \(\S+\); rollout step canary at 33%, PAUSED: shipgate resume continues, promote goes on, abort undoes it/);
    const resume = await p.run(['resume', '--json'], { env });
    expect(resume.code, resume.stderr).toBe(0);
    expect(JSON.parse(resume.stdout)).toMatchObject({ candidate: 'v2.0.0', command: 'resume', state: 'applied' });
    // Held at the manual step: one machine of three on the new image, however long it waits.
    expect(images(f).filter((i) => i.endsWith(':v2.0.0'))).toHaveLength(1);
    const promote = await p.run(['promote'], { env });
    expect(promote.code, promote.stderr).toBe(0);
    expect(promote.stdout).toContain('promoted: the current step ends now');
    // The second manual step: `promote --full` goes straight to 100%.
    await waitUntil(() => images(f).filter((i) => i.endsWith(':v2.0.0')).length === 2);
    const full = await p.run(['promote', '--full'], { env });
    expect(full.code, full.stderr).toBe(0);
    expect(full.stdout).toContain('promoted to 100%');
    const done = await run.done;
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(images(f)).toEqual([`${IMAGE}:v2.0.0`, `${IMAGE}:v2.0.0`, `${IMAGE}:v2.0.0`]);
    const id = /\((\S+)\)/.exec(pause.stdout)![1]!;
    const journal = await journalOf(p, id);
    const asked = journal.filter((e) => e.type === 'rollout:requested').map((e) => `${e.data.command} by ${e.data.by}`);
    expect(asked).toEqual(['pause by alice', 'resume by alice', 'promote by alice', 'promote-full by alice']);
    const acted = journal.filter((e) => e.type === 'rollout:command').map((e) => `${e.data.command} in ${e.data.step}`);
    expect(acted).toEqual(['pause in canary', 'resume in canary', 'promote in canary', 'promote-full in progressive']);
    expect(journal.map((e) => e.type)).toEqual(expect.arrayContaining(['rollout:paused', 'rollout:resumed']));

    // Abort from another process: the deploy process rolls back, every machine on v2.0.0 again.
    const held3 = watching(f, 'v3.0.0');
    const run3 = p.spawn(['deploy', 'v3.0.0'], { env });
    await held3;
    const abort = await p.run(['abort'], { env });
    expect(abort.code, abort.stderr).toBe(0);
    expect(abort.stdout).toContain('abort requested');
    const aborted = await run3.done;
    expect(aborted.code).toBe(1);
    expect(aborted.stdout + aborted.stderr).toContain('aborted by a person (shipgate abort)');
    expect(images(f)).toEqual([`${IMAGE}:v2.0.0`, `${IMAGE}:v2.0.0`, `${IMAGE}:v2.0.0`]);
    expect(f.machines('hotdash').filter((m) => m.lease && m.lease.expiresAt > Date.now())).toEqual([]);
    expect(f.rejected).toEqual([]);

    // Fly.io keeps the machines' logs, not this host: `logs` says where they are.
    const logs = await p.run(['logs'], { env });
    expect(logs.code).toBe(2);
    expect(logs.stderr).toContain('provider type fly has no instance logs on this host (provider type local has): Fly.io keeps them: `flyctl logs -a APP`');
  }, 60_000);
});

describe('fly provider: kept blue machines', () => {
  it('shipgate serve destroys them when the rollback window closes; status says when the window ends', async () => {
    fly = await makeFlyCliProject(TOKEN, { strategy: 'bluegreen', tail: 'rollout:\n  pause: 0s\nrollback:\n  window: 4s\n' });
    const { fake: f, project: p } = fly;
    const env = { FLY_API_TOKEN: TOKEN, SHIPGATE_SERVE_TOKEN: 'serve-tok-0d93a1' };
    expect((await p.run(['deploy', 'v1.0.0'], { env })).code).toBe(0);
    const second = await p.run(['deploy', 'v2.0.0'], { env });
    expect(second.code, second.stdout + second.stderr).toBe(0);
    const blue = () => f.machines('hotdash').filter((m) => m.config.image === `${IMAGE}:v1.0.0` && m.state !== 'destroyed' && m.state !== 'destroying');
    expect(blue().map((m) => m.state)).toEqual(['stopped', 'stopped', 'stopped']);
    const status = await p.run(['status'], { env });
    expect(status.stdout.match(/stopped v1\.0\.0 \S+ .*, kept for rollback until \S+/g), status.stdout).toHaveLength(3);

    const server = p.spawn(['serve', '--port', '0'], { env });
    try {
      await server.waitFor(/destroyed 3 kept blue machine\(s\) of hotdash/);
      await waitUntil(() => blue().length === 0);
      expect(f.machines('hotdash').filter((m) => m.state !== 'destroyed' && m.state !== 'destroying').map((m) => `${String(m.config.image)} ${m.state}`)).toEqual([`${IMAGE}:v2.0.0 started`, `${IMAGE}:v2.0.0 started`, `${IMAGE}:v2.0.0 started`]);
      expect(f.rejected).toEqual([]);
    } finally {
      server.child.kill('SIGTERM');
      await server.done;
    }
    // Past the window, a rollback goes back by the image and config the store kept.
    const back = await p.run(['rollback', '--force'], { env });
    expect(back.code, back.stdout + back.stderr).toBe(0);
    expect(f.machines('hotdash').filter((m) => m.state !== 'destroyed').map((m) => String(m.config.image))).toEqual([`${IMAGE}:v1.0.0`, `${IMAGE}:v1.0.0`, `${IMAGE}:v1.0.0`]);
  }, 60_000);
});

async function waitUntil(ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
