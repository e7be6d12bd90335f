/** The HTTP effect. Decision code receives an {@link HttpClient}; tests may pass their own. */
import { timeoutSignal } from './long-timer.js';

export interface HttpRequest {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Wall time of the request in ms. */
  ms: number;
}

export type HttpClient = (req: HttpRequest) => Promise<HttpResponse>;

/** Raised for network failures and timeouts (not for HTTP error statuses). */
export class HttpError extends Error {
  constructor(
    message: string,
    readonly kind: 'timeout' | 'network' | 'aborted',
  ) {
    super(message);
  }
}

export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * `https://user:pw@host/x` -> the URL without credentials plus a Basic
 * Authorization header, as curl does (fetch refuses credentials in URLs).
 */
export function splitCredentials(url: string, headers: Record<string, string> = {}): { url: string; headers: Record<string, string> } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { url, headers };
  }
  if (!u.username && !u.password) return { url, headers };
  const basic = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
  u.username = '';
  u.password = '';
  const hasAuth = Object.keys(headers).some((k) => k.toLowerCase() === 'authorization');
  return { url: u.toString(), headers: hasAuth ? headers : { ...headers, authorization: `Basic ${basic}` } };
}

export const fetchHttp: HttpClient = async (req) => {
  const started = performance.now();
  const timeout = timeoutSignal(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
  const target = splitCredentials(req.url, req.headers);
  try {
    const res = await fetch(target.url, { method: req.method ?? 'GET', headers: target.headers, body: req.body, signal, redirect: 'manual' });
    const body = await readCapped(res);
    return { status: res.status, headers: Object.fromEntries(res.headers.entries()), body, ms: performance.now() - started };
  } catch (err) {
    if (req.signal?.aborted) throw new HttpError('request aborted', 'aborted');
    if (timeout.aborted) throw new HttpError(`no answer within ${req.timeoutMs}ms`, 'timeout');
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new HttpError(cause?.code ?? cause?.message ?? (err as Error).message, 'network');
  }
};

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      break;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `https://user:pw@host/x?token=…` -> `https://host/x` for messages (secrets are masked separately too). */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return `${u.origin}${u.pathname}`;
  } catch {
    return url;
  }
}
