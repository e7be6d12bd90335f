/**
 * HTTP/1.x message heads as the router reads them off raw sockets (RFC 9112).
 *
 * The router forwards bodies byte for byte, so it must frame every message
 * exactly as the instance will. Anything a lenient reader could frame another
 * way (the stuff of request smuggling) is refused: line endings other than
 * CRLF, obs-fold, whitespace before a colon, control characters, a second
 * Host, a Content-Length that is not plain digits or comes twice,
 * Transfer-Encoding other than exactly `chunked`, or together with
 * Content-Length, or on HTTP/1.0. The request-target is read the same way
 * (see readTarget): what the instance gets is what the router routed.
 *
 * Pure functions over the head's text (latin1, so bytes survive unchanged).
 */

/** Largest request head, like Node's default maxHeaderSize; larger gets 431. */
export const MAX_REQUEST_HEAD = 16 * 1024;
/** Largest response head an instance may send; larger is a 502. */
export const MAX_RESPONSE_HEAD = 64 * 1024;

/** The 4 bytes that end a head. */
export const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');

/** Why a head was refused: the status to answer and a short reason for the body. */
export interface HeadError {
  readonly error: true;
  readonly status: number;
  readonly reason: string;
}

export interface RequestHead {
  readonly error: false;
  method: string;
  /** The request-target to send on: as sent in origin-form (or `*` for OPTIONS); an absolute-form target in origin-form (see readTarget). */
  target: string;
  /** 1 for HTTP/1.1, 0 for HTTP/1.0. */
  minor: number;
  /** Every header as sent, flat [name, value, ...] (values without surrounding whitespace). */
  headers: string[];
  /** -1 when absent. */
  contentLength: number;
  chunked: boolean;
  /** The client wants the connection kept after this exchange. */
  keepAlive: boolean;
  /** `Connection: upgrade` with an `Upgrade` header (WebSocket). */
  upgrade: boolean;
  expectContinue: boolean;
}

export interface ResponseHead {
  readonly error: false;
  status: number;
  reason: string;
  minor: number;
  headers: string[];
  /** -1 when absent. */
  contentLength: number;
  /** Transfer-Encoding ends in chunked. */
  chunked: boolean;
  /** Transfer-Encoding other than chunked: the body ends when the connection closes. */
  otherCoding: boolean;
  /** The instance keeps the connection after this response. */
  keepAlive: boolean;
  /** `Keep-Alive: timeout=N` in ms, or -1. */
  keepAliveHintMs: number;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// eslint-disable-next-line no-control-regex -- control characters are what the request line must not contain
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([^\x00-\x20\x7f]+) HTTP\/1\.([01])$/;
const OTHER_VERSION = /^\S+ \S+ HTTP\/\d+(\.\d+)?$/;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: ([^\r\n]*))?$/;
/** Control characters other than HTAB, and any CR or LF that is not part of a CRLF. */
// eslint-disable-next-line no-control-regex -- control characters are what this finds
const BAD_CHARS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n/;
const DIGITS = /^\d{1,15}$/;

/** A value quoted in an error text, cut to a readable length. */
function quote(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value);
}

function fail(status: number, reason: string): HeadError {
  return { error: true, status, reason };
}

/** Header lines after the first line, as flat [name, value, ...], or the reason they are malformed. */
function readFields(text: string, from: number, out: string[]): string | null {
  let pos = from;
  const end = text.length;
  while (pos < end) {
    let eol = text.indexOf('\r\n', pos);
    if (eol < 0) eol = end;
    const colon = text.indexOf(':', pos);
    if (colon < 0 || colon > eol) return 'a header line without a colon';
    const name = text.slice(pos, colon);
    if (!TOKEN.test(name)) return name.trim() !== name || name === '' ? 'whitespace or folding in a header line' : `an invalid header name ${quote(name)}`;
    let vs = colon + 1;
    let ve = eol;
    while (vs < ve && (text.charCodeAt(vs) === 32 || text.charCodeAt(vs) === 9)) vs++;
    while (ve > vs && (text.charCodeAt(ve - 1) === 32 || text.charCodeAt(ve - 1) === 9)) ve--;
    out.push(name, text.slice(vs, ve));
    pos = eol + 2;
  }
  return null;
}

/** Lower-cased, trimmed, non-empty members of a comma list. */
export function tokens(value: string): string[] {
  const out: string[] = [];
  for (const part of value.split(',')) {
    const t = part.trim().toLowerCase();
    if (t !== '') out.push(t);
  }
  return out;
}

