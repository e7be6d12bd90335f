import { timingSafeEqual } from 'node:crypto';
import { chmodSync, renameSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { z } from 'zod';
import { parseInput, queryObject } from './api-input.js';
import { EmptyBody, NoQuery } from './api-schemas.js';
import { AgentApiError } from './errors.js';
import { parseJsonBody } from './json-body.js';

/**
 * The control API's HTTP layer: routes, and everything a request must get
 * right before a handler sees it. A request the agent cannot trust gets a 4xx
 * with `{ "error": "<field>: <what is wrong> (got …)" }` and never reaches
 * agent state: an unknown path (404) or method (405), a body on a GET, a body
 * that is not JSON (415 for another media type), larger than MAX_BODY (413),
 * or that stalls (408), a key given twice, and then each route's own schema
 * for its body and its query.
 */

export const MAX_BODY = 1024 * 1024;
/** A request body must arrive within this long: a client that never finishes one does not hold the agent. */
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;
/** Likewise a request head (Node's headersTimeout). */
export const DEFAULT_HEAD_TIMEOUT_MS = 10_000;
/** How often Node looks for connections over those timeouts (its default, 30 s, would let them run on). */
const TIMEOUT_CHECK_MS = 1000;

/** One endpoint: it validates its query, then its body (unless it takes none), then runs. */
export interface Route {
  readonly takesBody: boolean;
  run(query: URLSearchParams, readBody: () => Promise<unknown>): Promise<unknown>;
}

/** `METHOD /path` -> route. */
export type Routes = Record<string, Route>;

export interface RouteSpec<B, Q> {
  /** The body schema of a POST; a route without one takes no body (GET). */
  body?: z.ZodType<B>;
  /** The query schema; without one, any query parameter is an error. */
  query?: z.ZodType<Q>;
}

export function route<B = Record<string, never>, Q = Record<string, never>>(spec: RouteSpec<B, Q>, handle: (body: B, query: Q) => Promise<unknown> | unknown): Route {
  const bodySchema = (spec.body ?? EmptyBody) as z.ZodType<B>;
  const querySchema = (spec.query ?? NoQuery) as z.ZodType<Q>;
  return {
    takesBody: spec.body !== undefined,
    async run(query, readBody) {
      const q = parseInput(querySchema, queryObject(query), 'query');
      const b = parseInput(bodySchema, await readBody(), 'body');
      return handle(b, q);
    },
  };
}

export interface ControlOptions {
  /** Required as `Authorization: Bearer <token>` (the TCP port). */
  token?: string;
  log: (line: string) => void;
  /** @default DEFAULT_BODY_TIMEOUT_MS */
  bodyTimeoutMs?: number;
  /** @default DEFAULT_HEAD_TIMEOUT_MS */
  headTimeoutMs?: number;
}

/** An answer that ends the connection: the rest of what the client sends is not read. */
class ClosingError extends AgentApiError {}

class MethodNotAllowed extends AgentApiError {
  constructor(
    method: string,
    path: string,
    readonly allow: string[],
  ) {
    super(405, `${method} ${path}: expected ${allow.join(' or ')}`);
  }
}

/** The client went away while sending: nobody to answer. */
class ClientGone extends Error {}

const JSON_TYPE_RE = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

function checkContentType(value: string | undefined): void {
  if (value !== undefined && JSON_TYPE_RE.test(value.trim())) return;
  throw new AgentApiError(415, `content-type: expected application/json (got ${value === undefined ? 'none' : JSON.stringify(value.slice(0, 80))})`);
}

function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? '0') > 0;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decode(chunks: Buffer[]): string {
  try {
    return utf8.decode(Buffer.concat(chunks));
  } catch {
    throw new AgentApiError(400, 'body: expected UTF-8 text');
  }
}

/** The JSON body, read within `timeoutMs` and MAX_BODY bytes; `{}` when there is none. */
function readJson(req: IncomingMessage, timeoutMs: number): Promise<unknown> {
  if (!hasBody(req)) return Promise.resolve({});
  checkContentType(req.headers['content-type']);
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > MAX_BODY) return Promise.reject(new ClosingError(413, `body: expected at most ${MAX_BODY} bytes (got a Content-Length of ${declared})`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (fn: () => void): void => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onGone).off('aborted', onGone);
      fn();
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > MAX_BODY) settle(() => reject(new ClosingError(413, `body: expected at most ${MAX_BODY} bytes`)));
      else chunks.push(chunk);
    };
    const onEnd = (): void => settle(() => {
      try {
        resolve(parseJsonBody(decode(chunks)));
      } catch (err) {
        reject(err);
      }
    });
    const onGone = (): void => settle(() => reject(new ClientGone()));
    const timer = setTimeout(() => settle(() => reject(new ClosingError(408, `body: expected the whole body within ${timeoutMs / 1000} s (got ${size} bytes)`))), timeoutMs);
    req.on('data', onData).on('end', onEnd).on('error', onGone).on('aborted', onGone);
  });
}

