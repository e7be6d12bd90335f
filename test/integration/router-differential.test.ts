/**
 * The router's framing end to end, as properties: random requests are
 * pipelined on ONE raw client connection, cut at random write boundaries (so
 * heads, bodies, chunk lines and trailers straddle packets), and a strict
 * HTTP/1.1 response reader on the client checks every answer, their order and
 * number, and that nothing else comes on the wire.
 *
 * 1. A node:http instance answers each request with what it received
 *    (method, url, every header, trailers, body length and sha256) in an
 *    `x-echo` header and, when the answer has a body, in the body too; the
 *    answer's framing (Content-Length, chunked in pieces with or without
 *    trailers, 204, 304) follows from the path, so the client knows what to
 *    expect.
 * 2. A raw TCP instance answers with arbitrary valid framings of its own
 *    (Content-Length with leading zeros, chunked with extensions and trailers,
 *    interim 100/103 answers, HTTP/1.0 answers, `Connection: close`, 304s with
 *    framing headers), written in random pieces: the client must get each
 *    body byte for byte, the chunked framing unchanged, and the connection
 *    must stay in step.
 * 3. A pipelined upload larger than what the router buffers behind a slow
 *    answer (a bug the properties' small bodies cannot reach).
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRouter, type Router } from '../../src/agent/router/index.js';
import { SocketReader } from '../support/socket-reader.js';
import { listenLocal } from '../support/upstream.js';

/** How long one read from the router may take before the run fails with what it got. */
const WAIT_MS = 3000;
const ID = 'inst';
const KEEP_ALIVE: Field[] = [
  ['connection', 'keep-alive'],
  ['keep-alive', 'timeout=5'],
];

type Field = [name: string, value: string];

// ---------------------------------------------------------------- a strict raw client

/** `name: value` with printable ASCII and HTAB only; the value without its surrounding whitespace. */
const FIELD_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*([\t\x20-\x7e]*?)[ \t]*$/;
const STATUS_LINE = /^HTTP\/1\.1 ([1-5]\d\d) ([\t\x20-\x7e]*)$/;
const CHUNK_LINE = /^([0-9A-Fa-f]{1,15})[ \t]*(;[\t\x20-\x7e]*)?$/;

interface ReplyHead {
  status: number;
  reason: string;
  /** Every header as received, in order (values trimmed). */
  fields: Field[];
}

interface Reply extends ReplyHead {
  /** The payload (chunked framing removed). */
  body: Buffer;
  /** The body bytes exactly as received (chunked framing and trailers included). */
  raw: Buffer;
  trailers: Field[];
}

class Client extends SocketReader {
  constructor(socket: Socket) {
    super(socket, WAIT_MS);
  }

  /** Writes `data` cut at `cuts`, one piece per turn of the event loop (so the router reads them apart). */
  async writeInPieces(data: Buffer, cuts: readonly number[]): Promise<void> {
    for (const piece of pieces(data, cuts)) {
      this.socket.write(piece);
      await nextTurn();
    }
  }

  /** One answer to a `method` request: 1xx, HEAD, 204 and 304 have no body; others must be framed (the connection stays). */
  async reply(method: string): Promise<Reply> {
    const head = await this.take('a response head', parseHead);
    const none = { ...head, body: Buffer.alloc(0), raw: Buffer.alloc(0), trailers: [] };
    if (head.status < 200) return none;
    const lengths = values(head.fields, 'content-length');
    const codings = values(head.fields, 'transfer-encoding');
    if (lengths.length > 1 || codings.length > 1) throw new Error(`repeated framing headers: ${JSON.stringify(head.fields)}`);
    if (lengths.length === 1 && codings.length === 1) throw new Error(`both Content-Length and Transfer-Encoding: ${JSON.stringify(head.fields)}`);
    if (lengths.length === 1 && !/^\d{1,15}$/.test(lengths[0]!)) throw new Error(`a bad Content-Length ${JSON.stringify(lengths[0])}`);
    if (method === 'HEAD' || head.status === 204 || head.status === 304) return none;
    if (codings.length === 1) {
      if (!/(^|,)[ \t]*chunked$/i.test(codings[0]!)) throw new Error(`a Transfer-Encoding not ending in chunked: ${codings[0]}`);
      const chunked = await this.take('a chunked body', parseChunked);
      return { ...head, ...chunked };
    }
    if (lengths.length === 0) throw new Error(`an answer without framing on a kept connection: ${JSON.stringify(head)}`);
    const n = Number(lengths[0]);
    const body = await this.take(`a body of ${n} bytes`, (buf) => (buf.length >= n ? { used: n, value: Buffer.from(buf.subarray(0, n)) } : null));
    return { ...head, body, raw: body, trailers: [] };
  }

