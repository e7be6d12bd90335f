import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HealthTargetSchema, type HealthTarget } from '../../../src/config/schema/index.js';
import { isHealthyStatus, probeOnce, probeTarget } from '../../../src/health/probe.js';
import { Cancelled } from '../../../src/errors.js';
import { FakeClock } from '../../../src/runtime/clock.js';
import { fetchHttp } from '../../../src/runtime/http.js';
import { startTarget, type Target } from '../../support/http-target.js';
import { drive, track, untilParkedOrSettled } from '../gates/helpers.js';

let server: Target;
let clock: FakeClock;

beforeEach(async () => {
  server = await startTarget({});
  clock = new FakeClock('2026-11-23T17:00:00Z');
});

afterEach(async () => {
  await server.close();
});

const target = (t: Record<string, unknown>): HealthTarget => HealthTargetSchema.parse({ interval: '10s', timeout: '2s', retries: 0, ...t });
const deps = () => ({ http: fetchHttp, clock });

/** A port nothing listens on: a server that was just closed. */
async function closedUrl(): Promise<string> {
  const s = await startTarget({});
  await s.close();
  return s.url;
}

describe('isHealthyStatus', () => {
  it('defaults to any 2xx or 3xx; an expect list replaces that', () => {
    expect([200, 204, 301, 399].every((s) => isHealthyStatus(s))).toBe(true);
    expect([199, 400, 404, 500].some((s) => isHealthyStatus(s))).toBe(false);
    expect(isHealthyStatus(200, [204])).toBe(false);
    expect(isHealthyStatus(418, [418])).toBe(true);
  });
});

describe('probeTarget', () => {
  it('is healthy on the first 200', async () => {
    server.status.set('/health', 200);
    const r = await probeTarget(target({ url: `${server.url}/health` }), deps());
    expect(r).toMatchObject({ healthy: true, url: `${server.url}/health`, status: 200, attempts: 1, reason: 'HTTP 200' });
    expect(r.ms).toBeGreaterThanOrEqual(0);
    expect(server.hits).toEqual(['/health']);
  });

  it('falls back to fallbackUrl when url is unhealthy', async () => {
    server.status.set('/', 200);
    const r = await probeTarget(target({ url: `${server.url}/health`, fallbackUrl: `${server.url}/` }), deps());
    expect(r).toMatchObject({ healthy: true, url: `${server.url}/`, status: 200, attempts: 1 });
    expect(server.hits).toEqual(['/health', '/']);
  });

  it('accepts a redirect by default (2xx/3xx) and only the listed statuses with expect', async () => {
    server.status.set('/moved', 302);
    expect((await probeTarget(target({ url: `${server.url}/moved` }), deps())).healthy).toBe(true);
    server.status.set('/ok', 200);
    const strict = await probeTarget(target({ url: `${server.url}/ok`, expect: [204] }), deps());
    expect(strict).toMatchObject({ healthy: false, status: 200, reason: `unhealthy after 1 attempt(s): HTTP 200 from ${server.url}/ok` });
    server.status.set('/teapot', 418);
    expect((await probeTarget(target({ url: `${server.url}/teapot`, expect: [418] }), deps())).healthy).toBe(true);
  });

  it('retries `retries` more rounds, `interval` apart on the clock, until healthy', async () => {
    let calls = 0;
    server.handler = (path) => (path === '/health' ? (++calls < 3 ? 503 : 200) : undefined);
    const { value, elapsedMs } = await drive(probeTarget(target({ url: `${server.url}/health`, retries: 5 }), deps()), clock, 10_000);
    expect(value).toMatchObject({ healthy: true, status: 200, attempts: 3 });
    expect(elapsedMs).toBe(20_000);
    expect(server.hits).toHaveLength(3);
  });

  it('tries url and fallbackUrl in each round and reports the last failure', async () => {
    server.status.set('/health', 503);
    server.status.set('/', 500);
    const { value, elapsedMs } = await drive(probeTarget(target({ url: `${server.url}/health`, fallbackUrl: `${server.url}/`, retries: 2 }), deps()), clock, 10_000);
    expect(value).toEqual({ healthy: false, url: `${server.url}/`, status: 500, attempts: 3, reason: `unhealthy after 3 attempt(s): HTTP 500 from ${server.url}/`, ms: expect.any(Number) });
    expect(server.hits).toEqual(['/health', '/', '/health', '/', '/health', '/']);
    expect(elapsedMs).toBe(20_000);
  });

  it('reports a refused connection without throwing', async () => {
    const url = `${await closedUrl()}/health`;
    const r = await probeTarget(target({ url }), deps());
    expect(r).toMatchObject({ healthy: false, url, status: null, attempts: 1, ms: null });
    expect(r.reason).toBe(`unhealthy after 1 attempt(s): ${url}: ECONNREFUSED`);
  });

  it('sends URL credentials as basic auth and keeps them out of the reason', async () => {
    server.status.set('/health', 500);
    const u = new URL(`${server.url}/health`);
    u.username = 'ops';
    u.password = 'pa@ss';
    const r = await probeTarget(target({ url: u.toString() }), deps());
    expect(server.auth).toEqual([`Basic ${Buffer.from('ops:pa@ss').toString('base64')}`]);
    expect(r.reason).toBe(`unhealthy after 1 attempt(s): HTTP 500 from ${server.url}/health`);
  });

  it('stops waiting between rounds when the signal aborts', async () => {
    server.status.set('/health', 503);
    const ac = new AbortController();
    const run = track(probeTarget(target({ url: `${server.url}/health`, retries: 3 }), { http: fetchHttp, clock, signal: ac.signal }));
    await untilParkedOrSettled(clock, run.settled);
    ac.abort(new Cancelled('cancelled by SIGINT'));
    await expect(run.promise).rejects.toThrow('cancelled by SIGINT');
    expect(server.hits).toHaveLength(1);
  });
});

describe('probeOnce', () => {
  it('rethrows an aborted request instead of calling it unhealthy', async () => {
    server.status.set('/health', 200);
    const ac = new AbortController();
    ac.abort();
    await expect(probeOnce(`${server.url}/health`, 1000, undefined, { http: fetchHttp, clock, signal: ac.signal })).rejects.toThrow('request aborted');
  });
});
