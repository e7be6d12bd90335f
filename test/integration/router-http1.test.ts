/**
 * The raw-socket router on the wire: pipelining, keep-alive and HTTP/1.0,
 * refused (smuggling-style) requests, interim answers, bodies without a
 * length, stale keep-alive connections to instances, large uploads and the
 * router's timeouts. Clients are raw sockets wherever the bytes matter.
 */
import { createHash } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/agent/contract.js';
import { createRouter, type CreateRouterOptions, type Router } from '../../src/agent/router/index.js';
import { SocketReader } from '../support/socket-reader.js';
import { backendOf, listenLocal, refusedPort, startUpstream, until, type Upstream } from '../support/upstream.js';

/** How long a read from the router may take before the test gives up with what it got. */
const WAIT_MS = 4000;

let cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const fn of cleanups.reverse()) await fn();
  cleanups = [];
});

// ---------------------------------------------------------------- setup

async function upstream(id = 'a'): Promise<Upstream> {
  const up = await startUpstream({ id });
  cleanups.push(() => up.close());
  return up;
}

async function routerFor(backends: Backend[], opts: Partial<CreateRouterOptions> = {}): Promise<{ router: Router; port: number }> {
  const router = createRouter({ stickyCookie: false, versionHeader: true, bodyLimit: 1024, retry: true, ...opts });
  router.setTable({ weights: { v1: 100 }, backends });
  const url = await listenLocal(router.server);
  cleanups.push(() => router.close());
  return { router, port: Number(new URL(url).port) };
}

async function setup(opts: Partial<CreateRouterOptions> = {}): Promise<{ router: Router; port: number; up: Upstream }> {
  const up = await upstream();
  return { ...(await routerFor([backendOf(up, 'v1')], opts)), up };
}

