/** Draining instances: in-flight requests finish, nothing new arrives, the keep-alive pool closes. */
import { afterEach, describe, expect, it } from 'vitest';
import type { RoutingTable } from '../../src/agent/contract.js';
import { createRouter, type Router } from '../../src/agent/router/index.js';
import { backendOf, listenLocal, send, startUpstream, type Upstream } from '../support/upstream.js';

let cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const fn of cleanups.reverse()) await fn();
  cleanups = [];
});

async function setup(): Promise<{ router: Router; url: string; a: Upstream; b: Upstream; table: RoutingTable }> {
  const [a, b] = await Promise.all([startUpstream({ id: 'a' }), startUpstream({ id: 'b' })]);
  const router = createRouter({ stickyCookie: false, versionHeader: true, bodyLimit: 1024, retry: true });
  const table = { weights: { v1: 100 }, backends: [backendOf(a, 'v1')] };
  router.setTable(table);
  const url = await listenLocal(router.server);
  cleanups.push(() => Promise.all([a.close(), b.close()]).then(() => undefined), () => router.close());
  return { router, url, a, b, table };
}

/** Tracks settlement without awaiting. */
function watch(p: Promise<unknown>): { settled: () => boolean } {
  let settled = false;
  void p.then(() => (settled = true));
  return { settled: () => settled };
}

describe('router: drain', () => {
  it('waits for a slow in-flight request, sends nothing new, then closes the pool', async () => {
    const { router, url, a, b } = await setup();
    expect((await send(`${url}/`)).headers['x-instance']).toBe('a'); // a keep-alive socket to a stays open
    const held = send(`${url}/hold`);
    await a.arrival('/hold');
    expect(router.inFlight('a')).toBe(1);
    router.setTable({ weights: { v1: 100 }, backends: [backendOf(a, 'v1'), backendOf(b, 'v1')] });
    const drained = router.drain('a', 30_000);
    const state = watch(drained);
    for (let i = 0; i < 5; i++) expect((await send(`${url}/`)).headers['x-instance']).toBe('b');
    expect(state.settled()).toBe(false);
    expect(router.table().backends.find((x) => x.id === 'a')?.draining).toBe(true);
    a.release();
    expect((await held).status).toBe(200);
    await drained;
    expect(router.inFlight('a')).toBe(0);
    await a.idle(); // the pool closed its keep-alive sockets
    expect(a.received.map((r) => r.url)).toEqual(['/', '/hold']);
  });

  it('resolves after the timeout when a request is still in flight', async () => {
    const { router, url, a } = await setup();
    const held = send(`${url}/hold`);
    await a.arrival('/hold');
    await router.drain('a', 50);
    expect(router.inFlight('a')).toBe(1);
    a.release();
    expect((await held).status).toBe(200);
    expect(router.inFlight('a')).toBe(0);
  });

  it('stays drained when a stale table lists the instance as ready again', async () => {
    const { router, url, a, b } = await setup();
    const table = { weights: { v1: 100 }, backends: [backendOf(a, 'v1'), backendOf(b, 'v1')] };
    router.setTable(table);
    await router.drain('a', 1000);
    router.setTable(table);
    for (let i = 0; i < 4; i++) expect((await send(`${url}/`)).headers['x-instance']).toBe('b');
  });

  it('drains an instance removed from the table: its request finishes, its sockets close', async () => {
    const { router, url, a, b } = await setup();
    await send(`${url}/`);
    const held = send(`${url}/hold`);
    await a.arrival('/hold');
    router.setTable({ weights: { v1: 100 }, backends: [backendOf(b, 'v1')] });
    expect(router.inFlight('a')).toBe(1);
    expect((await send(`${url}/`)).headers['x-instance']).toBe('b');
    a.release();
    const res = await held;
    expect([res.status, res.headers['x-instance']]).toEqual([200, 'a']);
    expect(router.inFlight('a')).toBe(0);
    await a.idle();
    await router.drain('a', 1000); // unknown by now: resolves at once
  });

  it('drains instances the table marks draining', async () => {
    const { router, url, a, b } = await setup();
    await send(`${url}/`);
    expect(a.connections.size).toBe(1);
    router.setTable({ weights: { v1: 100 }, backends: [backendOf(a, 'v1', { draining: true }), backendOf(b, 'v1')] });
    await a.idle();
    expect((await send(`${url}/`)).headers['x-instance']).toBe('b');
  });
});
