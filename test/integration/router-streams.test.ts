/** Streams pass through unbuffered: server-sent events and WebSocket upgrades. */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/agent/contract.js';
import { createRouter, type Router } from '../../src/agent/router/index.js';
import { backendOf, encodeFrame, listenLocal, readFrame, refusedPort, startUpstream, until, type Upstream } from '../support/upstream.js';

let cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const fn of cleanups.reverse()) await fn();
  cleanups = [];
});

async function setup(backends?: Backend[]): Promise<{ router: Router; url: string; up: Upstream }> {
  const up = await startUpstream({ id: 'a' });
  const router = createRouter({ stickyCookie: false, versionHeader: true, bodyLimit: 1024, retry: true });
  router.setTable({ weights: { v1: 100 }, backends: backends ?? [backendOf(up, 'v1')] });
  const url = await listenLocal(router.server);
  cleanups.push(() => up.close(), () => router.close());
  return { router, url, up };
}

/** Reads from a socket until `done(buffer)` says enough. */
function readUntil(socket: Socket, done: (buf: Buffer) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      if (!done(buf)) return;
      socket.off('data', onData);
      socket.pause();
      resolve(buf);
    };
    socket.on('data', onData);
    socket.resume();
    socket.once('error', reject);
  });
}

/** Opens a WebSocket by hand through the router; resolves with the socket and the response head. */
async function openWebSocket(url: string): Promise<{ socket: Socket; head: string; rest: Buffer; key: string }> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port) });
  await once(socket, 'connect');
  const key = randomBytes(16).toString('base64');
  socket.write(`GET /chat HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  const buf = await readUntil(socket, (b) => b.includes('\r\n\r\n'));
  const end = buf.indexOf('\r\n\r\n') + 4;
  return { socket, head: buf.subarray(0, end).toString('latin1'), rest: buf.subarray(end), key };
}

describe('router: server-sent events', () => {
  it('delivers each event as it is sent, before the stream ends', async () => {
    const { url, up } = await setup();
    const res = await new Promise<IncomingMessage>((resolve, reject) => request(`${url}/sse`, { agent: false }, resolve).on('error', reject).end());
    expect(res.headers['content-type']).toBe('text/event-stream');
    await up.sse.connected();
    res.setEncoding('utf8');
    let ended = false;
    res.once('end', () => (ended = true));
    for (const n of [1, 2, 3]) {
      up.sse.send(`event ${n}`);
      const [chunk] = (await once(res, 'data')) as [string];
      expect(chunk).toBe(`data: event ${n}\n\n`);
      expect(ended).toBe(false);
    }
    up.sse.end();
    res.resume();
    await once(res, 'end');
  });
});

describe('router: server-sent events across a weight change', () => {
  it('keeps an open stream on its instance while the weights move away from its version', async () => {
    const { router, url, up } = await setup();
    const next = await startUpstream({ id: 'b' });
    cleanups.push(() => next.close());
    const res = await new Promise<IncomingMessage>((resolve, reject) => request(`${url}/sse`, { agent: false }, resolve).on('error', reject).end());
    await up.sse.connected();
    res.setEncoding('utf8');
    let ended = false;
    res.once('end', () => (ended = true));
    up.sse.send('before');
    expect(((await once(res, 'data')) as [string])[0]).toBe('data: before\n\n');
    // v2 takes all new traffic; v1's instance stays (ready, weight 0), as during a canary's revert or a promotion.
    router.setTable({ weights: { v1: 0, v2: 100 }, backends: [backendOf(up, 'v1'), backendOf(next, 'v2')] });
    const fresh = await new Promise<IncomingMessage>((resolve, reject) => request(`${url}/`, { agent: false }, resolve).on('error', reject).end());
    fresh.resume();
    await once(fresh, 'end');
    expect(next.received.length).toBe(1);
    for (const n of [1, 2]) {
      up.sse.send(`after ${n}`);
      expect(((await once(res, 'data')) as [string])[0]).toBe(`data: after ${n}\n\n`);
      expect(ended).toBe(false);
    }
    up.sse.end();
    res.resume();
    await once(res, 'end');
  });
});

describe('router: client going away', () => {
  it('aborts the request to the instance when the client disconnects', async () => {
    const { router, url, up } = await setup();
    const req = request(`${url}/sse`, { agent: false });
    req.on('error', () => undefined);
    const res = await new Promise<IncomingMessage>((resolve) => req.on('response', resolve).end());
    await up.sse.connected();
    expect(router.inFlight('a')).toBe(1);
    const closed = once(up.events, 'sse-closed');
    res.destroy();
    await closed;
    await until(() => router.inFlight('a') === 0, up.events, 'disconnect');
  });
});

describe('router: large bodies', () => {
  it('streams a large answer to a slow reader intact (backpressure both ways)', async () => {
    const { url } = await setup();
    const bytes = 8_000_000 + 123;
    const res = await new Promise<IncomingMessage>((resolve, reject) => request(`${url}/big?bytes=${bytes}`, { agent: false }, resolve).on('error', reject).end());
    let received = 0;
    let intact = true;
    for await (const chunk of res as AsyncIterable<Buffer>) {
      for (let i = 0; i < chunk.length; i += 4099) if (chunk[i] !== (received + i) % 65_000 % 251) intact = false;
      received += chunk.length;
      await new Promise((r) => setImmediate(r)); // read slower than the router writes
    }
    expect([received, intact]).toEqual([bytes, true]);
  });
});

describe('router: WebSocket', () => {
  it('passes the upgrade and messages through both ways, and counts the connection in flight', async () => {
    const { router, url, up } = await setup();
    const { socket, head, rest, key } = await openWebSocket(url);
    cleanups.push(async () => void socket.destroy());
    expect(head).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    expect(head).toContain(`Sec-WebSocket-Accept: ${accept}\r\n`);
    expect(head).toContain('X-Instance: a\r\n');
    expect(rest).toHaveLength(0);
    expect(router.inFlight('a')).toBe(1);
    for (const text of ['hello', 'through the router', 'x'.repeat(300)]) {
      socket.write(encodeFrame(text, 0x1, true));
      const buf = await readUntil(socket, (b) => readFrame(b) !== null);
      expect(readFrame(buf)!.payload.toString('utf8')).toBe(text);
    }
    const seen = up.received.length; // the upgrade is not a plain request
    expect(seen).toBe(0);
    socket.write(encodeFrame('', 0x8, true));
    socket.resume();
    await once(socket, 'close');
    await until(() => router.inFlight('a') === 0, up.events, 'disconnect');
    expect(router.stats('v1', 60_000)).toMatchObject({ requests: 1, errors5xx: 0 });
  });

  it('answers 502 on the raw socket when the instance refuses the connection', async () => {
    const port = await refusedPort();
    const { url } = await setup([{ id: 'gone', version: 'v1', host: '127.0.0.1', port, ready: true, draining: false }]);
    const { socket, head, rest } = await openWebSocket(url);
    expect(head).toMatch(/^HTTP\/1\.1 502 Bad Gateway\r\n/);
    expect(head.toLowerCase()).toContain('x-shipgate-error: upstream-connect\r\n');
    const body = rest.length > 0 ? rest : await readUntil(socket, (b) => b.includes('\n'));
    expect(body.toString('utf8')).toBe(`502 upstream v1/instance gone (127.0.0.1:${port}): connection refused\n`);
    socket.destroy();
  });
});
