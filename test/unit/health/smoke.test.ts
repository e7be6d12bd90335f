import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SmokeTestSchema, type SmokeTest } from '../../../src/config/schema/index.js';
import { judgeSmokeResponse, runSmokeTest, SMOKE_RETRY_DELAY_MS } from '../../../src/health/smoke.js';
import { FakeClock } from '../../../src/runtime/clock.js';
import { fetchHttp } from '../../../src/runtime/http.js';
import { drive } from '../gates/helpers.js';

const smoke = (t: Record<string, unknown>): SmokeTest => SmokeTestSchema.parse({ name: 'api', url: 'http://127.0.0.1:1/api', ...t });
const judge = (t: Record<string, unknown>, status: number, body: unknown): string | null =>
  judgeSmokeResponse(smoke(t), { status, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('judgeSmokeResponse', () => {
  it('checks the status against expect (default [200])', () => {
    expect(judge({}, 200, '')).toBeNull();
    expect(judge({}, 201, '')).toBe('HTTP 201, expected 200');
    expect(judge({ expect: [200, 204] }, 500, '')).toBe('HTTP 500, expected 200 or 204');
    expect(judge({ expect: [200, 204] }, 204, '')).toBeNull();
  });

  it('checks that the body contains a text', () => {
    expect(judge({ contains: 'welcome' }, 200, '<h1>welcome home</h1>')).toBeNull();
    expect(judge({ contains: 'welcome' }, 200, '<h1>error</h1>')).toBe('body does not contain "welcome"');
  });

  it('checks the status before the body', () => {
    expect(judge({ contains: 'welcome' }, 503, 'nope')).toBe('HTTP 503, expected 200');
  });

  it('json: a subset match, nested objects included, extra fields ignored', () => {
    const body = { status: 'ok', version: 'v1.2.3', db: { up: true, latencyMs: 3, pool: { size: 10 } }, extra: [1, 2] };
    expect(judge({ json: { status: 'ok' } }, 200, body)).toBeNull();
    expect(judge({ json: { status: 'ok', db: { up: true, pool: { size: 10 } } } }, 200, body)).toBeNull();
    expect(judge({ json: { extra: [1, 2] } }, 200, body)).toBeNull();
  });

  it('json: names the first field that differs, with its path', () => {
    const body = { status: 'degraded', db: { up: false }, tags: ['a', 'b'], n: 1 };
    expect(judge({ json: { status: 'ok' } }, 200, body)).toBe('body.status is "degraded", expected "ok"');
    expect(judge({ json: { db: { up: true } } }, 200, body)).toBe('body.db.up is false, expected true');
    expect(judge({ json: { version: 'v1' } }, 200, body)).toBe('body.version is missing, expected "v1"');
    expect(judge({ json: { status: { code: 1 } } }, 200, body)).toBe('body.status is not an object');
    expect(judge({ json: { tags: ['a'] } }, 200, body)).toBe('body.tags is ["a","b"], expected ["a"]');
    expect(judge({ json: { n: '1' } }, 200, body)).toBe('body.n is 1, expected "1"');
    expect(judge({ json: { gone: null } }, 200, body)).toBe('body.gone is missing, expected null');
  });

  it('json: a body that is not JSON, or not an object', () => {
    expect(judge({ json: { status: 'ok' } }, 200, '<html>')).toBe('body is not JSON');
    expect(judge({ json: { status: 'ok' } }, 200, [{ status: 'ok' }])).toBe('body is not an object');
    expect(judge({ json: { status: 'ok' } }, 200, 'null')).toBe('body is not an object');
  });

  // SRC BUG (src/health/smoke.ts firstMismatch): values that are not plain objects are compared with
  // JSON.stringify, which depends on key order. An object inside an array whose keys come in
  // another order than in the config is reported as a mismatch, with a message showing two equal
  // values. JSON key order carries no meaning: compare structurally (e.g. util.isDeepStrictEqual).
  it('json: objects inside arrays match whatever their key order', () => {
    expect(judge({ json: { items: [{ id: 1, ok: true }] } }, 200, '{"items":[{"ok":true,"id":1}]}')).toBeNull();
  });
});

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

describe('runSmokeTest', () => {
  let server: Server;
  let base: string;
  let seen: Seen[];
  let answers: { status: number; body: string }[];
  let clock: FakeClock;

  beforeEach(async () => {
    seen = [];
    answers = [];
    clock = new FakeClock('2026-11-23T17:00:00Z');
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        const a = answers.shift() ?? { status: 200, body: '{"status":"ok"}' };
        res.writeHead(a.status, { 'content-type': 'application/json' });
        res.end(a.body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('passes on the first good answer and sends method, headers and body as configured', async () => {
    const test = smoke({ url: `${base}/api/orders?dry=1`, method: 'POST', headers: { 'x-smoke': 'yes' }, body: '{"sku":"A1"}', json: { status: 'ok' } });
    const r = await runSmokeTest(test, { http: fetchHttp, clock });
    expect(r).toEqual({ name: 'api', passed: true, status: 200, ms: expect.any(Number), attempts: 1, reason: 'HTTP 200' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/orders?dry=1', body: '{"sku":"A1"}' });
    expect(seen[0]!.headers['x-smoke']).toBe('yes');
  });

  it('retries 1 s apart on the clock until it passes', async () => {
    answers.push({ status: 500, body: '{}' }, { status: 200, body: '{"status":"starting"}' }, { status: 200, body: '{"status":"ok"}' });
    const { value, elapsedMs } = await drive(runSmokeTest(smoke({ url: `${base}/api`, retries: 5, json: { status: 'ok' } }), { http: fetchHttp, clock }), clock, SMOKE_RETRY_DELAY_MS);
    expect(value).toMatchObject({ passed: true, attempts: 3, status: 200 });
    expect(elapsedMs).toBe(2 * SMOKE_RETRY_DELAY_MS);
    expect(seen).toHaveLength(3);
  });

  it('gives up after retries + 1 attempts with the last reason', async () => {
    answers.push({ status: 500, body: '' }, { status: 502, body: '' }, { status: 503, body: '' });
    const { value, elapsedMs } = await drive(runSmokeTest(smoke({ url: `${base}/api`, retries: 2 }), { http: fetchHttp, clock }), clock, SMOKE_RETRY_DELAY_MS);
    expect(value).toEqual({ name: 'api', passed: false, status: 503, ms: expect.any(Number), attempts: 3, reason: 'HTTP 503, expected 200' });
    expect(elapsedMs).toBe(2000);
  });

  it('reports a network error by URL (without credentials) and keeps going', async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const r = await runSmokeTest(smoke({ url: `http://user:secret@127.0.0.1:${port}/api?token=x` }), { http: fetchHttp, clock });
    expect(r).toEqual({ name: 'api', passed: false, status: null, ms: null, attempts: 1, reason: `http://127.0.0.1:${port}/api: ECONNREFUSED` });
  });
});
