/** Per-version figures over sliding windows, driven by a FakeClock. */
import { afterEach, describe, expect, it } from 'vitest';
import { createRouter } from '../../src/agent/router/index.js';
import { FakeClock } from '../../src/runtime/clock.js';
import { backendOf, listenLocal, refusedPort, send, startUpstream } from '../support/upstream.js';

const T0 = Date.parse('2026-11-23T17:00:00.000Z');
let cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const fn of cleanups.reverse()) await fn();
  cleanups = [];
});

describe('router: metrics', () => {
  it('counts requests, 5xx and connection errors per version, with latency percentiles, over a window', async () => {
    const clock = new FakeClock(T0);
    const [fast, slow] = await Promise.all([startUpstream({ id: 'fast' }), startUpstream({ id: 'slow', latencyMs: 60 })]);
    const dead = await refusedPort();
    const router = createRouter({ stickyCookie: false, versionHeader: true, bodyLimit: 1024, retry: false, clock });
    router.setTable({
      weights: { v1: 100, v2: 0, v3: 0 },
      backends: [backendOf(fast, 'v1'), backendOf(slow, 'v2'), { id: 'd', version: 'v3', host: '127.0.0.1', port: dead, ready: true, draining: false }],
    });
    const url = await listenLocal(router.server);
    cleanups.push(() => fast.close(), () => slow.close(), () => router.close());

    for (let i = 0; i < 18; i++) await send(`${url}/`);
    fast.status = 500;
    for (let i = 0; i < 2; i++) await send(`${url}/`);
    for (let i = 0; i < 3; i++) await send(`${url}/`, { headers: { 'x-shipgate-version': 'v2' } });
    expect((await send(`${url}/`, { headers: { 'x-shipgate-version': 'v3' } })).status).toBe(502);

    const v1 = router.stats('v1', 60_000);
    expect(v1).toMatchObject({ version: 'v1', windowMs: 60_000, requests: 20, errors5xx: 2, connErrors: 0, errorRate: 0.1 });
    const v2 = router.stats('v2', 60_000);
    expect(v1.p50).toBeGreaterThan(0);
    expect(v1.p50!).toBeLessThan(v2.p50!);
    expect(v2).toMatchObject({ requests: 3, errors5xx: 0, connErrors: 0, errorRate: 0 });
    for (const p of [v2.p50, v2.p95, v2.p99]) expect(p).toBeGreaterThanOrEqual(57); // 60 ms in a log bin: within 5%
    expect(router.stats('v3', 60_000)).toMatchObject({ requests: 1, connErrors: 1, errorRate: 1, p50: null, p95: null, p99: null });
    expect(router.stats('v4', 60_000)).toMatchObject({ requests: 0, errorRate: 0, p50: null });
  });

  it('moves old buckets out of the window as the clock advances', async () => {
    const clock = new FakeClock(T0);
    const up = await startUpstream({ id: 'a' });
    const router = createRouter({ stickyCookie: false, versionHeader: true, bodyLimit: 1024, retry: true, clock });
    router.setTable({ weights: { v1: 100 }, backends: [backendOf(up, 'v1')] });
    const url = await listenLocal(router.server);
    cleanups.push(() => up.close(), () => router.close());

    up.status = 500;
    for (let i = 0; i < 4; i++) await send(`${url}/`);
    await clock.advance(30_000);
    up.status = 200;
    for (let i = 0; i < 6; i++) await send(`${url}/`);
    expect(router.stats('v1', 60_000)).toMatchObject({ requests: 10, errors5xx: 4, errorRate: 0.4 });
    expect(router.stats('v1', 10_000)).toMatchObject({ requests: 6, errors5xx: 0, errorRate: 0 });
    await clock.advance(45_000);
    expect(router.stats('v1', 60_000)).toMatchObject({ requests: 6, errors5xx: 0 });
    await clock.advance(5 * 60_000);
    expect(router.stats('v1', 60_000)).toMatchObject({ requests: 0, p50: null });
    expect(router.stats('v1', 60 * 60_000).windowMs).toBe(5 * 60_000);
  });
});
