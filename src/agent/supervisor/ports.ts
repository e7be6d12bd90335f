import { createServer } from 'node:net';

/**
 * Ports for instances. The OS picks a free one (bind port 0 on 127.0.0.1, read
 * it, close). Another process may take it before the instance binds: the
 * supervisor then sees the instance fail with "address in use" and retries with
 * a new port ({@link isBindFailure}).
 */

export const INSTANCE_HOST = '127.0.0.1';
/** New ports tried when an instance could not bind its port, before counting it as a failure. */
export const MAX_BIND_RETRIES = 3;
const MAX_PICKS = 20;

export type PortAllocator = (exclude: ReadonlySet<number>) => Promise<number>;

/** A free TCP port on 127.0.0.1, not in `exclude` (ports the supervisor already handed out). */
export const allocatePort: PortAllocator = async (exclude) => {
  for (let i = 0; i < MAX_PICKS; i++) {
    const port = await pickFreePort();
    if (!exclude.has(port)) return port;
  }
  throw new Error(`no free port on ${INSTANCE_HOST} after ${MAX_PICKS} tries`);
};

function pickFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host: INSTANCE_HOST, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('the OS gave no port'))));
    });
  });
}

/** True when an instance's output says it could not bind its port (Node, Go, Python, Ruby, Java spellings). */
export function isBindFailure(output: string): boolean {
  return /EADDRINUSE|address already in use|Address in use|BindException/i.test(output);
}
