/**
 * The router's own answers (413, 502, 503, 504): a short text body that says
 * what happened, e.g. `503 no ready instance of any version (v1.2.0: 0 of 2 ready)`,
 * and an `X-Shipgate-Error` header with a stable code for scripts.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export const ERROR_HEADER = 'x-shipgate-error';

export const ErrorCode = {
  noReadyInstance: 'no-ready-instance',
  upstreamConnect: 'upstream-connect',
  upstreamReset: 'upstream-reset',
  upstreamTimeout: 'upstream-timeout',
  upstreamError: 'upstream-error',
  bodyTooLarge: 'body-too-large',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface RouterError {
  status: number;
  code: ErrorCode;
  message: string;
}

/** `v1.2.0: 0 of 2 ready` for each version, for 503 bodies. */
export interface VersionReadiness {
  version: string;
  ready: number;
  total: number;
}

export function noReadyInstance(versions: readonly VersionReadiness[]): RouterError {
  const detail = versions.length === 0 ? 'no version has traffic' : versions.map(readiness).join(', ');
  return { status: 503, code: ErrorCode.noReadyInstance, message: `no ready instance of any version (${detail})` };
}

/** The version named by `X-Shipgate-Version` (or a sticky cookie) has nothing to serve. */
export function noReadyInstanceOf(version: string, total: number): RouterError {
  const detail = total === 0 ? 'unknown version' : `0 of ${total} ready`;
  return { status: 503, code: ErrorCode.noReadyInstance, message: `no ready instance of ${version} (${detail})` };
}

export function bodyTooLarge(limit: number): RouterError {
  return { status: 413, code: ErrorCode.bodyTooLarge, message: `request body over the limit of ${limit} bytes` };
}

/** What went wrong between the router and an instance, from a socket or undici error. */
export function describeUpstreamError(err: unknown): { code: ErrorCode; status: number; reason: string; refused: boolean } {
  const e = err as { code?: string; message?: string };
  switch (e.code) {
    case 'ECONNREFUSED':
      return { code: ErrorCode.upstreamConnect, status: 502, reason: 'connection refused', refused: true };
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return { code: ErrorCode.upstreamConnect, status: 502, reason: 'connect timed out', refused: false };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return { code: ErrorCode.upstreamConnect, status: 502, reason: `cannot connect (${e.code})`, refused: false };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return { code: ErrorCode.upstreamReset, status: 502, reason: 'connection closed before a complete response', refused: false };
    case 'UND_ERR_HEADERS_TIMEOUT':
      return { code: ErrorCode.upstreamTimeout, status: 504, reason: 'no response in time', refused: false };
    default:
      return { code: ErrorCode.upstreamError, status: 502, reason: e.message ?? String(err), refused: false };
  }
}

/** `upstream v1.2.0/instance 2 (127.0.0.1:41234): connection refused` */
export function upstreamError(err: unknown, target: string, previous?: string): RouterError {
  const d = describeUpstreamError(err);
  const retried = previous === undefined ? '' : `; first tried ${previous}: connection refused`;
  return { status: d.status, code: d.code, message: `upstream ${target}: ${d.reason}${retried}` };
}

function readiness(v: VersionReadiness): string {
  return `${v.version}: ${v.ready} of ${v.total} ready`;
}

/** Answers with a router error; `close` asks the client to open a new connection. */
export function sendError(res: ServerResponse, error: RouterError, close: boolean): void {
  const body = `${error.status} ${error.message}\n`;
  if (close) res.shouldKeepAlive = false;
  res.writeHead(error.status, [
    'content-type', 'text/plain; charset=utf-8',
    'content-length', String(Buffer.byteLength(body)),
    'cache-control', 'no-store',
    ERROR_HEADER, error.code,
  ]);
  res.end(body);
}

/** The same answer written by hand on a raw socket (upgrade requests), then the socket is closed. */
export function sendRawError(socket: Socket, error: RouterError): void {
  const body = `${error.status} ${error.message}\n`;
  const reason = error.status === 503 ? 'Service Unavailable' : error.status === 504 ? 'Gateway Timeout' : 'Bad Gateway';
  const head =
    `HTTP/1.1 ${error.status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `Cache-Control: no-store\r\n${ERROR_HEADER}: ${error.code}\r\nConnection: close\r\n\r\n`;
  if (socket.writable) socket.end(head + body);
  else socket.destroy();
}
