/**
 * A small app instance for router tests: a real HTTP server on 127.0.0.1:0
 * that names itself in `x-instance`, records what it received, and can answer
 * with a set status or latency, hold requests until released, stream
 * server-sent events on demand, and echo WebSocket messages.
 *
 *   GET /anything  200 `instance <id>` (or `status`), after `latencyMs`
 *   ANY /echo      JSON: method, url, headers, body length
 *   GET /hold      waits until `release()`
 *   GET /sse       an event stream; push with `sse.send(data)`, end with `sse.end()`
 *   GET /hop       answers with hop-by-hop headers (Keep-Alive, Connection: x-secret) besides x-kept
 *   GET /big?bytes=N  N bytes of a repeating pattern, chunked, written with backpressure
 *   Upgrade: websocket   echoes text frames
 */
import { createHash } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { createServer, request, type Agent, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { Backend } from '../../src/agent/contract.js';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  bodyBytes: number;
}

export interface UpstreamOptions {
  id: string;
  status?: number;
  latencyMs?: number;
}

export interface Upstream {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly server: Server;
  /** Status of plain requests. */
  status: number;
  /** Delay before answering plain requests (a real timer: the instance is slow, nobody waits on it in a test). */
  latencyMs: number;
  readonly received: ReceivedRequest[];
  /** Open client connections (the router's keep-alive sockets among them). */
  readonly connections: Set<Socket>;
  /** Emits `request` (ReceivedRequest) as each request arrives, before it is answered; `disconnect` when a connection closes; `sse` and `sse-closed` as event streams open and close. */
  readonly events: EventEmitter;
  /** Resolves with the next request to `path` that arrives (or has arrived and is held). */
  arrival(path: string): Promise<ReceivedRequest>;
  /** Answers every held `/hold` request. */
  release(): void;
  readonly sse: { send(data: string): void; end(): void; connected(): Promise<void> };
  /** Resolves once no client connection is open. */
  idle(): Promise<void>;
  /** Closes the server and every connection (the instance "crashes"). */
  close(): Promise<void>;
}

export async function startUpstream(opts: UpstreamOptions): Promise<Upstream> {
  const events = new EventEmitter();
  const held: ServerResponse[] = [];
  const streams: ServerResponse[] = [];
  const raw = new Set<Socket>();
  const server = createServer();
  const connections = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => {
      connections.delete(socket);
      events.emit('disconnect');
    });
  });
  const up: Upstream = {
    id: opts.id,
    host: '127.0.0.1',
    port: 0,
    server,
    status: opts.status ?? 200,
    latencyMs: opts.latencyMs ?? 0,
    received: [],
    connections,
    events,
    arrival: (path) => arrival(events, up.received, path),
    release: () => held.splice(0).forEach((res) => plain(res, up, 200)),
    sse: {
      send: (data) => streams.forEach((res) => res.write(`data: ${data}\n\n`)),
      end: () => streams.splice(0).forEach((res) => res.end()),
      connected: () => (streams.length > 0 ? Promise.resolve() : once(events, 'sse').then(() => undefined)),
    },
    idle: () => until(() => connections.size === 0, events, 'disconnect'),
    close: () => closeAll(server, raw),
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => void handle(up, req, res, held, streams));
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    raw.add(socket);
    socket.once('close', () => raw.delete(socket));
    websocketEcho(up, req, socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (up as { port: number }).port = (server.address() as AddressInfo).port;
  return up;
}

async function handle(up: Upstream, req: IncomingMessage, res: ServerResponse, held: ServerResponse[], streams: ServerResponse[]): Promise<void> {
  let bodyBytes = 0;
  for await (const chunk of req) bodyBytes += (chunk as Buffer).length;
  const record: ReceivedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, bodyBytes };
  up.received.push(record);
  const path = record.url.split('?')[0];
  if (path === '/hold') held.push(res);
  if (path === '/sse') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-instance': up.id });
    res.flushHeaders();
    streams.push(res);
    res.once('close', () => {
      streams.splice(streams.indexOf(res) >>> 0, 1);
      up.events.emit('sse-closed');
    });
    up.events.emit('sse');
  }
  up.events.emit('request', record);
  if (path === '/hold' || path === '/sse') return;
  if (path === '/echo') {
    const body = JSON.stringify({ method: record.method, url: record.url, headers: record.headers, bodyBytes });
    res.writeHead(200, { 'content-type': 'application/json', 'x-instance': up.id });
    res.end(body);
    return;
  }
  if (path === '/big') {
    const bytes = Number(new URL(record.url, 'http://x').searchParams.get('bytes'));
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-instance': up.id });
    await writePattern(res, bytes);
    return;
  }
  if (path === '/hop') {
    res.writeHead(200, { connection: 'keep-alive, x-secret', 'x-secret': 'hop', 'keep-alive': 'timeout=5', 'proxy-connection': 'keep-alive', 'x-kept': 'yes', 'x-instance': up.id, 'content-length': 2 });
    res.end('ok');
    return;
  }
  if (up.latencyMs > 0) await new Promise((r) => setTimeout(r, up.latencyMs));
  plain(res, up, up.status);
}