  /** Half-closes the connection and returns what the router still sent before it closed its side too. */
  async finish(): Promise<Buffer> {
    this.socket.end();
    return this.take('the router closing the connection', (buf, ended) => (ended ? { used: buf.length, value: Buffer.from(buf) } : null));
  }
}

function values(fields: readonly Field[], name: string): string[] {
  return fields.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);
}

function parseHead(buf: Buffer): { used: number; value: ReplyHead } | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) {
    if (buf.length > 64 * 1024) throw new Error('a response head over 64 KiB');
    return null;
  }
  const [line, ...lines] = buf.toString('latin1', 0, end).split('\r\n');
  const m = STATUS_LINE.exec(line!);
  if (m === null) throw new Error(`not a strict status line: ${JSON.stringify(line)}`);
  return { used: end + 4, value: { status: Number(m[1]), reason: m[2]!, fields: lines.map(fieldLine) } };
}

function fieldLine(line: string): Field {
  const m = FIELD_LINE.exec(line);
  if (m === null) throw new Error(`not a strict header line: ${JSON.stringify(line)}`);
  return [m[1]!, m[2]!];
}

/** A complete chunked body at the start of `buf`, strictly framed. */
function parseChunked(buf: Buffer): { used: number; value: { body: Buffer; raw: Buffer; trailers: Field[] } } | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', at);
    if (eol < 0) return null;
    const line = buf.toString('latin1', at, eol);
    const m = CHUNK_LINE.exec(line);
    if (m === null) throw new Error(`a bad chunk size line: ${JSON.stringify(line)}`);
    const size = parseInt(m[1]!, 16);
    at = eol + 2;
    if (size === 0) break;
    if (buf.length < at + size + 2) return null;
    parts.push(buf.subarray(at, at + size));
    if (buf[at + size] !== 13 || buf[at + size + 1] !== 10) throw new Error('chunk data not followed by CRLF');
    at += size + 2;
  }
  const trailers: Field[] = [];
  for (;;) {
    const eol = buf.indexOf('\r\n', at);
    if (eol < 0) return null;
    if (eol === at) break;
    trailers.push(fieldLine(buf.toString('latin1', at, eol)));
    at = eol + 2;
  }
  const used = at + 2;
  return { used, value: { body: Buffer.concat(parts), raw: Buffer.from(buf.subarray(0, used)), trailers } };
}

/** `data` cut at the (sorted, distinct) positions `cuts` (taken modulo its length). */
function pieces(data: Buffer, cuts: readonly number[]): Buffer[] {
  if (data.length === 0) return [];
  const points = [...new Set(cuts.map((c) => c % data.length).filter((c) => c > 0))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const to of [...points, data.length]) {
    out.push(data.subarray(from, to));
    from = to;
  }
  return out;
}

async function dial(port: number): Promise<Client> {
  const socket = connect({ host: '127.0.0.1', port, noDelay: true });
  await once(socket, 'connect');
  return new Client(socket);
}

/**
 * Runs `fn` against a router whose table holds one instance on `instancePort`;
 * closes everything after. A failure also names what went wrong in the instance.
 */
async function throughRouter(instancePort: number, instanceErrors: readonly unknown[], fn: (router: Router, client: Client) => Promise<void>): Promise<void> {
  const router = createRouter({ stickyCookie: false, versionHeader: true, bodyLimit: 1024 * 1024, retry: true });
  router.setTable({ weights: { v1: 100 }, backends: [{ id: ID, version: 'v1', host: '127.0.0.1', port: instancePort, ready: true, draining: false }] });
  const url = await listenLocal(router.server);
  const client = await dial(Number(new URL(url).port));
  try {
    await fn(router, client);
  } catch (err) {
    if (instanceErrors.length === 0) throw err;
    throw new Error(`${err instanceof Error ? err.message : String(err)}; the instance: ${instanceErrors.map(String).join('; ')}`, { cause: err });
  } finally {
    client.socket.destroy();
    await router.close();
  }
}

async function listening<T extends NetServer>(server: T): Promise<{ server: T; port: number; accepted: () => number; close: () => Promise<void> }> {
  let accepted = 0;
  const open = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    accepted++;
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    accepted: () => accepted,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of open) socket.destroy();
      await closed;
    },
  };
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

const trimOws = (value: string): string => value.replace(/^[ \t]+|[ \t]+$/g, '');

// ---------------------------------------------------------------- shared arbitraries

const TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** Hop-by-hop, framing and routing headers: the properties' random headers avoid them. */
const RESERVED = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'trailer',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'upgrade',
  'expect',
  'proxy-authenticate',
  'proxy-authorization',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-shipgate-version',
  'cookie',
]);

const token = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength });
const fieldName = fc
  .oneof(fc.constantFrom('Accept', 'User-Agent', 'X-Request-Id', 'Cache-Control', 'Content-Type', 'If-None-Match', 'Authorization', 'x-a', 'X-A'), token(16))
  .filter((name) => !RESERVED.has(name.toLowerCase()));
