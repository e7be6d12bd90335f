/** What the router does to requests and answers: retries, limits, forwarding headers, error texts. */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/agent/contract.js';
import { createRouter, type CreateRouterOptions, type Router } from '../../src/agent/router/index.js';
import { backendOf, listenLocal, refusedPort, send, startUpstream, type SimpleResponse, type Upstream } from '../support/upstream.js';

const LIMIT = 1024;
let cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const fn of cleanups.reverse()) await fn();
  cleanups = [];
});

async function upstream(id: string): Promise<Upstream> {
  const up = await startUpstream({ id });
  cleanups.push(() => up.close());
  return up;
}

async function router(backends: Backend[], opts: Partial<CreateRouterOptions> = {}): Promise<{ router: Router; url: string }> {
  const r = createRouter({ stickyCookie: false, versionHeader: true, bodyLimit: LIMIT, retry: true, ...opts });
  r.setTable({ weights: { v1: 100 }, backends });
  const url = await listenLocal(r.server);
  cleanups.push(() => r.close());
  return { router: r, url };
}

async function deadBackend(id: string): Promise<Backend> {
  return { id, version: 'v1', host: '127.0.0.1', port: await refusedPort(), ready: true, draining: false };
}

/** A chunked upload (no Content-Length) of `chunks` x `size` bytes; resolves with the answer. */
function chunkedUpload(url: string, chunks: number, size: number): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/echo`, { method: 'POST', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    for (let i = 0; i < chunks; i++) req.write(Buffer.alloc(size, 120));
    req.end();
  });
}

describe('router: retry on connection refused', () => {
  it('retries a GET once on another instance', async () => {
    const ok = await upstream('ok');
    const { router: r, url } = await router([await deadBackend('dead'), backendOf(ok, 'v1')]);
    for (let i = 0; i < 6; i++) {
      const res = await send(`${url}/`);
      expect([res.status, res.headers['x-instance']]).toEqual([200, 'ok']);
    }
    expect(ok.received).toHaveLength(6);
    expect(r.stats('v1', 60_000)).toMatchObject({ requests: 6, connErrors: 0, errors5xx: 0 });
  });

  it('retries a PUT whose body was not read yet, and the instance gets the whole body', async () => {
    const ok = await upstream('ok');
    const { url } = await router([await deadBackend('dead'), backendOf(ok, 'v1')]);
    for (let i = 0; i < 4; i++) {
      const res = await send(`${url}/echo`, { method: 'PUT', body: Buffer.alloc(700, 120) });
      expect([res.status, JSON.parse(res.body).bodyBytes]).toEqual([200, 700]);
    }
  });

  it('does not retry a POST: 502 that names the instance and the cause', async () => {
    const ok = await upstream('ok');
    const dead = await deadBackend('v1-2');
    const { url } = await router([dead, backendOf(ok, 'v1')]);
    const answers = [await send(`${url}/`, { method: 'POST', body: 'x' }), await send(`${url}/`, { method: 'POST', body: 'x' })];
    const failed = answers.find((a) => a.status === 502)!;
    expect(failed.body).toBe(`502 upstream v1/instance 2 (127.0.0.1:${dead.port}): connection refused\n`);
    expect(failed.headers['x-shipgate-error']).toBe('upstream-connect');
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
  });

  it('answers 502 when the retry is refused too, naming both instances', async () => {
    const [d1, d2] = [await deadBackend('d1'), await deadBackend('d2')];
    const { router: r, url } = await router([d1, d2]);
    const res = await send(`${url}/`);
    expect(res.status).toBe(502);
    expect(res.body).toMatch(/^502 upstream v1\/instance d[12] \(127\.0\.0\.1:\d+\): connection refused; first tried v1\/instance d[12] \(127\.0\.0\.1:\d+\): connection refused\n$/);
    expect(r.stats('v1', 60_000)).toMatchObject({ requests: 1, connErrors: 1, errorRate: 1 });
  });

  it('does not retry when retry is off', async () => {
    const ok = await upstream('ok');
    const { url } = await router([await deadBackend('dead'), backendOf(ok, 'v1')], { retry: false });
    const statuses = [(await send(`${url}/`)).status, (await send(`${url}/`)).status];
    expect(statuses.sort()).toEqual([200, 502]);
  });
});

describe('router: request body limit', () => {
  it('answers 413 to a Content-Length over the limit without calling the instance', async () => {
    const ok = await upstream('ok');
    const { url } = await router([backendOf(ok, 'v1')]);
    const res = await send(`${url}/echo`, { method: 'POST', body: Buffer.alloc(LIMIT + 1, 120) });
    expect(res.status).toBe(413);
    expect(res.body).toBe(`413 request body over the limit of ${LIMIT} bytes\n`);
    expect(res.headers['x-shipgate-error']).toBe('body-too-large');
    expect(res.headers.connection).toBe('close');
    expect(ok.received).toHaveLength(0);
  });

  it('answers 413 to a chunked body that grows over the limit', async () => {
    const ok = await upstream('ok');
    const { url } = await router([backendOf(ok, 'v1')]);
    const res = await chunkedUpload(url, 4, 400);
    expect(res.status).toBe(413);
    expect(res.body).toBe(`413 request body over the limit of ${LIMIT} bytes\n`);
  });

  it('passes bodies up to the limit, with and without Content-Length', async () => {
    const ok = await upstream('ok');
    const { url } = await router([backendOf(ok, 'v1')]);
    const fixed = await send(`${url}/echo`, { method: 'PUT', body: Buffer.alloc(LIMIT, 120) });
    expect(JSON.parse(fixed.body)).toMatchObject({ method: 'PUT', bodyBytes: LIMIT });
    const chunked = await chunkedUpload(url, 2, 512);
    expect([chunked.status, JSON.parse(chunked.body).bodyBytes]).toEqual([200, 1024]);
  });
});

describe('router: headers', () => {
  it('appends to X-Forwarded-For and sets X-Forwarded-Proto and X-Forwarded-Host', async () => {
    const ok = await upstream('ok');
    const { url } = await router([backendOf(ok, 'v1')]);
    const host = new URL(url).host;
    const res = await send(`${url}/echo?q=1`, { headers: { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'gopher', 'x-forwarded-host': 'spoofed.test' } });
    const seen = JSON.parse(res.body) as { url: string; headers: Record<string, string> };
    expect(seen.url).toBe('/echo?q=1');
    expect(seen.headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-host']).toBe(host);
    expect(seen.headers.host).toBe(host);
    const plain = JSON.parse((await send(`${url}/echo`)).body) as { headers: Record<string, string> };
    expect(plain.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('does not forward hop-by-hop headers, either way', async () => {
    const ok = await upstream('ok');
    const { url } = await router([backendOf(ok, 'v1')]);
    await send(`${url}/echo`, {
      headers: { connection: 'keep-alive, x-private', 'x-private': 'secret', 'keep-alive': 'timeout=9', te: 'trailers', 'proxy-authorization': 'Basic eDp5', 'x-kept': 'yes' },
    });
    const raw = ok.received[0]!.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    expect(raw).toContain('x-kept');
    for (const name of ['x-private', 'keep-alive', 'te', 'proxy-authorization']) expect(raw).not.toContain(name);
    expect(ok.received[0]!.headers.connection ?? '').not.toContain('x-private');
    const res = await send(`${url}/hop`);
    expect(res.headers['x-kept']).toBe('yes');
    expect(res.headers['x-secret']).toBeUndefined();
    expect(res.headers['proxy-connection']).toBeUndefined();
    expect(res.headers['keep-alive']).not.toBe('timeout=5'); // the router's own keep-alive, not the instance's
  });

  it('passes status, custom reason and repeated headers through', async () => {
    const ok = await upstream('ok');
    ok.status = 418;
    const { router: r, url } = await router([backendOf(ok, 'v1')]);
    const res = await send(`${url}/teapot`);
    expect([res.status, res.body]).toEqual([418, 'instance ok\n']);
    ok.status = 503;
    expect((await send(`${url}/`)).status).toBe(503);
    expect(r.stats('v1', 60_000)).toMatchObject({ requests: 2, errors5xx: 1, connErrors: 0, errorRate: 0.5 });
  });
});
