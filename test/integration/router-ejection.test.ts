/** A canary whose answers keep failing loses its weighted traffic after N in a row; stable never does. */
import { afterEach, describe, expect, it } from 'vitest';
import { createRouter, type CreateRouterOptions, type Router } from '../../src/agent/router/index.js';
import { FakeClock } from '../../src/runtime/clock.js';
import { backendOf, listenLocal, send, startUpstream, type Upstream } from '../support/upstream.js';

let cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const fn of cleanups.reverse()) await fn();
  cleanups = [];
});

async function setup(weights: Record<string, number>, opts: Partial<CreateRouterOptions> = {}): Promise<{ router: Router; url: string; stable: Upstream; canary: Upstream; clock: FakeClock; logged: string[] }> {
  const [stable, canary] = await Promise.all([startUpstream({ id: 'stable' }), startUpstream({ id: 'canary' })]);
  const clock = new FakeClock(Date.parse('2026-12-01T12:00:00Z'));
  const logged: string[] = [];
  const router = createRouter({ stickyCookie: false, versionHeader: true, bodyLimit: 1024, retry: true, clock, ejectMs: 10_000, log: (l) => logged.push(l), ...opts });
  router.setTable({ weights, backends: [backendOf(stable, 'v1'), backendOf(canary, 'v2')] });
  const url = await listenLocal(router.server);
  cleanups.push(() => stable.close(), () => canary.close(), () => router.close());
  return { router, url, stable, canary, clock, logged };
}

async function answers(url: string, n: number): Promise<{ from: Record<string, number>; failed: number }> {
  const from: Record<string, number> = {};
  let failed = 0;
  for (let i = 0; i < n; i++) {
    const res = await send(`${url}/`);
    const who = String(res.headers['x-instance']);
    from[who] = (from[who] ?? 0) + 1;
    if (res.status >= 500) failed++;
  }
  return { from, failed };
}

describe('router: ejection', () => {
  it('after 5 failed answers in a row the canary gets no weighted traffic; the version header still reaches it; it comes back after ejectMs', async () => {
    const { router, url, canary, clock, logged } = await setup({ v1: 80, v2: 20 });
    canary.status = 500;
    // 20% of 25 requests is 5: exactly the canary's 5 failures, then nothing more reaches it.
    const first = await answers(url, 25);
    expect(first).toEqual({ from: { stable: 20, canary: 5 }, failed: 5 });
    expect(router.stats('v2', 60_000)).toMatchObject({ requests: 5, errors5xx: 5, ejected: true });
    expect(logged).toEqual(['router: v2 answered 5 times in a row with a failure; it gets no weighted traffic for 10s (the version header still reaches it)']);
    expect(await answers(url, 50)).toEqual({ from: { stable: 50 }, failed: 0 });
    const viaHeader = await send(`${url}/`, { headers: { 'x-shipgate-version': 'v2' } });
    expect([viaHeader.status, viaHeader.headers['x-instance']]).toEqual([500, 'canary']);

    // Back after ejectMs: one more failure ejects it again at once (its streak was never broken).
    await clock.advance(10_000);
    expect(router.stats('v2', 60_000).ejected).toBe(false);
    const again = await answers(url, 10);
    expect(again.from.canary).toBe(1);
    expect(router.stats('v2', 60_000).ejected).toBe(true);

    // Healthy again: readmitted after ejectMs, and one good answer breaks the streak for good.
    canary.status = 200;
    await clock.advance(10_000);
    const healed = await answers(url, 50);
    expect(healed).toEqual({ from: { stable: 40, canary: 10 }, failed: 0 });
    expect(router.stats('v2', 60_000).ejected).toBe(false);
  });

  it('never ejects the majority version, whatever it answers', async () => {
    const { router, url, stable } = await setup({ v1: 80, v2: 20 });
    stable.status = 503;
    const result = await answers(url, 50);
    expect(result).toEqual({ from: { stable: 40, canary: 10 }, failed: 40 });
    expect(router.stats('v1', 60_000).ejected).toBe(false);
  });

  it('counts connection failures too, and a success in between resets the count', async () => {
    const { router, url, canary } = await setup({ v1: 50, v2: 10 }, { retry: false });
    canary.status = 500;
    await answers(url, 24); // 4 canary failures (1 in 6)
    expect(router.stats('v2', 60_000).ejected).toBe(false);
    canary.status = 200;
    await answers(url, 6); // 1 good answer
    canary.status = 500;
    await answers(url, 24);
    expect(router.stats('v2', 60_000)).toMatchObject({ errors5xx: 8, ejected: false });
    await canary.close(); // now refused: connection errors
    await answers(url, 6);
    expect(router.stats('v2', 60_000)).toMatchObject({ connErrors: 1, ejected: true });
  });

  it('ejectAfter: false turns it off; setOptions applies a new threshold', async () => {
    const { router, url, canary } = await setup({ v1: 80, v2: 20 }, { ejectAfter: false });
    canary.status = 500;
    expect((await answers(url, 50)).failed).toBe(10);
    expect(router.stats('v2', 60_000).ejected).toBe(false);
    router.setOptions({ stickyCookie: false, versionHeader: true, bodyLimit: 1024, retry: true, ejectAfter: 2 });
    await answers(url, 5);
    expect(router.stats('v2', 60_000).ejected).toBe(true);
  });
});