const printable = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
const valueText = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: fc.oneof({ weight: 12, arbitrary: printable }, { weight: 1, arbitrary: fc.constant('\t') }), maxLength, size: 'max' });
const ows = fc.constantFrom('', '', ' ', '\t', '  ', ' \t');

/** A header or trailer line as sent: `name:` then whitespace, the value, whitespace. */
interface FieldSpec {
  name: string;
  value: string;
  pre: string;
  post: string;
}
const fieldSpec: fc.Arbitrary<FieldSpec> = fc.record({ name: fieldName, value: valueText(40), pre: ows, post: ows });
const lineOf = (f: FieldSpec): string => `${f.name}:${f.pre}${f.value}${f.post}\r\n`;
/** The field as a parser sees it (surrounding whitespace gone). */
const fieldSeen = (f: FieldSpec): Field => [f.name, trimOws(f.pre + f.value + f.post)];

/** How a chunk-size line is written: hex case, leading zeros, extensions. */
interface SizeStyle {
  upper: boolean;
  zeros: number;
  ext: string;
}

/** `size` as a chunk-size line (without its CRLF). */
function sizeLine(size: number, style: SizeStyle): string {
  const hex = size.toString(16);
  return `${'0'.repeat(style.zeros)}${style.upper ? hex.toUpperCase() : hex}${style.ext}`;
}

/** A chunked encoding of `data`: chunks cut at `cuts`, size lines styled round robin, then the last chunk and trailers. */
function chunkedBytes(data: Buffer, cuts: readonly number[], styles: readonly SizeStyle[], last: SizeStyle, trailers: readonly FieldSpec[]): Buffer {
  const out: Buffer[] = [];
  pieces(data, cuts).forEach((piece, i) => out.push(Buffer.from(`${sizeLine(piece.length, styles[i % styles.length]!)}\r\n`, 'latin1'), piece, Buffer.from('\r\n')));
  out.push(Buffer.from(`${sizeLine(0, last)}\r\n${trailers.map(lineOf).join('')}\r\n`, 'latin1'));
  return Buffer.concat(out);
}

// ---------------------------------------------------------------- 1. a node:http instance that echoes what it got

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS'] as const;
type Method = (typeof METHODS)[number];

/**
 * The instance's answer framing, by the path's first segment: `j` JSON with
 * Content-Length, `b` binary with Content-Length written in pieces, `c`
 * binary chunked in pieces (sometimes with a trailer), `n` 204, `m` 304
 * (sometimes with a Content-Length).
 */
type Mode = 'j' | 'b' | 'c' | 'n' | 'm';

/** What the instance received, as it reports it. */
interface Summary {
  method: string;
  url: string;
  /** [lower-case name, value] in the order received. */
  headers: Field[];
  trailers: Field[];
  bodyBytes: number;
  sha256: string;
}

interface AnswerPlan {
  mode: Mode;
  status: number;
  /** Binary bytes after the summary line (modes b and c). */
  filler: Buffer;
  /** Writes of the body (modes b and c). */
  writes: number;
  /** Mode c: an `X-Body-Sha256` trailer. */
  trailer: boolean;
  /** Mode m: a Content-Length on the 304. */
  lengthOn304: boolean;
}

/** The answer for `url`, derived from the url alone (the client computes it too). */
function planFor(url: string): AnswerPlan {
  const h = createHash('sha256').update(url).digest();
  const mode = url[1] as Mode;
  const status = mode === 'n' ? 204 : mode === 'm' ? 304 : [200, 201, 202, 404, 409][h[0]! % 5]!;
  const length = h[1]! % 5 === 0 ? h.readUInt16BE(2) % 40_000 : h.readUInt16BE(2) % 3000;
  const filler = Buffer.alloc(length);
  for (let i = 0; i < length; i++) filler[i] = h[i % 32]! ^ ((i * 131) >>> 3);
  return { mode, status, filler, writes: 1 + (h[4]! % 6), trailer: h[5]! % 2 === 1, lengthOn304: h[6]! % 2 === 1 };
}

/** The body of an answer that has one: the summary as JSON (mode j), or that line and the filler (b, c). */
function bodyFor(summary: Summary, plan: AnswerPlan): Buffer {
  const json = Buffer.from(JSON.stringify(summary));
  return plan.mode === 'j' ? json : Buffer.concat([json, Buffer.from('\n'), plan.filler]);
}

function lowerPairs(raw: readonly string[]): Field[] {
  const out: Field[] = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
  return out;
}

