import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createControlServer, MAX_BODY, route } from '../../../../src/agent/daemon/control-server.js';

/** The control API's HTTP layer answers bad requests with a status and a JSON error naming what is wrong; it never crashes. */
let close: (() => Promise<void>) | null = null;
afterEach(async () => close?.());

function raw(port: number, request: string | Buffer, opts: { end?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => (opts.end === false ? s.write(request) : s.end(request)));
    let out = '';
    s.on('data', (d: Buffer) => (out += d.toString()));
    s.on('close', () => resolve(out));
    s.on('error', reject);
  });
}

const Body = z.strictObject({ n: z.number().int().min(0).max(10) });
const Query = z.strictObject({ v: z.string().optional() });
let seen: unknown[] = [];

async function start(opts: { token?: string; bodyTimeoutMs?: number } = {}): Promise<number> {
  seen = [];
  const server = createControlServer(
    {
      'GET /v1/status': route({}, () => ({ ok: true })),
      'GET /v1/things': route({ query: Query }, (_b, q) => ({ q })),
      'POST /v1/things': route({ body: Body }, (b) => {
        seen.push(b);
        return { got: b };
      }),
      'POST /v1/crash': route({ body: z.strictObject({}) }, () => {
        throw new Error('boom');
      }),
    },
    { ...opts, log: () => undefined },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  close = () => new Promise<void>((r) => server.close(() => r()));
  return (server.address() as AddressInfo).port;
}

function post(path: string, body: string, headers = 'Content-Type: application/json\r\n'): string {
  return `POST ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** Status line and JSON error of an answer. */
function parse(answer: string): { status: number; error?: string; headers: string } {
  const [head, body] = answer.split('\r\n\r\n');
  return { status: Number(head!.split(' ')[1]), headers: head!, ...(body ? (JSON.parse(body) as { error?: string }) : {}) };
}

describe('control server', () => {
  it('answers a malformed request target with 400 and keeps serving', async () => {
    const port = await start();
    expect(await raw(port, 'GET //[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect(await raw(port, 'GET /v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 200/);
  });

  it('checks the token before anything else, also for unknown paths', async () => {
    const port = await start({ token: 'a-long-enough-secret-token' });
    expect(await raw(port, 'GET //[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 401/);
    expect(await raw(port, 'GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 401/);
    const ok = await raw(port, 'GET /v1/status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a-long-enough-secret-token\r\nConnection: close\r\n\r\n');
    expect(ok).toMatch(/^HTTP\/1\.1 200/);
  });

  const refused: [string, string, number, string][] = [
    ['an unknown path', 'GET /v1/nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 404, 'GET /v1/nope: no such endpoint'],
    ['another method', 'DELETE /v1/things HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 405, 'DELETE /v1/things: expected GET or POST'],
    ['a body on a GET', 'GET /v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}', 400, 'body: expected none on a GET request'],
    ['an unknown query parameter', 'GET /v1/things?v=1&wx=2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400, 'wx: unknown query parameter (expected one of v)'],
    ['a query parameter given twice', 'GET /v1/things?v=1&v=2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400, 'v: expected once in the query (got it more than once)'],
    ['__proto__ in the query', 'GET /v1/things?__proto__=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400, '__proto__: unknown query parameter (expected one of v)'],
    ['a query on a route that takes none', 'GET /v1/status?x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400, 'x: unknown query parameter'],
    ['text/plain', post('/v1/things', '{"n":1}', 'Content-Type: text/plain\r\n'), 415, 'content-type: expected application/json (got "text/plain")'],
    ['no content type', post('/v1/things', '{"n":1}', ''), 415, 'content-type: expected application/json (got none)'],
    ['JSON in another charset', post('/v1/things', '{"n":1}', 'Content-Type: application/json; charset=latin1\r\n'), 415, 'content-type: expected application/json (got "application/json; charset=latin1")'],
    ['a body that is not JSON', post('/v1/things', '{"n":'), 400, 'body: expected valid JSON'],
    ['a list', post('/v1/things', '[1]'), 400, 'body: expected a map of settings (got a list)'],
    ['null', post('/v1/things', 'null'), 400, 'body: expected a map of settings (got null)'],
    ['a number', post('/v1/things', '7'), 400, 'body: expected a map of settings (got 7)'],
    ['a key given twice', post('/v1/things', '{"n":1,"n":2}'), 400, 'n: expected once (got the key twice)'],
    ['an unknown key', post('/v1/things', '{"n":1,"other":2}'), 400, 'other: unknown key (expected one of n)'],
    ['__proto__', post('/v1/things', '{"n":1,"__proto__":{"n":2}}'), 400, '__proto__: unknown key (expected one of n)'],
    ['a value out of range', post('/v1/things', '{"n":11}'), 400, 'n: expected at most 10 (got 11)'],
    ['an infinite number', post('/v1/things', '{"n":1e400}'), 400, 'n: expected a number (got Infinity)'],
  ];

  it.each(refused)('refuses %s, and the handler never runs', async (_name, request, status, error) => {
    const port = await start();
    const a = parse(await raw(port, request));
    expect([a.status, a.error]).toEqual([status, error]);
    expect(seen).toEqual([]);
    if (status === 405) expect(a.headers).toMatch(/\r\nallow: GET, POST/i);
  });

  it('refuses a body that is not UTF-8', async () => {
    const port = await start();
    const body = Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0xff, 0x7d]);
    const head = `POST /v1/things HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    expect(parse(await raw(port, Buffer.concat([Buffer.from(head), body]))).error).toBe('body: expected UTF-8 text');
  });

  it('refuses a body over MAX_BODY from its Content-Length alone, and a chunked one once it grows over', async () => {
    const port = await start();
    const declared = parse(await raw(port, `POST /v1/things HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${MAX_BODY + 1}\r\n\r\n`, { end: false }));
    expect([declared.status, declared.error]).toEqual([413, `body: expected at most ${MAX_BODY} bytes (got a Content-Length of ${MAX_BODY + 1})`]);
    expect(declared.headers).toMatch(/\r\nconnection: close/i);
    const chunk = `${(MAX_BODY / 2).toString(16)}\r\n${' '.repeat(MAX_BODY / 2)}\r\n`;
    const chunked = parse(await raw(port, `POST /v1/things HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}${chunk}1\r\n \r\n0\r\n\r\n`));
    expect([chunked.status, chunked.error]).toEqual([413, `body: expected at most ${MAX_BODY} bytes`]);
  });

  it('answers 408 and closes when a body stalls, and serves others meanwhile', async () => {
    const port = await start({ bodyTimeoutMs: 300 });
    const stalled = raw(port, 'POST /v1/things HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"n":', { end: false });
    expect(parse(await raw(port, post('/v1/things', '{"n":1}'))).status).toBe(200);
    const a = parse(await stalled);
    expect([a.status, a.error]).toEqual([408, 'body: expected the whole body within 0.3 s (got 5 bytes)']);
    expect(seen).toEqual([{ n: 1 }]);
  });

  it('a valid request reaches the handler with its parsed body and query', async () => {
    const port = await start();
    expect(await raw(port, post('/v1/things', '{"n":3}'))).toMatch(/\r\n\r\n\{"got":\{"n":3\}\}$/);
    expect(await raw(port, 'GET /v1/things?v=x%20y HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/\{"q":\{"v":"x y"\}\}$/);
    expect(await raw(port, post('/v1/things', '{"n":3}', 'Content-Type: application/json; charset=UTF-8\r\n'))).toMatch(/^HTTP\/1\.1 200/);
  });

  it('a handler that throws is a 500 with a one-line error, and the server goes on', async () => {
    const port = await start();
    const a = parse(await raw(port, post('/v1/crash', '{}')));
    expect([a.status, a.error]).toEqual([500, 'internal error: boom']);
    expect(await raw(port, 'GET /v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 200/);
  });
});
