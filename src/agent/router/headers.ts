/**
 * Header rewriting on the hot path: one pass over the header list in each
 * direction, dropping hop-by-hop headers (RFC 9110 7.6.1, plus the ones a
 * `Connection` header names) and picking out what the router needs. Names are
 * compared by length first, so most headers cost a length check and a copy.
 *
 * Bodies pass through byte for byte, so the framing headers (Content-Length,
 * Transfer-Encoding, Trailer) stay: both hops frame the body the same way.
 */
import { tokens } from './http1.js';

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
}

export const VERSION_HEADER = 'x-shipgate-version';

/**
 * Fills `out` from `raw` (flat [name, value, ...] as received). Upgrade
 * requests keep `Connection`/`Upgrade` (the instance must see them);
 * `keepUpgrade` says so.
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
        if (lower === 'expect') continue; // the router answers 100-continue itself
        if (lower === 'cookie') out.cookie = out.cookie === '' ? value : `${out.cookie}; ${value}`;
        break;
      }
      case 7:
        if (!keepUpgrade && name.toLowerCase() === 'upgrade') continue;
        break;
      case 10: {
        const lower = name.toLowerCase();
        if (lower === 'keep-alive') continue;
        if (lower === 'connection') {
          listed = connectionTokens(value, listed);
          if (!keepUpgrade) continue;
        }
        break;
      }
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
      case 17:
        if (name.toLowerCase() === 'x-forwarded-proto') continue;
        break;
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
 * The header lines (`Name: value\r\n` each) of an instance's response for
 * the client, without hop-by-hop headers. `dropLength`: the body is framed by
 * Transfer-Encoding, so a Content-Length must not reach the client.
 */
export function responseHeaderLines(raw: readonly string[], dropLength: boolean): string {
  let listed: string[] | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 10 && name.toLowerCase() === 'connection') listed = connectionTokens(raw[i + 1]!, listed);
  }
  let lines = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const len = name.length;
    if (len === 10 || len === 7 || len === 16 || len === 18 || len === 2 || (len === 14 && dropLength)) {
      const lower = name.toLowerCase();
      if (isHopByHopResponse(lower) || (dropLength && lower === 'content-length')) continue;
    }
    if (listed !== null && listed.includes(name.toLowerCase())) continue;
    lines += `${name}: ${raw[i + 1]!}\r\n`;
  }
  return lines;
}

function isHopByHopResponse(lower: string): boolean {
  return lower === 'connection' || lower === 'keep-alive' || lower === 'upgrade' || lower === 'proxy-connection' || lower === 'proxy-authenticate' || lower === 'te';
}

/** Header names listed in a Connection header besides the standard options. */
function connectionTokens(value: string, into: string[] | null): string[] | null {
  // The usual values, without splitting: `keep-alive`, `close`, `Upgrade`.
  if (value.length === 10 || value.length === 5 || value.length === 7) {
    const lower = value.toLowerCase();
    if (lower === 'keep-alive' || lower === 'close' || lower === 'upgrade') return into;
  }
  let list = into;
  for (const name of tokens(value)) {
    if (name === 'close' || name === 'keep-alive' || name === 'upgrade') continue;
    // Never let a Connection header strip the framing of a body that passes through unchanged.
    if (name === 'content-length' || name === 'transfer-encoding' || name === 'host') continue;
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

/** `Name: value\r\n` for each header of a flat list. */
export function headerLines(headers: readonly string[]): string {
  let lines = '';
  for (let i = 0; i < headers.length; i += 2) lines += `${headers[i]!}: ${headers[i + 1]!}\r\n`;
  return lines;
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