async function echoInstance(): Promise<Awaited<ReturnType<typeof listening>> & { received: Summary[]; errors: unknown[] }> {
  const received: Summary[] = [];
  const errors: unknown[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
    });
    req.on('end', () => {
      const summary: Summary = { method: req.method ?? '', url: req.url ?? '', headers: lowerPairs(req.rawHeaders), trailers: lowerPairs(req.rawTrailers), bodyBytes: bytes, sha256: hash.digest('hex') };
      received.push(summary);
      answer(res, summary).catch((err: unknown) => errors.push(err));
    });
  });
  server.on('clientError', (err: Error, socket: Socket) => {
    errors.push(err);
    socket.destroy();
  });
  return { ...(await listening(server)), received, errors };
}

async function answer(res: ServerResponse, summary: Summary): Promise<void> {
  const plan = planFor(summary.url);
  const echo = Buffer.from(JSON.stringify(summary)).toString('base64');
  if (plan.mode === 'n' || plan.mode === 'm') {
    res.writeHead(plan.status, { 'x-echo': echo, ...(plan.mode === 'm' && plan.lengthOn304 ? { 'content-length': plan.filler.length } : {}) });
    res.end();
    return;
  }
  const body = bodyFor(summary, plan);
  if (plan.mode === 'j') {
    res.writeHead(plan.status, { 'content-type': 'application/json', 'content-length': body.length, 'x-echo': echo });
    res.end(body);
    return;
  }
  const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream', 'x-echo': echo };
  if (plan.mode === 'b') headers['content-length'] = body.length;
  const trailer = plan.mode === 'c' && plan.trailer && summary.method !== 'HEAD'; // node:http refuses trailers on a HEAD answer
  if (trailer) headers.trailer = 'X-Body-Sha256';
  res.writeHead(plan.status, headers);
  const step = Math.ceil(body.length / plan.writes);
  for (let at = 0; at < body.length; at += step) {
    res.write(body.subarray(at, at + step));
    await nextTurn();
  }
  if (trailer) res.addTrailers({ 'X-Body-Sha256': sha256(body) });
  res.end();
}

interface BodySpec {
  bytes: Uint8Array;
  chunked: boolean;
  /** Where the body is cut into chunks. */
  cuts: number[];
  styles: SizeStyle[];
  last: SizeStyle;
  trailers: FieldSpec[];
  /** The framing header's name and value as written. */
  lengthName: string;
  lengthZeros: number;
  codingName: string;
  coding: string;
}

interface RequestSpec {
  method: Method;
  path: string;
  host: string;
  fields: FieldSpec[];
  /** Where Host and the framing header go among the fields. */
  hostAt: number;
  framingAt: number;
  body: BodySpec | null;
  /** An empty line before the request line (RFC 9112 2.2 lets a server skip it). */
  crlfBefore: boolean;
}

/** Extensions node:http accepts: `;name`, `;name=token`, `;name="quoted"`. */
const chunkExt = fc
  .array(
    fc.record({
      name: token(8),
      value: fc.option(fc.oneof(token(8), fc.string({ unit: fc.oneof(printable.filter((c) => c !== '"' && c !== '\\'), fc.constant('\t')), maxLength: 12 }).map((s) => `"${s}"`)), { nil: null }),
    }),
    { maxLength: 2 },
  )
  .map((exts) => exts.map(({ name, value }) => (value === null ? `;${name}` : `;${name}=${value}`)).join(''));
const sizeStyle: fc.Arbitrary<SizeStyle> = fc.record({ upper: fc.boolean(), zeros: fc.constantFrom(0, 0, 0, 1, 2), ext: fc.oneof({ weight: 2, arbitrary: fc.constant('') }, { weight: 1, arbitrary: chunkExt }) });
const trailerSpec = fieldSpec.filter((f) => !f.name.toLowerCase().startsWith('content-'));

const bodySpec: fc.Arbitrary<BodySpec> = fc.record({
  bytes: fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 3000, size: 'max' })),
  chunked: fc.boolean(),
  cuts: fc.array(fc.nat(), { maxLength: 6 }),
  styles: fc.array(sizeStyle, { minLength: 1, maxLength: 3 }),
  last: sizeStyle,
  trailers: fc.oneof({ weight: 3, arbitrary: fc.constant<FieldSpec[]>([]) }, { weight: 1, arbitrary: fc.array(trailerSpec, { minLength: 1, maxLength: 2 }) }),
  lengthName: fc.constantFrom('Content-Length', 'content-length', 'CONTENT-LENGTH'),
  lengthZeros: fc.constantFrom(0, 0, 0, 1, 3),
  codingName: fc.constantFrom('Transfer-Encoding', 'transfer-encoding'),
  coding: fc.constantFrom('chunked', 'chunked', 'Chunked'),
});

const pchar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&\'()*+,;=:@');
const pathArb = fc
  .record({
    mode: fc.oneof({ weight: 3, arbitrary: fc.constantFrom<Mode>('j', 'b', 'c') }, { weight: 1, arbitrary: fc.constantFrom<Mode>('n', 'm') }),
    segment: fc.string({ unit: fc.oneof(pchar, fc.constant('/')), maxLength: 20 }),
    query: fc.string({ unit: fc.oneof(pchar, fc.constantFrom('/', '?')), maxLength: 30 }),
  })
  .map(({ mode, segment, query }) => `/${mode}/${segment}?${query}`);