/** Whether the comma list `value` holds `token` (lower case). */
function hasToken(value: string, token: string): boolean {
  if (value.length === token.length) return value.toLowerCase() === token;
  return tokens(value).includes(token);
}

/** Framing headers shared by requests and responses. */
interface Framing {
  contentLength: number;
  transferEncoding: string | null;
  connection: string;
  hosts: number;
  upgradeHeader: boolean;
  expect: string | null;
  keepAliveHint: string | null;
}

/** Fills `into` from the headers; returns the reason they are malformed, or null. */
function readFraming(headers: readonly string[], into: Framing): string | null {
  let lengths = 0;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    const value = headers[i + 1]!;
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') into.hosts++;
        break;
      case 6:
        if (name.toLowerCase() === 'expect') into.expect = into.expect === null ? value : `${into.expect}, ${value}`;
        break;
      case 7:
        if (name.toLowerCase() === 'upgrade') into.upgradeHeader = true;
        break;
      case 10: {
        const lower = name.toLowerCase();
        if (lower === 'connection') into.connection = into.connection === '' ? value : `${into.connection}, ${value}`;
        else if (lower === 'keep-alive') into.keepAliveHint = value;
        break;
      }
      case 14:
        if (name.toLowerCase() === 'content-length') {
          if (++lengths > 1) return 'more than one Content-Length';
          if (!DIGITS.test(value)) return `an invalid Content-Length ${quote(value)}`;
          into.contentLength = Number(value);
        }
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') {
          if (into.transferEncoding !== null) return 'more than one Transfer-Encoding';
          into.transferEncoding = value;
        }
        break;
    }
  }
  return null;
}

/** The header lines after the first line, and their framing; `status` for what is malformed. */
function readHeaderBlock(text: string, from: number, status: number): { headers: string[]; f: Framing } | HeadError {
  const headers: string[] = [];
  const bad = readFields(text, from, headers);
  if (bad !== null) return fail(status, bad);
  const f: Framing = { contentLength: -1, transferEncoding: null, connection: '', hosts: 0, upgradeHeader: false, expect: null, keepAliveHint: null };
  const framing = readFraming(headers, f);
  return framing === null ? { headers, f } : fail(status, framing);
}

/**
 * Parses a request head: `text` is everything before the blank line that
 * ends it (latin1). The caller skips empty lines before the request line.
 */
export function parseRequestHead(text: string): RequestHead | HeadError {
  if (BAD_CHARS.test(text)) return fail(400, 'a control character or a bare CR/LF in the request head');
  let eol = text.indexOf('\r\n');
  if (eol < 0) eol = text.length;
  const line = text.slice(0, eol);
  const m = REQUEST_LINE.exec(line);
  if (m === null) {
    if (OTHER_VERSION.test(line) && !/ HTTP\/1\.[01]$/.test(line)) return fail(505, 'only HTTP/1.0 and HTTP/1.1 are supported');
    return fail(400, 'a malformed request line');
  }
  const block = readHeaderBlock(text, eol + 2, 400);
  if ('error' in block) return block;
  const { headers, f } = block;
  const minor = m[3] === '1' ? 1 : 0;
  if (minor === 1 && f.hosts !== 1) return fail(400, f.hosts === 0 ? 'no Host header' : 'more than one Host header');
  if (f.hosts > 1) return fail(400, 'more than one Host header');
  let chunked = false;
  if (f.transferEncoding !== null) {
    if (minor === 0) return fail(400, 'Transfer-Encoding on an HTTP/1.0 request');
    if (f.contentLength >= 0) return fail(400, 'both Content-Length and Transfer-Encoding');
    if (f.transferEncoding.toLowerCase() !== 'chunked') return fail(501, `Transfer-Encoding ${quote(f.transferEncoding)} is not supported (only chunked)`);
    chunked = true;
  }
  const conn = f.connection === '' ? [] : tokens(f.connection);
  let expectContinue = false;
  if (f.expect !== null) {
    if (f.expect.toLowerCase() !== '100-continue') return fail(417, `Expect ${quote(f.expect)} is not supported`);
    expectContinue = minor === 1;
  }
  const method = m[1]!;
  if (method === 'CONNECT') return fail(405, 'CONNECT is not supported');
  // TRACE echoes the request back, cookies and credentials included, to whatever script can send one (cross-site tracing).
  if (method === 'TRACE') return fail(405, 'TRACE is not supported');
  let target = m[2]!;
  if (target.charCodeAt(0) !== 47) {
    const t = readTarget(method, target);
    if ('error' in t) return t;
    target = t.target;
    if (t.authority !== null) setHost(headers, t.authority);
  }
  return {
    error: false,
    method,
    target,
    minor,
    headers,
    contentLength: f.contentLength,
    chunked,
    keepAlive: minor === 1 ? !conn.includes('close') : conn.includes('keep-alive'),
    upgrade: f.upgradeHeader && conn.includes('upgrade'),
    expectContinue,
  };
}

