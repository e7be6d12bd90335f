/**
 * The router's cap on client connections (router.maxConnections): at the cap
 * a new connection closes the longest idle one; with none idle it is answered
 * 503 connection-limit and closed; the cap follows the open-file limit and
 * changes with setOptions. Real sockets, a real instance.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createRouter, type CreateRouterOptions, type Router } from '../../src/agent/router/index.js';
import { connectionBudget, FD_RESERVE, MAX_REFUSING } from '../../src/agent/router/connection-cap.js';
import { SocketReader } from '../support/socket-reader.js';
import { backendOf, listenLocal, startUpstream, type Upstream } from '../support/upstream.js';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.reverse()) await fn();
  cleanups = [];
});

async function setup(opts: Partial<CreateRouterOptions>): Promise<{ router: Router; port: number; up: Upstream }> {
  const up = await startUpstream({ id: 'a' });
  cleanups.push(() => up.close());
  const router = createRouter({ stickyCookie: false, versionHeader: true, bodyLimit: 1024, retry: true, fdLimit: null, ...opts });
  router.setTable({ weights: { v1: 100 }, backends: [backendOf(up, 'v1')] });
  const url = await listenLocal(router.server);
  cleanups.push(() => router.close());
  return { router, port: Number(new URL(url).port), up };
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A raw client that reads answers framed by Content-Length (all this router and instance send here). */
class Client extends SocketReader {
  write(text: string): void {
    this.socket.write(text, 'latin1');
  }

  get(path: string): Promise<Answer> {
    this.write(`GET ${path} HTTP/1.1\r\nHost: app.test\r\n\r\n`);
    return this.answer();
  }

  answer(): Promise<Answer> {
    return this.take('an answer', (buf) => {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return null;
      const [line, ...lines] = buf.toString('latin1', 0, end).split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const length = Number(headers['content-length'] ?? 0);
      if (buf.length < end + 4 + length) return null;
      return { used: end + 4 + length, value: { status: Number(line!.split(' ')[1]), headers, body: buf.toString('utf8', end + 4, end + 4 + length) } };
    });
  }

  /** Resolves once the router closed the connection. */
  async closedByRouter(): Promise<void> {
    await this.take('the end of the connection', (buf, ended) => (ended ? { used: buf.length, value: null } : null));
  }

  get open(): boolean {
    return !this.ended;
  }
}

async function dial(port: number): Promise<Client> {
  const socket: Socket = connect({ host: '127.0.0.1', port, noDelay: true });
  cleanups.push(() => void socket.destroy());
  await once(socket, 'connect');
  return new Client(socket, 4000);
}

describe('router: the connection cap', () => {
  it('at the cap, a new connection closes the one idle longest and is served; the others stay usable', async () => {
    const { port } = await setup({ maxConnections: 3 });
    const clients = [await dial(port), await dial(port), await dial(port)];
    for (const c of clients) expect((await c.get('/x')).status).toBe(200);
    // Use the first again: the second is now the one idle longest.
    expect((await clients[0]!.get('/x')).status).toBe(200);
    const late = await dial(port);
    expect((await late.get('/x')).status).toBe(200);
    await clients[1]!.closedByRouter();
    expect((await clients[0]!.get('/x')).status).toBe(200);
    expect((await clients[2]!.get('/x')).status).toBe(200);
  });

  it('with every connection busy, a new one gets 503 connection-limit and is closed; a freed one makes room', async () => {
    const { port, up } = await setup({ maxConnections: 2 });
    const busy = [await dial(port), await dial(port)];
    for (const c of busy) c.write('GET /hold HTTP/1.1\r\nHost: app.test\r\n\r\n');
    await new Promise<void>((resolve) => {
      const check = (): void => void (up.received.filter((r) => r.url === '/hold').length === 2 ? resolve() : up.events.once('request', check));
      check();
    });
    const refused = await dial(port);
    refused.write('GET /x HTTP/1.1\r\nHost: app.test\r\n\r\n');
    const a = await refused.answer();
    expect(a.status).toBe(503);
    expect(a.headers['x-shipgate-error']).toBe('connection-limit');
    expect(a.headers.connection).toBe('close');
    expect(a.body).toBe('503 the router is at its limit of 2 open connections, none of them idle; try again shortly\n');
    await refused.closedByRouter();
    expect(up.received.map((r) => r.url)).toEqual(['/hold', '/hold']);
    up.release();
    for (const c of busy) expect((await c.answer()).status).toBe(200);
    const next = await dial(port);
    expect((await next.get('/x')).status).toBe(200);
  });

  it('a flood of silent connections never holds more than the cap open: each new one closes the oldest', async () => {
    const { port } = await setup({ maxConnections: 10 });
    const flood: Client[] = [];
    for (let i = 0; i < 60; i++) flood.push(await dial(port));
    const last = await dial(port);
    expect((await last.get('/x')).status).toBe(200);
    await Promise.all(flood.slice(0, 51).map((c) => c.closedByRouter()));
    expect(flood.filter((c) => c.open).length).toBeLessThanOrEqual(9);
  });

  it('the cap follows the open-file limit: half of what the reserve and the refusals leave', async () => {
    expect(connectionBudget(4096, null)).toBe(4096);
    expect(connectionBudget(4096, 1024)).toBe(Math.floor((1024 - FD_RESERVE - MAX_REFUSING) / 2));
    expect(connectionBudget(4096, 65536)).toBe(4096);
    expect(connectionBudget(4096, 10)).toBe(1);
    const lines: string[] = [];
    const { port, up } = await setup({ maxConnections: 100, fdLimit: FD_RESERVE + MAX_REFUSING + 2, log: (l) => lines.push(l) });
    expect(lines).toEqual([`router: maxConnections 100 lowered to 1: this process may open ${FD_RESERVE + MAX_REFUSING + 2} files, and keeps some for its control socket`]);
    const busy = await dial(port);
    busy.write('GET /hold HTTP/1.1\r\nHost: app.test\r\n\r\n');
    await up.arrival('/hold');
    expect((await (await dial(port)).get('/x')).status).toBe(503);
    expect(lines[1]).toMatch(/^router: all 1 client connections are busy \(router\.maxConnections\)/);
    up.release();
  });

  it('setOptions changes the cap for the next connections', async () => {
    const { router, port, up } = await setup({ maxConnections: 1 });
    const busy = await dial(port);
    busy.write('GET /hold HTTP/1.1\r\nHost: app.test\r\n\r\n');
    await up.arrival('/hold');
    expect((await (await dial(port)).get('/x')).status).toBe(503);
    router.setOptions({ stickyCookie: false, versionHeader: true, bodyLimit: 1024, retry: true, maxConnections: 2 });
    expect((await (await dial(port)).get('/x')).status).toBe(200);
    up.release();
  });
});
