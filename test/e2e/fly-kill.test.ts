/**
 * The one CLI test of the fly provider: a `shipgate deploy` killed with SIGKILL in the middle of
 * a canary on the fake Machines API, then the next command settles it: every machine back on the
 * previous image, and the leases the killed process held released.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FLY_IMAGE as IMAGE, makeFlyCliProject, type FlyCliProject } from '../support/fly/cli-project.js';

const TOKEN = 'fly-tok-9c2e71';

let fly: FlyCliProject | undefined;
afterEach(async () => {
  await fly?.dispose();
  fly = undefined;
});

describe('fly provider: SIGKILL mid-rollout', () => {
  it('the next command settles the deployment: machines back on the previous image, leases released', async () => {
    fly = await makeFlyCliProject(TOKEN, { strategy: 'canary', tail: 'rollout:\n  steps: [{ weight: 30, pause: 60s }, { weight: 100, pause: 0s }]\n  analysis: { interval: 100ms, minRequests: 1 }\n' });
    const { fake: f, project: p } = fly;
    const env = { FLY_API_TOKEN: TOKEN };
    const first = await p.run(['deploy', 'v1.0.0'], { env });
    expect(first.code, first.stderr).toBe(0);

    // Killed once the canary step is being watched: a machine on v2, analysis reading the machines.
    let watching: () => void = () => undefined;
    const watched = new Promise<void>((resolve) => (watching = resolve));
    let updated = false;
    f.onRequest((q) => {
      if (q.method === 'POST' && (q.body as { config?: { image?: string } } | undefined)?.config?.image === `${IMAGE}:v2.0.0`) updated = true;
      else if (updated && q.method === 'GET' && q.path === '/v1/apps/hotdash/machines') watching();
    });
    const run = p.spawn(['deploy', 'v2.0.0'], { env });
    await watched;
    run.child.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');
    const live = f.machines('hotdash');
    expect(live.filter((m) => m.config.image === `${IMAGE}:v2.0.0`)).toHaveLength(1);
    expect(live.filter((m) => m.lease && m.lease.expiresAt > Date.now())).toHaveLength(3);

    // A deploy whose process is gone takes no command: the session says so, and what settles it.
    const orphaned = await p.run(['abort'], { env });
    expect(orphaned.code).toBe(2);
    expect(orphaned.stderr).toMatch(/no rollout is in progress in production: deploy v2\.0\.0 \(\S+\) is INTERRUPTED \(its process is gone\); `shipgate resume` settles it/);
    const next = await p.run(['resume'], { env });
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(next.stdout).toContain('recovered');
    expect(next.stdout).toContain('(v2.0.0): rolled_back');
    expect(next.stdout + next.stderr).toContain('released the leases a stopped shipgate run left');
    const after = f.machines('hotdash');
    expect(after.map((m) => `${String(m.config.image)} ${m.state}`)).toEqual([`${IMAGE}:v1.0.0 started`, `${IMAGE}:v1.0.0 started`, `${IMAGE}:v1.0.0 started`]);
    expect(after.filter((m) => m.lease && m.lease.expiresAt > Date.now())).toEqual([]);
    expect(f.rejected).toEqual([]);
    // The rollout session is the store's: with the deployment settled, nothing takes commands.
    const promote = await p.run(['promote'], { env });
    expect(promote.code).toBe(2);
    expect(promote.stderr).toContain('no rollout is in progress in production: no deployment is running');
    const status = await p.run(['status'], { env });
    expect(status.stdout).toContain('live:      v1.0.0');
    expect(status.stdout).not.toContain('INTERRUPTED');
    // The machines as the Machines API lists them: states, versions, images, checks.
    expect(status.stdout).toContain('fly app hotdash:');
    expect(status.stdout.match(/started v1\.0\.0 registry\.fly\.io\/hotdash:v1\.0\.0 checks \d\/\d passing/g)).toHaveLength(3);
  });
});