const ABSOLUTE_FORM = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^#]*)$/;
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]+)(?::(\d{0,5}))?$/;

/**
 * A request-target that does not start with `/` (RFC 9112 3.2): `*` only for
 * OPTIONS; absolute-form (`http://host/path?q`, what clients send to a proxy)
 * becomes origin-form with the target's authority as the new Host, since a
 * server must then ignore the Host it received (3.2.2): so the router, its
 * X-Forwarded-Host and the instance all see one host, never `Host: good` with
 * `GET http://evil/`. OPTIONS to an authority alone becomes `OPTIONS *`
 * (3.2.4). Anything else is refused: other schemes, user information, a
 * malformed authority, authority-form outside CONNECT, a bare word.
 */
export function readTarget(method: string, raw: string): { target: string; authority: string | null } | HeadError {
  if (raw === '*') return method === 'OPTIONS' ? { target: raw, authority: null } : fail(400, `a request target of * with ${method} (only OPTIONS may use it)`);
  const m = ABSOLUTE_FORM.exec(raw);
  if (m === null) return fail(400, `a malformed request target ${quote(raw)}`);
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return fail(400, `a request target with the scheme ${quote(m[1]!)} (only http and https)`);
  const authority = m[2]!;
  if (authority.includes('@')) return fail(400, 'a request target with user information');
  const a = AUTHORITY.exec(authority);
  if (a === null || (a[1] !== undefined && Number(a[1]) > 65535)) return fail(400, `a request target with an invalid host ${quote(authority)}`);
  const rest = m[3]!;
  if (rest === '') return { target: method === 'OPTIONS' ? '*' : '/', authority };
  return { target: rest.charCodeAt(0) === 63 ? `/${rest}` : rest, authority }; // `?q` -> `/?q`
}

/** Replaces the value of the Host header (adds one to an HTTP/1.0 request that had none). */
function setHost(headers: string[], authority: string): void {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.length === 4 && headers[i]!.toLowerCase() === 'host') {
      headers[i + 1] = authority;
      return;
    }
  }
  headers.push('Host', authority);
}

/** Parses a response head (everything before the blank line, latin1). */
export function parseResponseHead(text: string): ResponseHead | HeadError {
  if (BAD_CHARS.test(text)) return fail(502, 'a control character or a bare CR/LF in the response head');
  let eol = text.indexOf('\r\n');
  if (eol < 0) eol = text.length;
  const m = STATUS_LINE.exec(text.slice(0, eol));
  if (m === null) return fail(502, 'a malformed status line');
  const block = readHeaderBlock(text, eol + 2, 502);
  if ('error' in block) return block;
  const { headers, f } = block;
  const minor = m[1] === '1' ? 1 : 0;
  let chunked = false;
  let otherCoding = false;
  if (f.transferEncoding !== null) {
    const codings = tokens(f.transferEncoding);
    chunked = codings[codings.length - 1] === 'chunked';
    otherCoding = !chunked;
  }
  const keepAlive = f.connection === '' ? minor === 1 : minor === 1 ? !hasToken(f.connection, 'close') : hasToken(f.connection, 'keep-alive');
  return {
    error: false,
    status: Number(m[2]),
    reason: m[3] ?? '',
    minor,
    headers,
    contentLength: f.transferEncoding === null ? f.contentLength : -1,
    chunked,
    otherCoding,
    keepAlive,
    keepAliveHintMs: keepAliveHint(f.keepAliveHint),
  };
}

/** `timeout=5, max=100` -> 5000; -1 when absent or unreadable. */
function keepAliveHint(value: string | null): number {
  if (value === null) return -1;
  const m = /(?:^|[,;\s])timeout\s*=\s*(\d{1,6})/i.exec(value);
  return m === null ? -1 : Number(m[1]) * 1000;
}
