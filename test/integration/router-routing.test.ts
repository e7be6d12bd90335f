/** The router's choice of version and instance, against real upstream servers. */
import { afterEach, describe, expect, it } from 'vitest';
import type { Backend, RoutingTable } from '../../src/agent/contract.js';
import { createRouter, type CreateRouterOptions, type Router } from '../../src/agent/router/index.js';
import { backendOf, listenLocal, send, startUpstream, type Upstream } from '../support/upstream.js';

const DEFAULTS: CreateRouterOptions = { stickyCookie: false, versionHeader: true, bodyLimit: 1024 * 1024, retry: true };
let cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const fn of cleanups.reverse()) await fn();
  cleanups = [];
});

async function upstreams(...ids: string[]): Promise<Upstream[]> {
  const list = await Promise.all(ids.map((id) => startUpstream({ id })));
  cleanups.push(() => Promise.all(list.map((u) => u.close())).then(() => undefined));
  return list;
}

async function router(table: RoutingTable, opts: Partial<CreateRouterOptions> = {}): Promise<{ router: Router; url: string }> {
  const r = createRouter({ ...DEFAULTS, ...opts });
  r.setTable(table);
  const url = await listenLocal(r.server);
  cleanups.push(() => r.close());
  return { router: r, url };
}

/** Sends `n` requests one after the other; counts answers per instance. */
async function tally(url: string, n: number, headers: Record<string, string> = {}): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const res = await send(`${url}/`, { headers });
    expect(res.status).toBe(200);
    const id = String(res.headers['x-instance']);
    seen[id] = (seen[id] ?? 0) + 1;
  }
  return seen;
}

describe('router: weights', () => {
  it.each([
    [95, 5],
    [50, 50],
    [0, 100],
  ])('splits exactly %i/%i over 100 requests', async (w1, w2) => {
    const [a, b] = await upstreams('a', 'b');
    const { url } = await router({ weights: { v1: w1, v2: w2 }, backends: [backendOf(a!, 'v1'), backendOf(b!, 'v2')] });
    const seen = await tally(url, 100);
    expect({ a: seen.a ?? 0, b: seen.b ?? 0 }).toEqual({ a: w1, b: w2 });
  });

  it('applies a new table atomically: the next request follows it, one in flight keeps its instance', async () => {
    const [a, b] = await upstreams('a', 'b');
    const backends = [backendOf(a!, 'v1'), backendOf(b!, 'v2')];
    const { router: r, url } = await router({ weights: { v1: 100, v2: 0 }, backends });
    expect(await tally(url, 10)).toEqual({ a: 10 });
    const held = send(`${url}/hold`);
    await a!.arrival('/hold');
    r.setTable({ weights: { v1: 0, v2: 100 }, backends });
    expect(await tally(url, 10)).toEqual({ b: 10 });
    a!.release();
    expect((await held).headers['x-instance']).toBe('a');
    r.setTable({ weights: { v1: 95, v2: 5 }, backends });
    expect(await tally(url, 100)).toEqual({ a: 95, b: 5 });
    expect(r.table().weights).toEqual({ v1: 95, v2: 5 });
  });

  it('balances the instances of a version, preferring the one with fewer requests in flight', async () => {
    const [a1, a2] = await upstreams('a1', 'a2');
    const { url } = await router({ weights: { v1: 100 }, backends: [backendOf(a1!, 'v1'), backendOf(a2!, 'v1')] });
    expect(await tally(url, 10)).toEqual({ a1: 5, a2: 5 });
    const held = send(`${url}/hold`);
    const busy = await Promise.race([a1!.arrival('/hold').then(() => a1!), a2!.arrival('/hold').then(() => a2!)]);
    const free = busy === a1 ? 'a2' : 'a1';
    expect(await tally(url, 6)).toEqual({ [free]: 6 });
    busy.release();
    await held;
  });
});