const requestSpec: fc.Arbitrary<RequestSpec> = fc
  .record({
    method: fc.constantFrom(...METHODS),
    path: pathArb,
    host: fc.constantFrom('app.test', 'app.test:8080', '127.0.0.1', 'Example.COM'),
    fields: fc.array(fieldSpec, { maxLength: 5 }),
    hostAt: fc.nat(),
    framingAt: fc.nat(),
    body: bodySpec,
    crlfBefore: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  })
  .map((r) => ({ ...r, body: r.method === 'POST' || r.method === 'PUT' ? r.body : null }));

/** The head fields in the order written, as the instance should see them (before the forwarding headers). */
function headFields(r: RequestSpec): { text: string; seen: Field }[] {
  const out = r.fields.map((f) => ({ text: lineOf(f), seen: fieldSeen(f) }));
  out.splice(r.hostAt % (out.length + 1), 0, { text: `Host: ${r.host}\r\n`, seen: ['Host', r.host] });
  const b = r.body;
  if (b !== null) {
    const framing: Field = b.chunked ? [b.codingName, b.coding] : [b.lengthName, `${'0'.repeat(b.lengthZeros)}${b.bytes.length}`];
    out.splice(r.framingAt % (out.length + 1), 0, { text: `${framing[0]}: ${framing[1]}\r\n`, seen: framing });
  }
  return out;
}

function encodeRequest(r: RequestSpec): Buffer {
  const head = `${r.crlfBefore ? '\r\n' : ''}${r.method} ${r.path} HTTP/1.1\r\n${headFields(r)
    .map((f) => f.text)
    .join('')}\r\n`;
  const b = r.body;
  const body = b === null ? Buffer.alloc(0) : b.chunked ? chunkedBytes(Buffer.from(b.bytes), b.cuts, b.styles, b.last, b.trailers) : Buffer.from(b.bytes);
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/** What the instance must report for `r`. */
function expectedSummary(r: RequestSpec): Summary {
  const headers = headFields(r).map(({ seen: [n, v] }): Field => [n.toLowerCase(), v]);
  headers.push(['x-forwarded-for', '127.0.0.1'], ['x-forwarded-proto', 'http'], ['x-forwarded-host', r.host]);
  const b = r.body;
  const bytes = b === null ? new Uint8Array(0) : b.bytes;
  const trailers = b !== null && b.chunked ? b.trailers.map(fieldSeen).map(([n, v]): Field => [n.toLowerCase(), v]) : [];
  return { method: r.method, url: r.path, headers, trailers, bodyBytes: bytes.length, sha256: sha256(bytes) };
}

/** Checks one answer against the request it belongs to. */
function checkAnswer(r: RequestSpec, a: Reply, n: number): void {
  const where = `answer ${n} (${r.method} ${r.path})`;
  const plan = planFor(r.path);
  const expected = expectedSummary(r);
  expect(a.status, where).toBe(plan.status);
  expect(values(a.fields, 'connection'), where).toEqual(['keep-alive']);
  const echoes = values(a.fields, 'x-echo');
  expect(echoes, where).toHaveLength(1);
  expect(JSON.parse(Buffer.from(echoes[0]!, 'base64').toString('utf8')), where).toEqual(expected);
  const lengths = values(a.fields, 'content-length');
  const chunked = values(a.fields, 'transfer-encoding');
  if (plan.mode === 'n' || plan.mode === 'm') {
    expect(a.raw.length, where).toBe(0);
    expect(chunked, where).toEqual([]);
    expect(lengths, where).toEqual(plan.mode === 'm' && plan.lengthOn304 ? [String(plan.filler.length)] : []);
    return;
  }
  const body = bodyFor(expected, plan);
  if (plan.mode === 'j' || plan.mode === 'b') {
    expect([lengths, chunked], where).toEqual([[String(body.length)], []]);
  } else {
    expect([lengths, chunked], where).toEqual([[], r.method === 'HEAD' ? [] : ['chunked']]); // node:http frames nothing on a HEAD answer without a length
  }
  if (r.method === 'HEAD') {
    expect(a.raw.length, where).toBe(0);
    return;
  }
  if (plan.mode === 'j') expect(JSON.parse(a.body.toString('utf8')), where).toEqual(expected);
  else {
    const nl = a.body.indexOf(10);
    expect(nl, where).toBeGreaterThan(0);
    expect(JSON.parse(a.body.toString('utf8', 0, nl)), where).toEqual(expected);
    expect(a.body.length, where).toBe(body.length);
    expect(a.body.subarray(nl + 1).equals(plan.filler), `${where}: the filler bytes`).toBe(true);
  }
  expect(a.trailers, where).toEqual(plan.mode === 'c' && plan.trailer ? [['X-Body-Sha256', sha256(a.body)]] : []);
}

describe('router/differential: pipelined requests to a node:http instance that echoes them', () => {
  it('every answer matches its request, in order, one each, nothing else on the wire', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(requestSpec, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 10 }), async (requests, writeCuts) => {
        const inst = await echoInstance();
        try {
          await throughRouter(inst.port, inst.errors, async (router, client) => {
            const writing = client.writeInPieces(Buffer.concat(requests.map(encodeRequest)), writeCuts);
            const answers: Reply[] = [];
            for (const r of requests) answers.push(await client.reply(r.method));
            await writing;
            expect(inst.errors).toEqual([]);
            answers.forEach((a, i) => checkAnswer(requests[i]!, a, i));
            expect(inst.received.map((s) => `${s.method} ${s.url}`)).toEqual(requests.map((r) => `${r.method} ${r.path}`));
            expect(router.inFlight(ID)).toBe(0);
            expect(inst.accepted()).toBe(1); // one keep-alive connection to the instance, never out of step
            expect((await client.finish()).toString('latin1')).toBe('');
          });
        } finally {
          await inst.close();
        }
      }),
      { numRuns: 100 },
    );
  }, 120_000);
});