/** `GET path` with a Host header and `extra` header lines (each ending in CRLF). */
function get(path: string, extra = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: app.test\r\n${extra}\r\n`;
}

// ---------------------------------------------------------------- raw client

interface Answer {
  status: number;
  reason: string;
  /** The head as received, with its blank line. */
  head: string;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  /** The payload (chunked framing removed). */
  body: Buffer;
  /** The body bytes exactly as received (chunked framing and trailers included). */
  raw: Buffer;
}

/** A raw client connection that reads answers off the socket byte for byte. */
class Wire extends SocketReader {
  constructor(socket: Socket) {
    super(socket, WAIT_MS);
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Reads one answer; `method` HEAD (or a 1xx/204/304 status) means no body. */
  async answer(method = 'GET', timeoutMs = WAIT_MS): Promise<Answer> {
    const head = await this.take('a response head', parseHead, timeoutMs);
    const { status } = head;
    if (method === 'HEAD' || status < 200 || status === 204 || status === 304) return { ...head, body: Buffer.alloc(0), raw: Buffer.alloc(0) };
    if (/(^|,)\s*chunked\s*$/i.test(head.headers['transfer-encoding'] ?? '')) {
      const { body, raw } = await this.take('a chunked body', parseChunked, timeoutMs);
      return { ...head, body, raw };
    }
    const length = head.headers['content-length'];
    if (length !== undefined) {
      const n = Number(length);
      const body = await this.take(`a body of ${n} bytes`, (buf) => (buf.length >= n ? { used: n, value: Buffer.from(buf.subarray(0, n)) } : null), timeoutMs);
      return { ...head, body, raw: body };
    }
    const body = await this.take('a body that ends with the connection', (buf, ended) => (ended ? { used: buf.length, value: Buffer.from(buf) } : null), timeoutMs);
    return { ...head, body, raw: body };
  }

  /** Resolves once the router has ended the connection (reading and dropping anything left). */
  async closedByRouter(timeoutMs = WAIT_MS): Promise<void> {
    await this.take('the end of the connection', (buf, ended) => (ended ? { used: buf.length, value: null } : null), timeoutMs);
  }
}

function parseHead(buf: Buffer): { used: number; value: Omit<Answer, 'body' | 'raw'> } | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = buf.toString('latin1', 0, end + 4);
  const [line, ...lines] = head.slice(0, end).split('\r\n');
  const m = /^HTTP\/1\.1 (\d{3}) (.*)$/.exec(line!);
  if (m === null) throw new Error(`not a status line: ${JSON.stringify(line)} in ${JSON.stringify(head)}`);
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const colon = l.indexOf(':');
    const name = l.slice(0, colon).toLowerCase();
    const value = l.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { used: end + 4, value: { status: Number(m[1]), reason: m[2]!, head, headers } };
}

/** A complete chunked body at the start of `buf`: its payload and its raw bytes (trailers included). */
function parseChunked(buf: Buffer): { used: number; value: { body: Buffer; raw: Buffer } } | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', at);
    if (eol < 0) return null;
    const size = parseInt(buf.toString('latin1', at, eol).split(';')[0]!.trim(), 16);
    if (Number.isNaN(size)) throw new Error(`a bad chunk size line: ${JSON.stringify(buf.toString('latin1', at, eol))}`);
    at = eol + 2;
    if (size === 0) {
      const end = buf.indexOf('\r\n\r\n', at - 2);
      if (end < 0) return null;
      const used = end + 4;
      return { used, value: { body: Buffer.concat(parts), raw: Buffer.from(buf.subarray(0, used)) } };
    }
    if (buf.length < at + size + 2) return null;
    parts.push(buf.subarray(at, at + size));
    if (buf.toString('latin1', at + size, at + size + 2) !== '\r\n') throw new Error('chunk data not followed by CRLF');
    at += size + 2;
  }
}

async function dial(port: number): Promise<Wire> {
  const socket = connect({ host: '127.0.0.1', port, noDelay: true });
  cleanups.push(() => void socket.destroy());
  await once(socket, 'connect');
  return new Wire(socket);
}

/** The JSON of startUpstream's /echo. */
function echoed(a: Answer): { method: string; url: string; headers: Record<string, string>; bodyBytes: number } {
  expect(a.status).toBe(200);
  return JSON.parse(a.body.toString('utf8')) as { method: string; url: string; headers: Record<string, string>; bodyBytes: number };
}

// ---------------------------------------------------------------- instances made in the test

interface RawRequest {
  head: string;
  method: string;
  target: string;
  body: Buffer;
}

interface RawUpstream {
  readonly backend: Backend;
  /** Every request that arrived, in order. */
  readonly requests: RawRequest[];
  /** Connections accepted so far. */
  accepted: number;
  readonly open: Set<Socket>;
  readonly events: EventEmitter;
}

/**
 * An instance on a raw TCP server: `respond` gets each request (heads and
 * Content-Length bodies are read here) with its index on its connection, and
 * writes whatever bytes it likes.
 */
async function rawUpstream(id: string, respond: (req: RawRequest, socket: Socket, nth: number) => void): Promise<RawUpstream> {
  const events = new EventEmitter();
  const up: RawUpstream = { backend: { id, version: 'v1', host: '127.0.0.1', port: 0, ready: true, draining: false }, requests: [], accepted: 0, open: new Set(), events };
  const server = createNetServer((socket) => {
    up.accepted++;
    up.open.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      up.open.delete(socket);
      events.emit('disconnect');
    });
    let buf = Buffer.alloc(0);
    let nth = 0;
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.toString('latin1', 0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        const [method, target] = head.split(' ');
        const req = { head, method: method!, target: target!, body: Buffer.from(buf.subarray(end + 4, end + 4 + length)) };
        buf = buf.subarray(end + 4 + length);
        up.requests.push(req);
        events.emit('request', req);
        respond(req, socket, nth++);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (up.backend as { port: number }).port = (server.address() as AddressInfo).port;
  cleanups.push(async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of up.open) s.destroy();
    await closed;
  });
  return up;
}

interface Counted {
  method: string;
  url: string;
  bytes: number;
  sha256: string;
  complete: boolean;
}

/**
 * A node:http instance that counts and hashes each request body and answers
 * `{ bytes, sha256 }`; `headers` go on every answer. Emits `request` as a
 * request starts and `done` (Counted) when its body ended or broke off.
 */
async function countingUpstream(id: string, headers: Record<string, string | number> = {}): Promise<{ server: HttpServer; backend: Backend; done: Counted[]; events: EventEmitter; open: Set<Socket> }> {
  const events = new EventEmitter();
  const done: Counted[] = [];
  const open = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    events.emit('request', req);
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
    });
    req.on('error', () => undefined);
    const finish = (complete: boolean): void => {
      const counted = { method: req.method ?? '', url: req.url ?? '', bytes, sha256: hash.digest('hex'), complete };
      done.push(counted);
      events.emit('done', counted);
      if (!complete) return;
      const body = JSON.stringify({ bytes: counted.bytes, sha256: counted.sha256 });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
      res.end(body);
    };
    req.once('end', () => finish(true));
    req.once('close', () => {
      if (!req.complete) finish(false);
    });
  });
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => {
      open.delete(socket);
      events.emit('disconnect');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  cleanups.push(async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  });
  return { server, backend: { id, version: 'v1', host: '127.0.0.1', port, ready: true, draining: false }, done, events, open };
}

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

// ---------------------------------------------------------------- tests

describe('router/http1: pipelining and keep-alive', () => {
  it('answers two pipelined GETs sent in one write, in order, on one connection', async () => {
    const { port, up } = await setup();
    const wire = await dial(port);
    wire.write(get('/echo?n=1') + get('/echo?n=2'));
    expect(echoed(await wire.answer()).url).toBe('/echo?n=1');
    expect(echoed(await wire.answer()).url).toBe('/echo?n=2');
    expect(up.received.map((r) => r.url)).toEqual(['/echo?n=1', '/echo?n=2']);
    expect(up.connections.size).toBe(1);
  });

  it('answers three pipelined requests in order, a POST with a body between two GETs', async () => {
    const { port, up } = await setup();
    const wire = await dial(port);
    wire.write(`${get('/echo?n=1')}POST /echo?n=2 HTTP/1.1\r\nHost: app.test\r\nContent-Length: 5\r\n\r\nhello${get('/echo?n=3')}`);
    const answers = [await wire.answer(), await wire.answer(), await wire.answer()].map(echoed);
    expect(answers.map((a) => [a.method, a.url, a.bodyBytes])).toEqual([
      ['GET', '/echo?n=1', 0],
      ['POST', '/echo?n=2', 5],
      ['GET', '/echo?n=3', 0],
    ]);
    expect(up.received.map((r) => r.url)).toEqual(['/echo?n=1', '/echo?n=2', '/echo?n=3']);
  });

  it('finds the request after a pipelined chunked body', async () => {
    const { port } = await setup();
    const wire = await dial(port);
    wire.write(`POST /echo?n=1 HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n${get('/echo?n=2')}`);
    const first = echoed(await wire.answer());
    expect([first.url, first.bodyBytes]).toEqual(['/echo?n=1', 5]);
    expect(echoed(await wire.answer()).url).toBe('/echo?n=2');
  });

  it('serves a request head that arrives one byte at a time', async () => {
    const { port, up } = await setup();
    const wire = await dial(port);
    for (const byte of Buffer.from(get('/echo?slow=1'), 'latin1')) {
      wire.write(Buffer.from([byte]));
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(echoed(await wire.answer()).url).toBe('/echo?slow=1');
    expect(up.received).toHaveLength(1);
  });

  it('keeps an HTTP/1.1 connection for the next request and announces the keep-alive timeout', async () => {
    const { port } = await setup();
    const wire = await dial(port);
    for (const n of [1, 2, 3]) {
      wire.write(get(`/echo?n=${n}`));
      const a = await wire.answer();
      expect(echoed(a).url).toBe(`/echo?n=${n}`);
      expect([a.headers.connection, a.headers['keep-alive']]).toEqual(['keep-alive', 'timeout=5']);
    }
    expect(wire.ended).toBe(false);
  });

  it('closes after an HTTP/1.0 request without keep-alive', async () => {
    const { port, up } = await setup();
    const wire = await dial(port);
    wire.write('GET / HTTP/1.0\r\n\r\n');
    const a = await wire.answer();
    expect([a.status, a.body.toString(), a.headers.connection]).toEqual([200, 'instance a\n', 'close']);
    await wire.closedByRouter();
    expect(up.received[0]).toMatchObject({ method: 'GET', url: '/' });
  });

  it('keeps an HTTP/1.0 connection with Connection: keep-alive when the answer has a Content-Length', async () => {
    const { port, up } = await setup();
    const wire = await dial(port);
    wire.write('GET /first HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    const first = await wire.answer();
    expect([first.status, first.headers['content-length'], first.headers.connection]).toEqual([200, '11', 'keep-alive']);
    wire.write('GET /second HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    const second = await wire.answer();
    expect([second.status, second.body.toString()]).toEqual([200, 'instance a\n']);
    expect(up.received.map((r) => r.url)).toEqual(['/first', '/second']);
    expect(wire.ended).toBe(false);
  });

  it('closes when the client says Connection: close', async () => {
    const { port } = await setup();
    const wire = await dial(port);
    wire.write(get('/', 'Connection: close\r\n'));
    const a = await wire.answer();
    expect([a.status, a.headers.connection]).toEqual([200, 'close']);
    await wire.closedByRouter();
  });
});

describe('router/http1: requests the router refuses', () => {
  const cases: [string, string, number, string][] = [
    ['Content-Length with Transfer-Encoding', 'POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'both Content-Length and Transfer-Encoding'],
    ['Transfer-Encoding with Content-Length', 'POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'both Content-Length and Transfer-Encoding'],
    ['two Content-Length headers', 'POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nContent-Length: 38\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'more than one Content-Length'],
    ['two equal Content-Length headers', 'POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc', 400, 'more than one Content-Length'],
    ['a Content-Length list', 'POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\nabc', 400, 'an invalid Content-Length "3, 3"'],
    ['a negative Content-Length', 'POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n', 400, 'an invalid Content-Length "-1"'],
    ['obs-fold', 'GET /echo HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n Transfer-Encoding: chunked\r\n\r\n', 400, 'whitespace or folding in a header line'],
    ['a space before a colon', 'POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\nContent-Length: 3\r\n\r\nabc', 400, 'whitespace or folding in a header line'],
    ['a bare LF line ending', 'GET /echo HTTP/1.1\r\nHost: h\nTransfer-Encoding: chunked\r\n\r\n', 400, 'a control character or a bare CR/LF in the request head'],
    ['a bare CR', 'GET /echo HTTP/1.1\r\nHost: h\rX: 1\r\n\r\n', 400, 'a control character or a bare CR/LF in the request head'],
    ['Transfer-Encoding: gzip', 'POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\nabc', 501, 'Transfer-Encoding "gzip" is not supported (only chunked)'],
    ['Transfer-Encoding: chunked, chunked', 'POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n', 501, 'Transfer-Encoding "chunked, chunked" is not supported (only chunked)'],
    ['Transfer-Encoding on HTTP/1.0', 'POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'Transfer-Encoding on an HTTP/1.0 request'],
    ['two Host headers', 'GET /echo HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', 400, 'more than one Host header'],
    ['no Host header', 'GET /echo HTTP/1.1\r\n\r\n', 400, 'no Host header'],
    ['HTTP/2.0', 'GET /echo HTTP/2.0\r\nHost: h\r\n\r\n', 505, 'only HTTP/1.0 and HTTP/1.1 are supported'],
    ['Expect: other', 'PUT /echo HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx', 417, 'Expect "200-ok" is not supported'],
    ['CONNECT', 'CONNECT app.test:443 HTTP/1.1\r\nHost: app.test:443\r\n\r\n', 405, 'CONNECT is not supported'],
    ['TRACE', 'TRACE /echo HTTP/1.1\r\nHost: h\r\nCookie: session=secret\r\n\r\n', 405, 'TRACE is not supported'],
    ['GET *', 'GET * HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'a request target of * with GET (only OPTIONS may use it)'],
    ['an absolute-form target with user information', 'GET http://u:p@h/echo HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'a request target with user information'],
    ['a request target that is neither a path nor a URL', 'GET echo HTTP/1.1\r\nHost: h\r\n\r\n', 400, 'a malformed request target "echo"'],
    ['a chunked body with a bad size', 'POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n', 400, 'malformed chunked body: a chunk without a size'],
    ['a chunked body with a bare LF after the size', 'POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n', 400, 'malformed chunked body: a malformed chunk size'],
    ['a chunked body with data longer than its size', 'POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n', 400, 'malformed chunked body: chunk data longer than its size'],
  ];

  it.each(cases)('%s: the router answers, closes, and the instance gets nothing', async (_name, text, status, reason) => {
    const { port, up } = await setup();
    const wire = await dial(port);
    wire.write(text);
    const a = await wire.answer();
    expect(a.head.split('\r\n')[0]).toMatch(new RegExp(`^HTTP/1\\.1 ${status} [A-Z]`));
    expect(a.headers['x-shipgate-error']).toBe('bad-request');
    expect(a.headers.connection).toBe('close');
    expect(a.body.toString('utf8')).toBe(`${status} ${reason}\n`);
    await wire.closedByRouter();
    expect(up.received).toHaveLength(0);
    expect(up.connections.size).toBe(0);
    // The router is fine afterwards, and the instance sees only the next real request.
    const next = await dial(port);
    next.write(get('/echo?after=1'));
    expect(echoed(await next.answer()).url).toBe('/echo?after=1');
    expect(up.received.map((r) => r.url)).toEqual(['/echo?after=1']);
  });

  it('a chunked body whose bad size arrives after the head went out: 400, closed, the instance request broken off', async () => {
    const inst = await countingUpstream('a');
    const { port } = await routerFor([inst.backend]);
    const wire = await dial(port);
    const started = once(inst.events, 'request');
    wire.write('POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n');
    await started;
    const broken = once(inst.events, 'done') as Promise<[Counted]>;
    wire.write('-1\r\n');
    const a = await wire.answer();
    expect([a.status, a.headers['x-shipgate-error'], a.body.toString()]).toEqual([400, 'bad-request', '400 malformed chunked body: a chunk without a size\n']);
    await wire.closedByRouter();
    const [counted] = await broken;
    expect(counted.complete).toBe(false);
    expect(inst.done.filter((d) => d.complete)).toHaveLength(0);
  });

  it('answers 431 to a request head over 16 KiB, and closes', async () => {
    const { port, up } = await setup();
    const wire = await dial(port);
    wire.write(get('/', `X-Big: ${'a'.repeat(17 * 1024)}\r\n`));
    const a = await wire.answer();
    expect([a.status, a.headers['x-shipgate-error'], a.body.toString()]).toEqual([431, 'bad-request', '431 request head over 16384 bytes\n']);
    await wire.closedByRouter();
    expect(up.received).toHaveLength(0);
  });

  it('answers 431 once a head grows over 16 KiB without ending', async () => {
    const { port } = await setup();
    const wire = await dial(port);
    wire.write(`GET / HTTP/1.1\r\nHost: h\r\nX-Big: ${'a'.repeat(17 * 1024)}`);
    expect((await wire.answer()).status).toBe(431);
    await wire.closedByRouter();
  });

  it('accepts a head just under 16 KiB', async () => {
    const { port } = await setup();
    const wire = await dial(port);
    const text = get('/echo', `X-Big: ${'a'.repeat(16 * 1024 - 200)}\r\n`);
    expect(text.length).toBeLessThan(16 * 1024);
    wire.write(text);
    expect(echoed(await wire.answer()).url).toBe('/echo');
  });

  it('answers a head with bare LF line endings only with 400 (not a 408 after the head timeout)', async () => {
    // No CRLFCRLF ever comes, but the blank line (LF LF) ends the head for a lenient reader: refuse it now.
    const { port, up } = await setup({ timeouts: { head: 1 } });
    const wire = await dial(port);
    wire.write('GET /echo HTTP/1.1\nHost: h\n\n');
    const a = await wire.answer();
    expect([a.status, a.headers['x-shipgate-error']]).toEqual([400, 'bad-request']);
    expect(a.body.toString()).toMatch(/bare CR\/LF|line ending/);
    await wire.closedByRouter();
    expect(up.received).toHaveLength(0);
  });

  it('skips empty lines before a request line', async () => {
    const { port } = await setup();
    const wire = await dial(port);
    wire.write(`\r\n\r\n${get('/echo?n=1')}`);
    expect(echoed(await wire.answer()).url).toBe('/echo?n=1');
  });

  it('a client streaming empty lines does not stall the router for other clients', async () => {
    // Empty lines before a request line are skipped but must not pile up: 16 MiB of CRLF
    // take a router that handles them in linear time well under a second.
    const { port } = await setup();
    const flood = await dial(port);
    const lines = Buffer.from('\r\n'.repeat(512 * 1024)); // 1 MiB
    const started = Date.now();
    for (let i = 0; i < 16 && !flood.ended; i++) {
      if (!flood.socket.write(lines)) await Promise.race([once(flood.socket, 'drain'), flood.closed]);
    }
    const other = await dial(port);
    other.write(get('/echo?n=1'));
    expect(echoed(await other.answer('GET', 20_000)).url).toBe('/echo?n=1');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('router/http1: request-target forms', () => {
  it('an absolute-form target with another host reaches the instance in origin-form, with that host as Host and X-Forwarded-Host', async () => {
    const { port, up } = await setup();
    const wire = await dial(port);
    wire.write('GET http://evil.test/echo?x=1 HTTP/1.1\r\nHost: good.test\r\n\r\n');
    const e = echoed(await wire.answer());
    expect(e.url).toBe('/echo?x=1');
    expect(e.headers.host).toBe('evil.test');
    expect(e.headers['x-forwarded-host']).toBe('evil.test');
    expect(up.received.map((r) => r.rawHeaders.filter((_, i) => i % 2 === 0 && r.rawHeaders[i]!.toLowerCase() === 'host').length)).toEqual([1]);
    // The connection stays usable.
    wire.write(get('/echo?after=1'));
    expect(echoed(await wire.answer()).headers.host).toBe('app.test');
  });

  it('OPTIONS * reaches the instance as sent', async () => {
    const { port, up } = await setup();
    const wire = await dial(port);
    wire.write('OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n');
    await wire.answer();
    expect(up.received.map((r) => [r.method, r.url])).toEqual([['OPTIONS', '*']]);
  });
});

describe('router/http1: bodies and interim answers', () => {
  it('Expect: 100-continue: the client sees 100 Continue before the answer, and the instance gets the body', async () => {
    const { port, up } = await setup();
    const wire = await dial(port);
    wire.write('PUT /echo HTTP/1.1\r\nHost: app.test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    const interim = await wire.answer();
    expect(interim.head).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    expect(up.received).toHaveLength(0);
    wire.write('hello');
    const a = echoed(await wire.answer());
    expect([a.method, a.bodyBytes]).toEqual(['PUT', 5]);
    expect(up.received[0]!.headers.expect).toBeUndefined();
    // The connection stays usable.
    wire.write(get('/echo?n=2'));
    expect(echoed(await wire.answer()).url).toBe('/echo?n=2');
  });

  it('HEAD: the headers with Content-Length, no body bytes, and the connection stays usable', async () => {
    const { port, up } = await setup();
    const wire = await dial(port);
    wire.write('HEAD / HTTP/1.1\r\nHost: app.test\r\n\r\n');
    const a = await wire.answer('HEAD');
    expect([a.status, a.headers['content-length']]).toEqual([200, '11']);
    wire.write(get('/echo?after=head'));
    const next = await wire.answer();
    expect(echoed(next).url).toBe('/echo?after=head');
    expect(up.received.map((r) => r.method)).toEqual(['HEAD', 'GET']);
  });

  it('HEAD pipelined with a GET: the GET answer starts right after the HEAD answer', async () => {
    const { port } = await setup();
    const wire = await dial(port);
    wire.write(`HEAD / HTTP/1.1\r\nHost: app.test\r\n\r\n${get('/echo?n=2')}`);
    expect((await wire.answer('HEAD')).headers['content-length']).toBe('11');
    expect(echoed(await wire.answer()).url).toBe('/echo?n=2');
  });

  it('204 and 304 from the instance: no body (even with a Content-Length on the 304), the connection reusable on both sides', async () => {
    const raw = await rawUpstream('raw', (req, socket) => {
      if (req.target === '/204') socket.write('HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n');
      else if (req.target === '/304') socket.write('HTTP/1.1 304 Not Modified\r\nETag: "x"\r\nContent-Length: 100\r\n\r\n');
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
    const { port } = await routerFor([raw.backend]);
    const wire = await dial(port);
    wire.write(get('/204'));
    const noContent = await wire.answer();
    expect([noContent.status, noContent.headers['x-a'], noContent.headers.connection]).toEqual([204, '1', 'keep-alive']);
    wire.write(get('/304'));
    const notModified = await wire.answer();
    expect([notModified.status, notModified.headers.etag, notModified.headers['content-length']]).toEqual([304, '"x"', '100']);
    wire.write(get('/ok'));
    const ok = await wire.answer();
    expect([ok.status, ok.body.toString()]).toEqual([200, 'ok']);
    expect(wire.unread.length).toBe(0);
    expect(raw.requests.map((r) => r.target)).toEqual(['/204', '/304', '/ok']);
    expect(raw.accepted).toBe(1);
  });

  it('204 from a node:http instance: no body and the connection reusable', async () => {
    const { port, up } = await setup();
    const wire = await dial(port);
    up.status = 204;
    wire.write(get('/'));
    expect((await wire.answer()).status).toBe(204);
    up.status = 304;
    wire.write(get('/'));
    expect((await wire.answer()).status).toBe(304);
    up.status = 200;
    wire.write(get('/'));
    const a = await wire.answer();
    expect([a.status, a.body.toString()]).toEqual([200, 'instance a\n']);
  });

  it('relays a chunked answer with extensions and trailers byte for byte, and the connection stays usable', async () => {
    const framing = '5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: abc\r\nX-Other: 2\r\n\r\n';
    const raw = await rawUpstream('raw', (req, socket) => {
      if (req.target !== '/chunked') return void socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum, X-Other\r\nContent-Type: text/plain\r\n\r\n5;ext');
      setTimeout(() => socket.write(framing.slice(5, 20)), 5);
      setTimeout(() => socket.write(framing.slice(20)), 10);
    });
    const { port } = await routerFor([raw.backend]);
    const wire = await dial(port);
    wire.write(get('/chunked'));
    const a = await wire.answer();
    expect(a.status).toBe(200);
    expect(a.headers['transfer-encoding']).toBe('chunked');
    expect(a.headers.trailer).toBe('X-Sum, X-Other');
    expect(a.headers['content-length']).toBeUndefined();
    expect(a.raw.toString('latin1')).toBe(framing);
    expect(a.body.toString()).toBe('hello world');
    wire.write(get('/next'));
    expect((await wire.answer()).body.toString()).toBe('ok');
    expect(raw.accepted).toBe(1);
  });

  it('relays a close-delimited answer (HTTP/1.0, no Content-Length) whole, then closes the client connection', async () => {
    const body = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));
    const raw = await rawUpstream('raw', (_req, socket) => {
      socket.write('HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n');
      socket.write(body.subarray(0, 1000));
      setTimeout(() => socket.end(body.subarray(1000)), 5);
    });
    const { port, router } = await routerFor([raw.backend]);
    const wire = await dial(port);
    wire.write(get('/stream'));
    const a = await wire.answer();
    expect([a.status, a.headers.connection, a.headers['content-length'], a.headers['transfer-encoding']]).toEqual([200, 'close', undefined, undefined]);
    expect(a.body.length).toBe(body.length);
    expect(a.body.equals(body)).toBe(true);
    await wire.closed;
    expect(router.inFlight('raw')).toBe(0);
  });

  it('sends 103 Early Hints to an HTTP/1.1 client before the 200', async () => {
    const raw = await rawUpstream('raw', (_req, socket) => {
      socket.write('HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n');
      setTimeout(() => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'), 5);
    });
    const { port } = await routerFor([raw.backend]);
    const wire = await dial(port);
    wire.write(get('/'));
    const hints = await wire.answer();
    expect(hints.head).toBe('HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n');
    const a = await wire.answer();
    expect([a.status, a.body.toString()]).toEqual([200, 'ok']);
  });

  it('does not send 103 to an HTTP/1.0 client', async () => {
    const raw = await rawUpstream('raw', (_req, socket) => socket.write('HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    const { port } = await routerFor([raw.backend]);
    const wire = await dial(port);
    wire.write('GET / HTTP/1.0\r\n\r\n');
    const a = await wire.answer();
    expect([a.status, a.body.toString()]).toEqual([200, 'ok']);
  });

  it('answers 502 upstream-protocol to a garbage status line', async () => {
    const raw = await rawUpstream('raw', (_req, socket) => socket.write('HTTP/1.1 two hundred OK\r\nContent-Length: 2\r\n\r\nok'));
    const { port } = await routerFor([raw.backend]);
    const wire = await dial(port);
    wire.write(get('/'));
    const a = await wire.answer();
    expect([a.status, a.headers['x-shipgate-error']]).toEqual([502, 'upstream-protocol']);
    expect(a.body.toString()).toBe(`502 upstream v1/instance raw (127.0.0.1:${raw.backend.port}): invalid response: a malformed status line\n`);
  });

  it('answers 502 upstream-protocol to a status below 100 instead of relaying it as an interim answer', async () => {
    // Valid status codes are 100..599 (RFC 9110 15); `099` must not pass as a 1xx and reach the client as `HTTP/1.1 99`.
    const raw = await rawUpstream('raw', (_req, socket) => socket.write('HTTP/1.1 099 Odd\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    const { port } = await routerFor([raw.backend]);
    const wire = await dial(port);
    wire.write(get('/'));
    // parseHead throws on a status line that is not `HTTP/1.1 ddd reason`.
    const a = await wire.answer();
    expect([a.status, a.headers['x-shipgate-error']]).toEqual([502, 'upstream-protocol']);
  });
});

describe('router/http1: router errors on a kept connection', () => {
  it('a pipelined request after the router\'s own 503 is answered too', async () => {
    // The 503 keeps the connection, so the request that followed in the same write must be answered next.
    const up = await upstream();
    const { port } = await routerFor([backendOf(up, 'v1', { ready: false })]);
    const wire = await dial(port);
    wire.write(get('/one') + get('/two'));
    const first = await wire.answer();
    expect([first.status, first.headers['x-shipgate-error'], first.headers.connection]).toEqual([503, 'no-ready-instance', 'keep-alive']);
    const second = await wire.answer('GET', 1000); // answered at once when it works
    expect(second.status).toBe(503);
  });

  it('a router error to a HEAD request has no body, so the next answer on the connection parses', async () => {
    // A HEAD answer never has a body (RFC 9110 9.3.2): body bytes after it would be read as the next answer's head.
    const dead: Backend = { id: 'dead', version: 'v1', host: '127.0.0.1', port: await refusedPort(), ready: true, draining: false };
    const { port } = await routerFor([dead], { retry: false });
    const wire = await dial(port);
    wire.write('HEAD / HTTP/1.1\r\nHost: app.test\r\n\r\n');
    const a = await wire.answer('HEAD');
    expect([a.status, a.headers['x-shipgate-error'], a.headers.connection]).toEqual([502, 'upstream-connect', 'keep-alive']);
    wire.write(get('/'));
    const next = await wire.answer();
    expect([next.status, next.headers['x-shipgate-error']]).toEqual([502, 'upstream-connect']);
  });
});

describe('router/http1: stale keep-alive connections to an instance', () => {
  it('a node:http instance that closes idle connections sooner than it announces: GET and POST each succeed once', async () => {
    const inst = await countingUpstream('a', { connection: 'keep-alive', 'keep-alive': 'timeout=30' });
    inst.server.keepAliveTimeout = 30;
    const { port } = await routerFor([inst.backend]);
    const wire = await dial(port);
    wire.write(get('/one'));
    expect((await wire.answer()).status).toBe(200);
    await until(() => inst.open.size === 0, inst.events, 'disconnect'); // the instance dropped the idle connection
    wire.write(get('/two'));
    const second = await wire.answer();
    expect(second.status).toBe(200);
    await until(() => inst.open.size === 0, inst.events, 'disconnect');
    wire.write('POST /post HTTP/1.1\r\nHost: app.test\r\nContent-Length: 5\r\n\r\nhello');
    const post = await wire.answer();
    const posts = inst.done.filter((d) => d.method === 'POST');
    if (post.status === 200) expect(posts).toHaveLength(1);
    else expect([post.status, posts.length]).toEqual([502, 0]);
    expect(inst.done.filter((d) => d.method === 'GET').map((d) => d.url)).toEqual(['/one', '/two']);
  });

  it('a reused connection the instance closes as the request arrives: the GET is retried on a new connection, the POST is not', async () => {
    // Answers the first request of each connection; drops the connection on any later one (the keep-alive race).
    const raw = await rawUpstream('raw', (_req, socket, nth) => {
      if (nth > 0) return void socket.destroy();
      socket.write('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=30\r\nContent-Length: 2\r\n\r\nok');
    });
    const { port } = await routerFor([raw.backend]);
    const wire = await dial(port);
    wire.write(get('/one'));
    expect((await wire.answer()).status).toBe(200);
    wire.write(get('/two'));
    const two = await wire.answer();
    expect([two.status, two.body.toString()]).toEqual([200, 'ok']);
    expect(raw.requests.map((r) => r.target)).toEqual(['/one', '/two', '/two']);
    expect(raw.accepted).toBe(2);
    wire.write('POST /post HTTP/1.1\r\nHost: app.test\r\nContent-Length: 5\r\n\r\nhello');
    const post = await wire.answer();
    expect([post.status, post.headers['x-shipgate-error']]).toEqual([502, 'upstream-reset']);
    expect(post.body.toString()).toMatch(/connection closed before a complete response/);
    expect(raw.requests.filter((r) => r.method === 'POST')).toHaveLength(1); // arrived once, on the dropped connection
    expect(raw.accepted).toBe(2);
    // The client connection is still good.
    wire.write(get('/three'));
    expect((await wire.answer()).status).toBe(200);
  });
});

describe('router/http1: large uploads', () => {
  const SIZE = 5 * 1024 * 1024;
  const payload = Buffer.alloc(SIZE);
  for (let i = 0; i < SIZE; i++) payload[i] = (i * 7 + (i >> 11)) & 0xff;

  async function upload(port: number, method: string, chunked: boolean): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = chunked ? {} : { 'content-length': SIZE };
      const req = request({ host: '127.0.0.1', port, path: '/upload', method, headers, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      for (let at = 0; at < SIZE; at += 100_000) req.write(payload.subarray(at, Math.min(SIZE, at + 100_000)));
      req.end();
    });
  }

  it('a 5 MB PUT with Content-Length and a 5 MB chunked POST arrive intact', async () => {
    const inst = await countingUpstream('a');
    const { port } = await routerFor([inst.backend], { bodyLimit: 8 * 1024 * 1024 });
    const expected = { bytes: SIZE, sha256: sha256(payload) };
    const put = await upload(port, 'PUT', false);
    expect([put.status, JSON.parse(put.body)]).toEqual([200, expected]);
    const post = await upload(port, 'POST', true);
    expect([post.status, JSON.parse(post.body)]).toEqual([200, expected]);
    expect(inst.done.map((d) => [d.method, d.bytes, d.complete])).toEqual([
      ['PUT', SIZE, true],
      ['POST', SIZE, true],
    ]);
  });
});

describe('router/http1: timeouts', () => {
  it('answers 408 to a head that stops halfway, and closes', async () => {
    const { port, up } = await setup({ timeouts: { head: 1 } });
    const wire = await dial(port);
    const started = Date.now();
    wire.write('GET /echo HTTP/1.1\r\nHost: app.te');
    const a = await wire.answer('GET', 3500);
    expect([a.status, a.headers['x-shipgate-error'], a.body.toString()]).toEqual([408, 'request-timeout', '408 no complete request head within 1 s\n']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await wire.closedByRouter();
    expect(up.received).toHaveLength(0);
  });

  it('answers 408 to a request body that stops halfway, breaks off the request to the instance, and closes', async () => {
    const inst = await countingUpstream('a');
    const { port, router } = await routerFor([inst.backend], { timeouts: { head: 1 } });
    const wire = await dial(port);
    wire.write('PUT /upload HTTP/1.1\r\nHost: app.test\r\nContent-Length: 1000\r\n\r\n' + 'x'.repeat(400));
    const started = Date.now();
    const a = await wire.answer('PUT', 3500);
    expect([a.status, a.headers['x-shipgate-error'], a.body.toString()]).toEqual([408, 'request-timeout', '408 no request body bytes for 1 s\n']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await wire.closedByRouter();
    expect(router.inFlight('a')).toBe(0);
    await until(() => inst.done.length === 1, inst.events, 'done');
    expect(inst.done[0]).toMatchObject({ bytes: 400, complete: false }); // the instance saw the request broken off
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const { port } = await setup({ timeouts: { keepAlive: 1 } });
    const wire = await dial(port);
    wire.write(get('/'));
    const a = await wire.answer();
    expect(a.headers['keep-alive']).toBe('timeout=1');
    const idleSince = Date.now();
    await wire.closedByRouter(3500);
    expect(Date.now() - idleSince).toBeGreaterThanOrEqual(900);
  });

  it('answers 504 upstream-timeout when the instance does not answer in time', async () => {
    const { port, up } = await setup({ timeouts: { response: 1 } });
    const wire = await dial(port);
    wire.write(get('/hold'));
    await up.arrival('/hold');
    const a = await wire.answer('GET', 3500);
    expect([a.status, a.headers['x-shipgate-error']]).toEqual([504, 'upstream-timeout']);
    expect(a.body.toString()).toBe(`504 upstream v1/instance a (127.0.0.1:${up.port}): no response in time\n`);
    await up.idle(); // the router gave up on that connection
  });
});

describe('router/http1: client going away', () => {
  it('closes the connection to the instance when the client disconnects mid-upload', async () => {
    const inst = await countingUpstream('a');
    const { router, port } = await routerFor([inst.backend], { bodyLimit: 1024 * 1024 });
    const wire = await dial(port);
    const started = once(inst.events, 'request');
    wire.write(`PUT /upload HTTP/1.1\r\nHost: app.test\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(10_000)}`);
    await started;
    expect(router.inFlight('a')).toBe(1);
    const aborted = once(inst.events, 'done') as Promise<[Counted]>;
    wire.socket.destroy();
    const [counted] = await aborted;
    expect(counted.complete).toBe(false);
    expect(counted.bytes).toBeLessThan(100_000);
    await until(() => inst.open.size === 0, inst.events, 'disconnect');
    expect(router.inFlight('a')).toBe(0);
  });
});