describe('router: X-Shipgate-Version', () => {
  it('reaches a version at weight 0', async () => {
    const [a, b] = await upstreams('a', 'b');
    const { url } = await router({ weights: { v1: 100, v2: 0 }, backends: [backendOf(a!, 'v1'), backendOf(b!, 'v2')] });
    expect(await tally(url, 5, { 'X-Shipgate-Version': 'v2' })).toEqual({ b: 5 });
    expect(await tally(url, 5)).toEqual({ a: 5 });
  });

  it('answers 503 naming the version when it has no ready instance', async () => {
    const [a, b] = await upstreams('a', 'b');
    const { url } = await router({ weights: { v1: 100 }, backends: [backendOf(a!, 'v1'), backendOf(b!, 'v2', { ready: false })] });
    const res = await send(`${url}/`, { headers: { 'x-shipgate-version': 'v2' } });
    expect(res.status).toBe(503);
    expect(res.body).toBe('503 no ready instance of v2 (0 of 1 ready)\n');
    expect(res.headers['x-shipgate-error']).toBe('no-ready-instance');
    const unknown = await send(`${url}/`, { headers: { 'x-shipgate-version': 'v9' } });
    expect(unknown.body).toBe('503 no ready instance of v9 (unknown version)\n');
    expect(b!.received).toHaveLength(0);
  });
});

describe('router: sticky cookie', () => {
  it('sets the cookie, honours it, and re-picks when its version goes to weight 0', async () => {
    const [a, b] = await upstreams('a', 'b');
    const backends = [backendOf(a!, 'v1'), backendOf(b!, 'v2')];
    const { router: r, url } = await router({ weights: { v1: 50, v2: 50 }, backends }, { stickyCookie: 'sg' });
    const first = await send(`${url}/`);
    const version = first.headers['x-instance'] === 'a' ? 'v1' : 'v2';
    expect(first.headers['set-cookie']).toEqual([`sg=${version}; Path=/; HttpOnly; SameSite=Lax`]);
    for (let i = 0; i < 6; i++) {
      const again = await send(`${url}/`, { headers: { cookie: `theme=dark; sg=${version}` } });
      expect(again.headers['x-instance']).toBe(first.headers['x-instance']);
      expect(again.headers['set-cookie']).toBeUndefined();
    }
    const other = version === 'v1' ? 'v2' : 'v1';
    r.setTable({ weights: { [version]: 0, [other]: 100 }, backends });
    const moved = await send(`${url}/`, { headers: { cookie: `sg=${version}` } });
    expect(moved.headers['x-instance']).toBe(other === 'v1' ? 'a' : 'b');
    expect(moved.headers['set-cookie']).toEqual([`sg=${other}; Path=/; HttpOnly; SameSite=Lax`]);
  });
});

describe('router: availability', () => {
  it('never sends new requests to instances that are not ready or draining', async () => {
    const [ok, starting, draining] = await upstreams('ok', 'starting', 'draining');
    const backends: Backend[] = [backendOf(ok!, 'v1'), backendOf(starting!, 'v1', { ready: false }), backendOf(draining!, 'v1', { draining: true })];
    const { router: r, url } = await router({ weights: { v1: 100 }, backends });
    expect(await tally(url, 20)).toEqual({ ok: 20 });
    r.setTable({ weights: { v1: 100 }, backends: [backendOf(ok!, 'v1', { draining: true }), backendOf(starting!, 'v1'), backendOf(draining!, 'v1', { draining: true })] });
    expect(await tally(url, 20)).toEqual({ starting: 20 });
    expect(draining!.received).toHaveLength(0);
  });

  it('answers 503 with the readiness of every weighted version when nothing is ready', async () => {
    const [a1, a2, b1] = await upstreams('a1', 'a2', 'b1');
    const { url } = await router({
      weights: { 'v1.2.0': 90, 'v1.3.0': 10 },
      backends: [backendOf(a1!, 'v1.2.0', { ready: false }), backendOf(a2!, 'v1.2.0', { draining: true }), backendOf(b1!, 'v1.3.0', { ready: false })],
    });
    const res = await send(`${url}/`);
    expect(res.status).toBe(503);
    expect(res.body).toBe('503 no ready instance of any version (v1.2.0: 0 of 2 ready, v1.3.0: 0 of 1 ready)\n');
    expect(res.headers['x-shipgate-error']).toBe('no-ready-instance');
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('sends the traffic of a version without ready instances to the other weighted versions', async () => {
    const [a, b] = await upstreams('a', 'b');
    const { url } = await router({ weights: { v1: 90, v2: 10 }, backends: [backendOf(a!, 'v1', { ready: false }), backendOf(b!, 'v2')] });
    expect(await tally(url, 10)).toEqual({ b: 10 });
  });
});