// ---------------------------------------------------------------- 2. a raw instance with framings of its own

type Framing =
  | { kind: 'length'; body: Uint8Array; zeros: number }
  | { kind: 'chunked'; body: Uint8Array; cuts: number[]; styles: SizeStyle[]; last: SizeStyle; trailers: FieldSpec[]; coding: string; announce: boolean }
  | { kind: 'none'; status: 204 | 304; length: number | null; chunked: boolean };

interface RawAnswer {
  head: boolean;
  /** HTTP/1.0 answers are never chunked and have no interim answer before them. */
  minor: 0 | 1;
  interim: 0 | 100 | 103;
  status: number;
  /** null: a status line without a reason (`HTTP/1.1 200`). */
  reason: string | null;
  fields: FieldSpec[];
  framingAt: number;
  framing: Framing;
  /** The instance closes the connection after this answer (`Connection: close`, or HTTP/1.0 without keep-alive). */
  close: boolean;
  /** A `Keep-Alive: timeout=30` hint (hop-by-hop: the client must not see it). */
  hint: boolean;
  /** Where the instance cuts its writes. */
  cuts: number[];
}

/** What the router accepts in a chunk extension (any visible text after `;`), with optional whitespace before it. */
const rawExt = fc
  .tuple(fc.constantFrom('', '', ' ', '\t '), fc.array(valueText(10), { maxLength: 2 }))
  .map(([bws, exts]) => (exts.length === 0 ? '' : `${bws}${exts.map((e) => `;${e}`).join('')}`));
const rawStyle: fc.Arbitrary<SizeStyle> = fc.record({ upper: fc.boolean(), zeros: fc.constantFrom(0, 0, 1, 4), ext: fc.oneof(fc.constant(''), rawExt) });

const framingArb: fc.Arbitrary<Framing> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('length' as const), body: fc.uint8Array({ maxLength: 2000, size: 'max' }), zeros: fc.constantFrom(0, 0, 2) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('chunked' as const),
      body: fc.uint8Array({ maxLength: 2000, size: 'max' }),
      cuts: fc.array(fc.nat(), { maxLength: 6 }),
      styles: fc.array(rawStyle, { minLength: 1, maxLength: 3 }),
      last: rawStyle,
      trailers: fc.array(fieldSpec, { maxLength: 3 }),
      coding: fc.constantFrom('chunked', 'Chunked', 'gzip, chunked'),
      announce: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('none' as const), status: fc.constantFrom<204 | 304>(204, 304), length: fc.option(fc.nat({ max: 5000 }), { nil: null }), chunked: fc.boolean() }),
  },
);

const rawAnswer: fc.Arbitrary<RawAnswer> = fc
  .record({
    head: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    minor: fc.constantFrom<0 | 1>(0, 1, 1, 1),
    interim: fc.constantFrom<0 | 100 | 103>(0, 0, 0, 100, 103),
    status: fc.constantFrom(200, 201, 203, 206, 299, 400, 404, 410, 418),
    reason: fc.option(valueText(20), { nil: null, freq: 6 }),
    fields: fc.array(fieldSpec, { maxLength: 4 }),
    framingAt: fc.nat(),
    framing: framingArb,
    close: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    hint: fc.boolean(),
    cuts: fc.array(fc.nat(), { maxLength: 6 }),
  })
  .map((a) => (a.framing.kind === 'none' ? { ...a, status: a.framing.status } : a))
  .map((a) => (a.minor === 0 ? { ...a, minor: a.framing.kind === 'chunked' ? 1 : 0, interim: 0 } : a));

