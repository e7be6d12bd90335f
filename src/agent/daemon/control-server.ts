import { timingSafeEqual } from 'node:crypto';
import { chmodSync, renameSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AgentApiError } from './errors.js';

export const MAX_BODY = 1024 * 1024;

export type Handler = (body: unknown, query: URLSearchParams) => Promise<unknown> | unknown;

/** `METHOD /path` -> handler. */
export type Routes = Record<string, Handler>;

async function readBody(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new AgentApiError(413, 'request body too large');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new AgentApiError(400, 'body: expected JSON');
  }
}

function send(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function parseUrl(raw: string | undefined): URL {
  try {
    return new URL(raw ?? '/', 'http://agent');
  } catch {
    throw new AgentApiError(400, 'malformed request target');
  }
}

/** Constant-time check of `Authorization: Bearer <token>`. */
export function hasToken(req: IncomingMessage, token: string): boolean {
  const got = Buffer.from(req.headers.authorization ?? '');
  const want = Buffer.from(`Bearer ${token}`);
  return got.length === want.length && timingSafeEqual(got, want);
}

export function createControlHandler(routes: Routes, opts: { token?: string; log: (l: string) => void }) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let path = '?';
    try {
      if (opts.token !== undefined && !hasToken(req, opts.token)) throw new AgentApiError(401, 'missing or wrong bearer token');
      const url = parseUrl(req.url);
      path = url.pathname;
      const route = routes[`${req.method} ${url.pathname}`];
      if (!route) throw new AgentApiError(404, `no such endpoint: ${req.method} ${url.pathname}`);
      const body = req.method === 'GET' ? {} : await readBody(req);
      send(res, 200, (await route(body, url.searchParams)) ?? { ok: true });
    } catch (err) {
      const status = err instanceof AgentApiError ? err.status : 500;
      if (status >= 500) opts.log(`control ${req.method} ${path} failed: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent) send(res, status, { error: (err as Error).message });
    }
  };
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

export function createControlServer(routes: Routes, opts: { token?: string; log: (l: string) => void }): Server {
  const handler = createControlHandler(routes, opts);
  return createServer((req, res) => void handler(req, res));
}
