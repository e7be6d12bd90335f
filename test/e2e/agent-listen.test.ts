import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, freePort, httpGet, localConfig, makeLocalProject, type LocalProject } from '../support/local-project.js';

/**
 * `provider.listen` can change: the agent starts a router on the new address,
 * then stops the old one. An address that cannot be bound fails the deploy
 * with a message naming it, is reported by `agent status`, and is never saved.
 */

let p: LocalProject | null = null;
let blocker: Server | null = null;
afterEach(async () => {
  await p?.dispose();
  p = null;
  await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
  blocker = null;
});

/** Another program listening on a port. */
async function occupy(): Promise<number> {
  const port = await freePort();
  blocker = createServer((s) => s.destroy());
  await new Promise<void>((resolve) => blocker!.listen(port, '127.0.0.1', resolve));
  return port;
}

/** The address in the agent's saved state (null when it saved none, or nothing at all). */
function savedListen(q: LocalProject): string | null {
  const path = join(q.dir, '.shipgate/agent/production/state.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { listen: string | null }).listen : null;
}

async function moveTo(q: LocalProject, port: number): Promise<void> {
  await q.write('shipgate.yaml', localConfig(port, ''));
}

describe('provider.listen', () => {
  it('changing it moves the router on the next deploy; the old address closes once its requests are done', async () => {
    p = await makeLocalProject();
    expect((await p.run(['deploy', 'v1.0.0'])).code).toBe(0);
    const next = await freePort();
    await moveTo(p, next);
    const r = await p.run(['deploy', 'v1.1.0']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await httpGet(next, '/')).version).toBe('v1.1.0');
    const old = p.port;
    await eventually(async () => (await httpGet(old, '/').then(() => undefined, (err: NodeJS.ErrnoException) => err.code)) === 'ECONNREFUSED' || undefined, `${old} to close`);
    expect(savedListen(p)).toBe(`127.0.0.1:${next}`);
    expect((await p.run(['agent', 'status'])).stdout).toMatch(new RegExp(`^router: +serving 127\\.0\\.0\\.1:${next} with v1\\.1\\.0=100%`, 'm'));
  });

  it('an address another program holds fails the first deploy with a clear message; agent status reports it; it is not saved', async () => {
    const taken = await occupy();
    p = await makeLocalProject();
    await moveTo(p, taken);
    const r = await p.run(['deploy', 'v1.0.0']);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain(`provider.listen: cannot listen on 127.0.0.1:${taken}: the address is already in use (another program listens there)`);
    const status = await p.run(['agent', 'status']);
    expect(status.stdout).toMatch(new RegExp(`^router: +DOWN \\(cannot listen on 127\\.0\\.0\\.1:${taken}: the address is already in use \\(another program listens there\\)\\)$`, 'm'));
    expect(savedListen(p)).toBeNull();
    // Once the address is free, the next deploy binds it.
    await new Promise<void>((resolve) => blocker!.close(() => resolve()));
    blocker = null;
    const again = await p.run(['deploy', 'v1.0.0']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect((await httpGet(taken, '/')).version).toBe('v1.0.0');
    expect(savedListen(p)).toBe(`127.0.0.1:${taken}`);
  });

  it('moving to a taken address fails the deploy and rolls it back; the router keeps serving where it was', async () => {
    p = await makeLocalProject();
    expect((await p.run(['deploy', 'v1.0.0'])).code).toBe(0);
    const taken = await occupy();
    await moveTo(p, taken);
    const r = await p.run(['deploy', 'v1.1.0']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout + r.stderr).toContain(`provider.listen: cannot listen on 127.0.0.1:${taken}: the address is already in use (another program listens there); the router keeps serving 127.0.0.1:${p.port}`);
    expect(r.stdout + r.stderr).toMatch(/rolled back to v1\.0\.0/);
    expect((await p.get('/')).version).toBe('v1.0.0');
    expect(savedListen(p)).toBe(`127.0.0.1:${p.port}`);
  });
});