/** The final answer's header fields as written. */
function rawFields(a: RawAnswer): { spec: FieldSpec; hop: boolean }[] {
  const out = a.fields.map((spec) => ({ spec, hop: false }));
  const f = a.framing;
  const framing: FieldSpec[] = [];
  if (f.kind === 'length') framing.push({ name: 'Content-Length', value: `${'0'.repeat(f.zeros)}${f.body.length}`, pre: ' ', post: '' });
  // A 304 may carry the framing headers of the answer it stands for (RFC 9110 15.4.5); it has no body all the same.
  if (f.kind === 'none' && f.status === 304 && f.chunked) framing.push({ name: 'Transfer-Encoding', value: 'chunked', pre: ' ', post: '' });
  else if (f.kind === 'none' && f.status === 304 && f.length !== null) framing.push({ name: 'Content-Length', value: String(f.length), pre: ' ', post: '' });
  if (f.kind === 'chunked') {
    framing.push({ name: 'Transfer-Encoding', value: f.coding, pre: ' ', post: '' });
    if (f.announce && f.trailers.length > 0) framing.push({ name: 'Trailer', value: f.trailers.map((t) => t.name).join(', '), pre: ' ', post: '' });
  }
  out.splice(a.framingAt % (out.length + 1), 0, ...framing.map((spec) => ({ spec, hop: false })));
  const hop: FieldSpec[] = [];
  if (a.minor === 1 && a.close) hop.push({ name: 'Connection', value: 'close', pre: ' ', post: '' });
  if (a.minor === 0 && !a.close) hop.push({ name: 'Connection', value: 'keep-alive', pre: ' ', post: '' });
  if (a.hint && !a.close) hop.push({ name: 'Keep-Alive', value: 'timeout=30', pre: ' ', post: '' });
  out.splice(a.framingAt % (out.length + 1), 0, ...hop.map((spec) => ({ spec, hop: true })));
  return out;
}

/** The body bytes after the final head (none for HEAD, 204, 304). */
function rawBody(a: RawAnswer): Buffer {
  const f = a.framing;
  if (a.head || f.kind === 'none') return Buffer.alloc(0);
  if (f.kind === 'length') return Buffer.from(f.body);
  return chunkedBytes(Buffer.from(f.body), f.cuts, f.styles, f.last, f.trailers);
}

const EARLY_HINTS = 'HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n';

