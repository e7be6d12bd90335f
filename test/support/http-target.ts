/** A local HTTP server standing in for the deployed app: health and smoke answers are set per test. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Target {
  url: string;
  /** When set, decides the status of every request (else `status`). */
  handler?: (path: string) => number | undefined;
  /** Status per path; unknown paths answer 404. */
  status: Map<string, number>;
  body: Map<string, string>;
  hits: string[];
  /** Authorization header of each request ('' when absent). */
  auth: string[];
  close(): Promise<void>;
}

export async function startTarget(initial: Record<string, number> = { '/health': 200, '/': 200 }): Promise<Target> {
  const status = new Map(Object.entries(initial));
  const body = new Map<string, string>();
  const hits: string[] = [];
  const target: Target = { url: '', status, body, hits, auth: [], close: () => new Promise<void>((r) => server.close(() => r())) };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    hits.push(req.url ?? '/');
    target.auth.push(req.headers.authorization ?? '');
    const code = target.handler?.(path) ?? status.get(path) ?? 404;
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(body.get(path) ?? JSON.stringify({ status: code < 400 ? 'healthy' : 'unhealthy' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  target.url = `http://127.0.0.1:${port}`;
  return target;
}
