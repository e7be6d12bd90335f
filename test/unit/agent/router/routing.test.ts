import { describe, expect, it } from 'vitest';
import { BackendState } from '../../../../src/agent/router/backend.js';
import { chooseVersion, whyNoRoute, type ChooseInput } from '../../../../src/agent/router/choose.js';
import { Metrics } from '../../../../src/agent/router/metrics.js';
import { pickBackend, Routing } from '../../../../src/agent/router/routing.js';
import type { Backend } from '../../../../src/agent/contract.js';

const metrics = new Metrics();
const ringOf = (v: string) => metrics.ring(v);

function backend(id: string, version: string, extra: Partial<Backend> = {}): BackendState {
  return new BackendState({ id, version, host: '127.0.0.1', port: 1000 + Number(id.replace(/\D/g, '') || 0), ready: true, draining: false, ...extra });
}

function input(extra: Partial<ChooseInput> = {}): ChooseInput {
  return { version: '', cookie: '', setCookie: '', ...extra };
}

const NO_STICKY = { stickyCookie: false as const, versionHeader: true };

describe('pickBackend', () => {
  it('goes round-robin among available backends', () => {
    const routing = new Routing({ v1: 100 }, [backend('a1', 'v1'), backend('a2', 'v1'), backend('a3', 'v1')], ringOf);
    const route = routing.versions.get('v1')!;
    expect(Array.from({ length: 6 }, () => pickBackend(route, null)!.id)).toEqual(['a1', 'a2', 'a3', 'a1', 'a2', 'a3']);
  });

  it('prefers the backend with fewer requests in flight', () => {
    const [a1, a2] = [backend('a1', 'v1'), backend('a2', 'v1')];
    const route = new Routing({ v1: 100 }, [a1, a2], ringOf).versions.get('v1')!;
    a1.inFlight = 3;
    expect([pickBackend(route, null)!.id, pickBackend(route, null)!.id]).toEqual(['a2', 'a2']);
  });

  it('never picks not-ready, draining or retired backends, nor the excluded one', () => {
    const retired = backend('a4', 'v1');
    retired.retired = true;
    const ok = backend('a1', 'v1');
    const route = new Routing({ v1: 100 }, [ok, backend('a2', 'v1', { ready: false }), backend('a3', 'v1', { draining: true }), retired], ringOf).versions.get('v1')!;
    expect(route.available.map((b) => b.id)).toEqual(['a1']);
    expect(new Set(Array.from({ length: 5 }, () => pickBackend(route, null)!.id))).toEqual(new Set(['a1']));
    expect(pickBackend(route, ok)).toBeNull();
  });
});

describe('Routing', () => {
  it('weighs only versions with a weight and an available backend', () => {
    const routing = new Routing({ v1: 50, v2: 50, v3: 0 }, [backend('a1', 'v1'), backend('b1', 'v2', { ready: false }), backend('c1', 'v3')], ringOf);
    expect(Array.from({ length: 4 }, () => routing.byWeight()!.version)).toEqual(['v1', 'v1', 'v1', 'v1']);
    expect(routing.readiness()).toEqual([
      { version: 'v1', ready: 1, total: 1 },
      { version: 'v2', ready: 0, total: 1 },
    ]);
  });

  it('keeps its place in the weighted cycle across a rebuild with the same weights', () => {
    const backends = [backend('a1', 'v1'), backend('b1', 'v2')];
    const before = new Routing({ v1: 75, v2: 25 }, backends, ringOf);
    const picks = [before.byWeight()!.version, before.byWeight()!.version];
    const after = new Routing({ v1: 75, v2: 25 }, [...backends, backend('a2', 'v1')], ringOf, before);
    picks.push(...Array.from({ length: 6 }, () => after.byWeight()!.version));
    expect(picks.filter((v) => v === 'v2')).toHaveLength(2);
    expect(after.versions.get('v1')!.available).toHaveLength(2);
  });
});

describe('chooseVersion', () => {
  const routing = (): Routing => new Routing({ v1: 100, v2: 0 }, [backend('a1', 'v1'), backend('b1', 'v2'), backend('c1', 'v3', { ready: false })], ringOf);

  it('follows X-Shipgate-Version at weight 0, and refuses versions without a ready instance', () => {
    const r = routing();
    expect(chooseVersion(r, input({ version: 'v2' }), NO_STICKY)!.version).toBe('v2');
    expect(chooseVersion(r, input({ version: 'v3' }), NO_STICKY)).toBeNull();
    expect(whyNoRoute(r, input({ version: 'v3' }), NO_STICKY).message).toBe('no ready instance of v3 (0 of 1 ready)');
    expect(whyNoRoute(r, input({ version: 'v9' }), NO_STICKY).message).toBe('no ready instance of v9 (unknown version)');
  });

  it('ignores the header when the option is off', () => {
    expect(chooseVersion(routing(), input({ version: 'v2' }), { stickyCookie: false, versionHeader: false })!.version).toBe('v1');
  });

  it('honours a sticky cookie while its version has a weight, and re-picks (setting the cookie) otherwise', () => {
    const r = new Routing({ v1: 50, v2: 50 }, [backend('a1', 'v1'), backend('b1', 'v2')], ringOf);
    const opts = { stickyCookie: 'sg', versionHeader: true };
    const pinned = input({ cookie: 'x=1; sg=v2' });
    expect(Array.from({ length: 4 }, () => chooseVersion(r, pinned, opts)!.version)).toEqual(['v2', 'v2', 'v2', 'v2']);
    expect(pinned.setCookie).toBe('');
    const fresh = input();
    expect(chooseVersion(r, fresh, opts)!.version).toBe(fresh.setCookie);
    const gone = new Routing({ v1: 100, v2: 0 }, [backend('a1', 'v1'), backend('b1', 'v2')], ringOf);
    const stale = input({ cookie: 'sg=v2' });
    expect(chooseVersion(gone, stale, opts)!.version).toBe('v1');
    expect(stale.setCookie).toBe('v1');
  });

  it('says which versions have no ready instance when nothing can serve', () => {
    const r = new Routing({ 'v1.2.0': 100 }, [backend('a1', 'v1.2.0', { ready: false }), backend('a2', 'v1.2.0', { draining: true })], ringOf);
    expect(chooseVersion(r, input(), NO_STICKY)).toBeNull();
    expect(whyNoRoute(r, input(), NO_STICKY)).toEqual({ status: 503, code: 'no-ready-instance', message: 'no ready instance of any version (v1.2.0: 0 of 2 ready)' });
    expect(whyNoRoute(new Routing({}, [], ringOf), input(), NO_STICKY).message).toBe('no ready instance of any version (no version has traffic)');
  });
});
