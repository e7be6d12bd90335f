/**
 * Header rewriting on the hot path: one pass over the raw header list in each
 * direction, dropping hop-by-hop headers (RFC 9110 7.6.1, plus the ones a
 * `Connection` header names) and picking out what the router needs. Names are
 * compared by length first, so most headers cost a length check and a copy.
 */

/** What the request pass finds besides the headers to forward. */
export interface RequestHeaderInfo {
  /** Headers for the instance, flat [name, value, ...] (no hop-by-hop, no X-Forwarded-*). */
  headers: string[];
  host: string;
  /** Incoming X-Forwarded-For ('' when absent), to append to. */
  forwardedFor: string;
  /** All Cookie headers ('' when absent). */
  cookie: string;
  /** X-Shipgate-Version ('' when absent). */
  version: string;
  /** Content-Length, or -1 when absent. */
  contentLength: number;
  chunked: boolean;
}

export const VERSION_HEADER = 'x-shipgate-version';

/**
 * Fills `out` from `raw` (Node's `req.rawHeaders`). Upgrade requests keep
 * `Connection`/`Upgrade` (the instance must see them); `keepUpgrade` says so.
 */
export function readRequestHeaders(raw: readonly string[], out: RequestHeaderInfo, keepUpgrade: boolean): void {
  const headers = out.headers;
  let listed: string[] | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    switch (name.length) {
      case 2:
        if (name.toLowerCase() === 'te') continue;
        break;
      case 4:
        if (name.toLowerCase() === 'host') out.host = value;
        break;
      case 6: {
        const lower = name.toLowerCase();
        if (lower === 'expect') continue; // the router answers 100-continue itself (Node does)
        if (lower === 'cookie') out.cookie = out.cookie === '' ? value : `${out.cookie}; ${value}`;
        break;
      }
      case 7: {
        const lower = name.toLowerCase();
        if (lower === 'trailer' || (lower === 'upgrade' && !keepUpgrade)) continue;
        break;
      }
      case 10: {
        const lower = name.toLowerCase();
        if (lower === 'keep-alive') continue;
        if (lower === 'connection') {
          listed = connectionTokens(value, listed);
          if (!keepUpgrade) continue;
        }
        break;
      }
      case 14:
        if (name.toLowerCase() === 'content-length') out.contentLength = Number(value);
        break;
      case 15:
        if (name.toLowerCase() === 'x-forwarded-for') {
          out.forwardedFor = out.forwardedFor === '' ? value : `${out.forwardedFor}, ${value}`;
          continue;
        }
        break;
      case 16: {
        const lower = name.toLowerCase();
        if (lower === 'x-forwarded-host' || lower === 'proxy-connection') continue;
        break;
      }
      case 17: {
        const lower = name.toLowerCase();
        if (lower === 'x-forwarded-proto') continue;
        if (lower === 'transfer-encoding') {
          out.chunked = true;
          continue;
        }
        break;
      }
      case 18: {
        const lower = name.toLowerCase();
        if (lower === VERSION_HEADER) out.version = value;
        else if (lower === 'proxy-authenticate') continue;
        break;
      }
      case 19:
        if (name.toLowerCase() === 'proxy-authorization') continue;
        break;
    }
    headers.push(name, value);
  }
  if (listed !== null) removeNamed(headers, listed);
}

/**
 * Copies undici's raw response headers (Buffers) into `out` as the flat string
 * list `res.writeHead` takes, without hop-by-hop headers. Returns whether the
 * response has a Content-Length (else it streams: chunked or until close).
 */
export function copyResponseHeaders(raw: readonly Buffer[], out: string[]): boolean {
  let listed: string[] | null = null;
  let sized = false;
  for (let i = 0; i < raw.length; i += 2) {
    const nameBuf = raw[i]!;
    const len = nameBuf.length;
    if (len === 14) {
      if (!sized) sized = nameBuf.toString('latin1').toLowerCase() === 'content-length';
    } else if (len === 10 || len === 17 || len === 7 || len === 16 || len === 18 || len === 2) {
      const lower = nameBuf.toString('latin1').toLowerCase();
      if (lower === 'connection') {
        listed = connectionTokens(raw[i + 1]!.toString('latin1'), listed);
        continue;
      }
      if (isHopByHopResponse(lower)) continue;
    }
    out.push(nameBuf.toString('latin1'), raw[i + 1]!.toString('latin1'));
  }
  if (listed !== null) removeNamed(out, listed);
  return sized;
}

function isHopByHopResponse(lower: string): boolean {
  return (
    lower === 'keep-alive' ||
    lower === 'transfer-encoding' ||
    lower === 'trailer' ||
    lower === 'upgrade' ||
    lower === 'proxy-connection' ||
    lower === 'proxy-authenticate' ||
    lower === 'te'
  );
}

/** Header names listed in a Connection header besides the standard options. */
function connectionTokens(value: string, into: string[] | null): string[] | null {
  // The usual values, without splitting: `keep-alive`, `close`, `Upgrade`.
  if (value.length === 10 || value.length === 5 || value.length === 7) {
    const lower = value.toLowerCase();
    if (lower === 'keep-alive' || lower === 'close' || lower === 'upgrade') return into;
  }
  let list = into;
  for (const token of value.split(',')) {
    const name = token.trim().toLowerCase();
    if (name === '' || name === 'close' || name === 'keep-alive' || name === 'upgrade') continue;
    (list ??= []).push(name);
  }
  return list;
}

function removeNamed(headers: string[], names: readonly string[]): void {
  let w = 0;
  for (let r = 0; r < headers.length; r += 2) {
    if (names.includes(headers[r]!.toLowerCase())) continue;
    headers[w++] = headers[r]!;
    headers[w++] = headers[r + 1]!;
  }
  headers.length = w;
}

/** The forwarding headers for this hop: X-Forwarded-For appended, Proto and Host set. */
export function pushForwarded(info: RequestHeaderInfo, remoteAddress: string, proto: string): void {
  const headers = info.headers;
  headers.push('x-forwarded-for', info.forwardedFor === '' ? remoteAddress : `${info.forwardedFor}, ${remoteAddress}`);
  headers.push('x-forwarded-proto', proto);
  if (info.host !== '') headers.push('x-forwarded-host', info.host);
}

/** The value of cookie `name` in a Cookie header, or '' when absent. */
export function cookieValue(cookie: string, name: string): string {
  let from = 0;
  while (from < cookie.length) {
    const at = cookie.indexOf(name, from);
    if (at < 0) return '';
    const end = at + name.length;
    const startsPair = at === 0 || cookie[at - 1] === ' ' || cookie[at - 1] === ';';
    if (startsPair && cookie[end] === '=') {
      const stop = cookie.indexOf(';', end);
      return cookie.slice(end + 1, stop < 0 ? undefined : stop).trim();
    }
    from = end;
  }
  return '';
}