function encodeAnswer(a: RawAnswer): Buffer {
  const interim = a.interim === 100 ? 'HTTP/1.1 100 Continue\r\n\r\n' : a.interim === 103 ? EARLY_HINTS : '';
  const status = `HTTP/1.${a.minor} ${a.status}${a.reason === null ? '' : ` ${a.reason}`}\r\n`;
  const head = `${interim}${status}${rawFields(a)
    .map((f) => lineOf(f.spec))
    .join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), rawBody(a)]);
}

interface RawInstance {
  /** `METHOD target` of each request, in order. */
  readonly requests: string[];
  readonly errors: string[];
}

/** A raw TCP instance: answers `/p/<i>` with `answers[i]`, in pieces, one turn of the event loop apart. */
async function rawInstance(answers: readonly RawAnswer[]): Promise<Awaited<ReturnType<typeof listening>> & RawInstance> {
  const requests: string[] = [];
  const errors: string[] = [];
  const server = createNetServer({ noDelay: true }, (socket) => {
    socket.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    let busy = false;
    socket.on('data', (chunk: Buffer) => {
      if (busy) errors.push(`bytes while an answer was being written: ${JSON.stringify(chunk.toString('latin1'))}`);
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.toString('latin1', 0, end);
      buf = buf.subarray(end + 4);
      if (buf.length > 0) errors.push(`bytes after a request head: ${JSON.stringify(buf.toString('latin1'))}`);
      if (/\r\n(content-length|transfer-encoding):/i.test(head)) errors.push(`a request with a body: ${JSON.stringify(head)}`);
      const [method, target] = head.split(' ');
      requests.push(`${method} ${target}`);
      const a = answers[Number(/^\/p\/(\d+)$/.exec(target ?? '')?.[1] ?? NaN)];
      if (a === undefined) return void errors.push(`an unknown request ${JSON.stringify(head)}`);
      busy = true;
      void (async () => {
        for (const piece of pieces(encodeAnswer(a), a.cuts)) {
          socket.write(piece);
          await nextTurn();
        }
        busy = false;
        if (a.close) socket.end();
      })();
    });
  });
  return { ...(await listening(server)), requests, errors };
}

describe('router/differential: a raw instance answering with framings of its own', () => {
  it('relays each answer, its chunked framing and trailers byte for byte, and stays in step', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rawAnswer, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 6 }), async (answers, writeCuts) => {
        const inst = await rawInstance(answers);
        try {
          await throughRouter(inst.port, inst.errors, async (router, client) => {
            const methods = answers.map((a) => (a.head ? 'HEAD' : 'GET'));
            const writing = client.writeInPieces(Buffer.from(methods.map((m, i) => `${m} /p/${i} HTTP/1.1\r\nHost: raw.test\r\n\r\n`).join(''), 'latin1'), writeCuts);
            for (const [i, a] of answers.entries()) {
              const where = `answer ${i}`;
              if (a.interim === 103) {
                const hints = await client.reply(methods[i]!);
                expect([hints.status, hints.reason, hints.fields], where).toEqual([103, 'Early Hints', [['Link', '</s.css>; rel=preload']]]);
              }
              const got = await client.reply(methods[i]!);
              const fields = rawFields(a)
                .filter((f) => !f.hop)
                .map((f) => fieldSeen(f.spec));
              expect([got.status, got.reason, got.fields], where).toEqual([a.status, a.reason ?? '', [...fields, ...KEEP_ALIVE]]);
              const body = rawBody(a);
              expect(got.raw.equals(body), `${where}: the body bytes as sent, got ${JSON.stringify(got.raw.toString('latin1'))}`).toBe(true);
              if (a.framing.kind !== 'none' && !a.head) expect(got.body.equals(Buffer.from(a.framing.body)), `${where}: the payload`).toBe(true);
              if (a.framing.kind === 'chunked' && !a.head) expect(got.trailers, where).toEqual(a.framing.trailers.map(fieldSeen));
            }
            await writing;
            expect(inst.errors).toEqual([]);
            expect(inst.requests).toEqual(methods.map((m, i) => `${m} /p/${i}`));
            expect(router.inFlight(ID)).toBe(0);
            // A new connection after each answer that closed the connection, none otherwise.
            expect(inst.accepted()).toBe(1 + answers.slice(0, -1).filter((a) => a.close).length);
            expect((await client.finish()).toString('latin1')).toBe('');
          });
        } finally {
          await inst.close();
        }
      }),
      { numRuns: 80 },
    );
  }, 120_000);
});

// ---------------------------------------------------------------- 3. more pipelined bytes than the router buffers

describe('router/differential: a pipelined upload behind a slow answer', () => {
  /**
   * While an exchange runs, the router buffers the pipelined bytes after it
   * and pauses reading past 64 KiB. When the next request's body is larger
   * than what was buffered, reading must resume once that request starts, or
   * its body never arrives (the instance waits for it, the client for the
   * answer, until the router's 5-minute response timeout).
   */
  it.each([
    ['Content-Length', false],
    ['chunked', true],
  ])('a 300 kB %s body after a GET answered in 100 ms arrives whole', async (_name, chunked) => {
    const received: string[] = [];
    let uploaded = 0;
    const inst = await listening(
      createServer((req: IncomingMessage, res: ServerResponse) => {
        const hash = createHash('sha256');
        let bytes = 0;
        req.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          hash.update(chunk);
          if (req.url === '/upload') uploaded = bytes;
        });
        req.on('end', () => {
          const body = `${req.method} ${req.url} ${bytes} ${hash.digest('hex')}`;
          received.push(body);
          setTimeout(() => res.end(body), req.url === '/slow' ? 100 : 0);
        });
      }),
    );
    try {
      await throughRouter(inst.port, [], async (router, client) => {
        const upload = Buffer.alloc(300_000);
        for (let i = 0; i < upload.length; i++) upload[i] = (i * 7 + (i >> 9)) & 0xff;
        const framed = chunked ? chunkedBytes(upload, [100_000, 200_000], [{ upper: false, zeros: 0, ext: '' }], { upper: false, zeros: 0, ext: '' }, []) : upload;
        const framing = chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${upload.length}`;
        client.socket.write(Buffer.concat([Buffer.from(`GET /slow HTTP/1.1\r\nHost: app.test\r\n\r\nPUT /upload HTTP/1.1\r\nHost: app.test\r\n${framing}\r\n\r\n`, 'latin1'), framed]));
        expect((await client.reply('GET')).body.toString()).toBe(`GET /slow 0 ${sha256(new Uint8Array(0))}`);
        const put = await client.reply('PUT').catch((err: unknown) => {
          throw new Error(`${err instanceof Error ? err.message : String(err)}; the instance got ${uploaded} of the ${upload.length} body bytes`, { cause: err });
        });
        expect([put.status, put.body.toString()]).toEqual([200, `PUT /upload 300000 ${sha256(upload)}`]);
        expect(received).toHaveLength(2);
        expect(router.inFlight(ID)).toBe(0);
        expect((await client.finish()).toString('latin1')).toBe('');
      });
    } finally {
      await inst.close();
    }
  });
});
