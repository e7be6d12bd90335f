/** A local HTTP receiver for notification tests: records every request it gets. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Hit {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local HTTP receiver: records every request; `answer` picks the status (and headers) of each. */
export async function receiver(answer: (hit: Hit, n: number) => { status: number; headers?: Record<string, string> } = () => ({ status: 200 })): Promise<{ url: string; hits: Hit[]; server: Server }> {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const hit = { path: req.url ?? '', headers: req.headers, body };
      hits.push(hit);
      const a = answer(hit, hits.length);
      res.writeHead(a.status, a.headers ?? {}).end(a.status === 202 ? '{"status":"success"}' : 'ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, server };
}

