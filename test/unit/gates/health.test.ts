import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HealthTarget } from '../../../src/config/schema/index.js';
import type { Duration } from '../../../src/config/duration.js';
import { createHealthGate } from '../../../src/gates/health.js';
import { fetchHttp } from '../../../src/runtime/http.js';
import { drive, makeContext } from './helpers.js';

/** A real local HTTP server whose status per path the tests set. */
let server: Server;
let base = '';
let statuses: Record<string, number[]> = {};
let hits: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.push(path);
    const queue = statuses[path] ?? [404];
    const status = queue.length > 1 ? queue.shift()! : queue[0]!;
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(String(status));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  statuses = {};
  hits = [];
});

const target = (over: Partial<HealthTarget> = {}): HealthTarget => ({
  url: `${base}/health`,
  fallbackUrl: `${base}/`,
  interval: '10s' as Duration,
  timeout: '5s' as Duration,
  retries: 2,
  ...over,
});

describe('health gate', () => {
  it('passes through the fallback when /health fails and / answers 200', async () => {
    statuses = { '/health': [500], '/': [200] };
    const ctx = makeContext({ http: fetchHttp });
    const r = await createHealthGate([target()]).evaluate(ctx);
    expect(r.result).toBe('pass');
    expect(r.reason).toBe(`healthy: ${base}/health (via ${base}/: HTTP 200)`);
    expect(hits).toEqual(['/health', '/']);
    expect(ctx.clock.now()).toBe(makeContext().clock.now());
  });

  it('blocks after the retries when both URLs fail, naming the target', async () => {
    statuses = { '/health': [500], '/': [503] };
    const ctx = makeContext({ http: fetchHttp });
    const { value: r, elapsedMs } = await drive(createHealthGate([target()]).evaluate(ctx), ctx.clock, 10_000);
    expect(r.result).toBe('block');
    expect(r.reason).toBe(`${base}/health is unhealthy: unhealthy after 3 attempt(s): HTTP 503 from ${base}/`);
    expect(hits).toEqual(['/health', '/', '/health', '/', '/health', '/']);
    expect(elapsedMs).toBe(20_000);
  });

  it('passes when a target recovers during the retries', async () => {
    statuses = { '/health': [500, 500, 200] };
    const ctx = makeContext({ http: fetchHttp });
    const { value: r, elapsedMs } = await drive(createHealthGate([target({ fallbackUrl: undefined })]).evaluate(ctx), ctx.clock, 10_000);
    expect(r).toMatchObject({ result: 'pass', reason: `healthy: ${base}/health (HTTP 200)` });
    expect(elapsedMs).toBe(20_000);
  });

  it('blocks on the first unhealthy target and lists all targets when passing', async () => {
    statuses = { '/a': [200], '/b': [500], '/c': [204] };
    const gate = createHealthGate({
      targets: [target({ url: `${base}/a`, fallbackUrl: undefined, retries: 0 }), target({ url: `${base}/b`, fallbackUrl: undefined, retries: 0 }), target({ url: `${base}/c`, fallbackUrl: undefined, retries: 0 })],
      applyToRollback: true,
    });
    expect(gate.applyToRollback).toBe(true);
    const blocked = await gate.evaluate(makeContext({ http: fetchHttp }));
    expect(blocked.reason).toBe(`${base}/b is unhealthy: unhealthy after 1 attempt(s): HTTP 500 from ${base}/b`);
    expect(hits).toEqual(['/a', '/b']);

    statuses['/b'] = [200];
    const passed = await gate.evaluate(makeContext({ http: fetchHttp }));
    expect(passed.reason).toBe(`healthy: ${base}/a (HTTP 200), ${base}/b (HTTP 200), ${base}/c (HTTP 204)`);
  });

  it('reports an unreachable target as unhealthy instead of throwing', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await createHealthGate([target({ url: `http://127.0.0.1:${port}/health`, fallbackUrl: undefined, retries: 0 })]).evaluate(
      makeContext({ http: fetchHttp }),
    );
    expect(r.result).toBe('block');
    expect(r.reason).toContain(`http://127.0.0.1:${port}/health is unhealthy: unhealthy after 1 attempt(s): http://127.0.0.1:${port}/health: ECONNREFUSED`);
  });
});