/** `bytes` bytes of 0..250 repeating, in 64 KiB writes that wait for 'drain'. */
async function writePattern(res: ServerResponse, bytes: number): Promise<void> {
  const chunk = Buffer.from(Array.from({ length: 65_000 }, (_, i) => i % 251));
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    if (!res.write(chunk.subarray(0, Math.min(chunk.length, bytes - sent)))) await once(res, 'drain');
  }
  res.end();
}

function plain(res: ServerResponse, up: Upstream, status: number): void {
  const body = `instance ${up.id}\n`;
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), 'x-instance': up.id });
  res.end(body);
}

function arrival(events: EventEmitter, received: ReceivedRequest[], path: string): Promise<ReceivedRequest> {
  const seen = received.length;
  return new Promise((resolve) => {
    const onRequest = (r: ReceivedRequest): void => {
      if (r.url.split('?')[0] !== path || received.indexOf(r) < seen) return;
      events.off('request', onRequest);
      resolve(r);
    };
    events.on('request', onRequest);
  });
}

/** Resolves once `check()` holds, testing it again each time `emitter` emits `event`. */
export function until(check: () => boolean, emitter: EventEmitter, event: string): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve) => {
    const onEvent = (): void => {
      if (!check()) return;
      emitter.off(event, onEvent);
      resolve();
    };
    emitter.on(event, onEvent);
  });
}

async function closeAll(server: Server, raw: Set<Socket>): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  for (const socket of raw) socket.destroy();
  await closed;
}

/** The WebSocket handshake, then every text frame from the client comes back (unmasked). */
function websocketEcho(up: Upstream, req: IncomingMessage, socket: Socket): void {
  const key = req.headers['sec-websocket-key'] ?? '';
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nX-Instance: ${up.id}\r\n\r\n`);
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (let frame = readFrame(buffered); frame !== null; frame = readFrame(buffered)) {
      buffered = buffered.subarray(frame.size);
      if (frame.opcode === 0x8) return void socket.end(encodeFrame('', 0x8));
      socket.write(encodeFrame(frame.payload.toString('utf8')));
    }
  });
  socket.on('error', () => socket.destroy());
}

/** One WebSocket frame from `buf` (payloads up to 64 KiB), or null when incomplete. */
export function readFrame(buf: Buffer): { opcode: number; payload: Buffer; size: number } | null {
  if (buf.length < 2) return null;
  const opcode = buf[0]! & 0x0f;
  const masked = (buf[1]! & 0x80) !== 0;
  let len = buf[1]! & 0x7f;
  let at = 2;
  if (len === 126) {
    if (buf.length < 4) return null;
    len = buf.readUInt16BE(2);
    at = 4;
  }
  const maskAt = at;
  if (masked) at += 4;
  if (buf.length < at + len) return null;
  const payload = Buffer.from(buf.subarray(at, at + len));
  if (masked) for (let i = 0; i < len; i++) payload[i]! ^= buf[maskAt + (i % 4)]!;
  return { opcode, payload, size: at + len };
}

/** A final frame (text by default); `mask` for client-to-server frames. */
export function encodeFrame(text: string, opcode = 0x1, mask = false): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, (mask ? 0x80 : 0) | len]) : Buffer.from([0x80 | opcode, (mask ? 0x80 : 0) | 126, len >> 8, len & 0xff]);
  if (!mask) return Buffer.concat([head, payload]);
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const body = Buffer.from(payload.map((b, i) => b ^ key[i % 4]!));
  return Buffer.concat([head, key, body]);
}

/** A port on 127.0.0.1 where nothing listens (connections are refused). */
export async function refusedPort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export interface SimpleResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request with node:http (headers sent exactly as given, a fresh connection unless `agent` keeps one). */
export function send(
  url: string,
  opts: { method?: string; headers?: OutgoingHttpHeaders; body?: string | Buffer; agent?: Agent } = {},
): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: opts.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The routing-table entry for `up` as an instance of `version`. */
export function backendOf(up: Upstream, version: string, extra: Partial<Backend> = {}): Backend {
  return { id: up.id, version, host: up.host, port: up.port, ready: true, draining: false, ...extra };
}

/** Listens on 127.0.0.1:0 and returns the base URL. */
export async function listenLocal(server: NetServer): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