function noBody(req: IncomingMessage): Promise<unknown> {
  if (hasBody(req)) return Promise.reject(new ClosingError(400, `body: expected none on a ${req.method} request`));
  return Promise.resolve({});
}

function send(res: ServerResponse, status: number, value: unknown, extra: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

function parseUrl(raw: string | undefined): URL {
  try {
    return new URL(raw ?? '/', 'http://agent');
  } catch {
    throw new AgentApiError(400, 'target: expected a path like /v1/status');
  }
}

/** Constant-time check of `Authorization: Bearer <token>`. */
export function hasToken(req: IncomingMessage, token: string): boolean {
  const got = Buffer.from(req.headers.authorization ?? '');
  const want = Buffer.from(`Bearer ${token}`);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** The route for `method path`, or the 404/405 to answer. */
function pick(routes: Routes, method: string, path: string): Route {
  const found = routes[`${method} ${path}`];
  if (found) return found;
  const allow = Object.keys(routes)
    .filter((k) => k.slice(k.indexOf(' ') + 1) === path)
    .map((k) => k.slice(0, k.indexOf(' ')));
  if (allow.length > 0) throw new MethodNotAllowed(method, path, allow);
  throw new AgentApiError(404, `${method} ${path}: no such endpoint`);
}

function headersFor(err: unknown): Record<string, string> {
  if (err instanceof MethodNotAllowed) return { allow: err.allow.join(', ') };
  if (err instanceof ClosingError) return { connection: 'close' };
  return {};
}

export function createControlHandler(routes: Routes, opts: ControlOptions) {
  const bodyTimeoutMs = opts.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let path = '?';
    try {
      if (opts.token !== undefined && !hasToken(req, opts.token)) throw new AgentApiError(401, 'authorization: expected the bearer token');
      const url = parseUrl(req.url);
      path = url.pathname;
      const found = pick(routes, req.method ?? '', url.pathname);
      const value = await found.run(url.searchParams, () => (found.takesBody ? readJson(req, bodyTimeoutMs) : noBody(req)));
      send(res, 200, value ?? { ok: true });
    } catch (err) {
      if (err instanceof ClientGone) return;
      const status = err instanceof AgentApiError ? err.status : 500;
      if (status >= 500) opts.log(`control ${req.method} ${path} failed: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent) send(res, status, { error: status >= 500 ? `internal error: ${(err as Error).message}` : (err as Error).message }, headersFor(err));
    }
  };
}

/** Node's server settings for a control server: heads and bodies that stall are cut off. */
export function controlServerOptions(opts: Pick<ControlOptions, 'bodyTimeoutMs' | 'headTimeoutMs'>): ServerOptions {
  const head = opts.headTimeoutMs ?? DEFAULT_HEAD_TIMEOUT_MS;
  const body = opts.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  // requestTimeout is a backstop behind the body timer, which answers with JSON first.
  return { headersTimeout: head, requestTimeout: head + body + TIMEOUT_CHECK_MS, connectionsCheckingInterval: TIMEOUT_CHECK_MS };
}

/**
 * Listens on a unix socket only its owner can use (0600). A successor binds a
 * temporary path and renames it over the old one: the path always leads to a
 * live agent, and the predecessor (which must then exit without closing its
 * server, since closing unlinks the path) keeps only its open connections.
 */
export function listenOnSocket(server: Server, path: string, opts: { replace?: boolean } = {}): Promise<void> {
  const bindPath = opts.replace ? `${path}.${process.pid}` : path;
  rmSync(bindPath, { force: true });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const old = process.umask(0o177);
    server.listen(bindPath, () => {
      process.umask(old);
      chmodSync(bindPath, 0o600);
      if (opts.replace) renameSync(bindPath, path);
      server.off('error', reject);
      resolve();
    });
  });
}

export function createControlServer(routes: Routes, opts: ControlOptions): Server {
  const handler = createControlHandler(routes, opts);
  return createServer(controlServerOptions(opts), (req, res) => void handler(req, res));
}
