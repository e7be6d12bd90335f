/**
 * The router's own answers (400, 413, 502, 503, 504, ...): a short text body
 * that says what happened, e.g. `503 no ready instance of any version
 * (v1.2.0: 0 of 2 ready)`, and an `X-Shipgate-Error` header with a stable
 * code for scripts.
 */

export const ERROR_HEADER = 'x-shipgate-error';

export const ErrorCode = {
  noReadyInstance: 'no-ready-instance',
  upstreamConnect: 'upstream-connect',
  upstreamReset: 'upstream-reset',
  upstreamTimeout: 'upstream-timeout',
  upstreamError: 'upstream-error',
  upstreamProtocol: 'upstream-protocol',
  bodyTooLarge: 'body-too-large',
  badRequest: 'bad-request',
  requestTimeout: 'request-timeout',
  connectionLimit: 'connection-limit',
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

/** A request the router cannot forward safely (see http1.ts), or one that timed out while arriving. */
export function badRequest(status: number, reason: string): RouterError {
  return { status, code: status === 408 ? ErrorCode.requestTimeout : ErrorCode.badRequest, message: reason };
}

/** Every one of the router's `max` client connections is busy (router.maxConnections). */
export function tooManyConnections(max: number): RouterError {
  return { status: 503, code: ErrorCode.connectionLimit, message: `the router is at its limit of ${max} open connections, none of them idle; try again shortly` };
}

export function bodyTooLarge(limit: number): RouterError {
  return { status: 413, code: ErrorCode.bodyTooLarge, message: `request body over the limit of ${limit} bytes` };
}

/** Codes of the router's own upstream errors. */
export const RESET = 'SHIPGATE_UPSTREAM_CLOSED';
export const HEADERS_TIMEOUT = 'SHIPGATE_HEADERS_TIMEOUT';
export const PROTOCOL = 'SHIPGATE_PROTOCOL';

/** An upstream error with one of the codes above. */
export function upstreamFailure(code: string, message: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(message);
  err.code = code;
  return err;
}

/** What went wrong between the router and an instance, from a socket error or the router's own (see the codes above). */
export function describeUpstreamError(err: unknown): { code: ErrorCode; status: number; reason: string; refused: boolean } {
  const e = err as { code?: string; message?: string };
  switch (e.code) {
    case 'ECONNREFUSED':
      return { code: ErrorCode.upstreamConnect, status: 502, reason: 'connection refused', refused: true };
    case 'ETIMEDOUT':
      return { code: ErrorCode.upstreamConnect, status: 502, reason: 'connect timed out', refused: false };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return { code: ErrorCode.upstreamConnect, status: 502, reason: `cannot connect (${e.code})`, refused: false };
    case 'ECONNRESET':
    case 'EPIPE':
    case RESET:
      return { code: ErrorCode.upstreamReset, status: 502, reason: 'connection closed before a complete response', refused: false };
    case HEADERS_TIMEOUT:
      return { code: ErrorCode.upstreamTimeout, status: 504, reason: 'no response in time', refused: false };
    case PROTOCOL:
      return { code: ErrorCode.upstreamProtocol, status: 502, reason: `invalid response: ${e.message}`, refused: false };
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

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Content Too Large',
  417: 'Expectation Failed',
  431: 'Request Header Fields Too Large',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
};

/**
 * The whole answer for a router error (latin1 text; the message is ASCII apart
 * from names the operator chose, so it is sent as UTF-8 bytes).
 * `connection`: the Connection header lines (keep-alive or close); `headOnly`:
 * the answer to a HEAD request (its Content-Length, but no body).
 */
export function errorResponse(error: RouterError, connection: string, headOnly = false): Buffer {
  const body = Buffer.from(`${error.status} ${error.message}\n`, 'utf8');
  const head =
    `HTTP/1.1 ${error.status} ${REASONS[error.status] ?? 'Error'}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${body.length}\r\n` +
    `cache-control: no-store\r\nx-content-type-options: nosniff\r\n${ERROR_HEADER}: ${error.code}\r\n${connection}\r\n`;
  return headOnly ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), body]);
}
