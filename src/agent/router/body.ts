/**
 * The request body as undici reads it: a lazy async iterable over the client
 * request that counts bytes against the limit. Lazy matters twice: nothing is
 * read before the instance accepted the connection (so a refused connection
 * can be retried elsewhere), and an over-limit body stops the upload without
 * destroying the client socket (so the client still gets its 413).
 */
import type { IncomingMessage } from 'node:http';

/** Thrown into undici's upload when the body passes the limit. */
export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`request body over the limit of ${limit} bytes`);
  }
}

export interface BodyProgress {
  /** Set once the first chunk was asked for: the body can no longer be replayed. */
  bodyStarted: boolean;
  bodyTooLarge: boolean;
}

export async function* limitedBody(req: IncomingMessage, limit: number, progress: BodyProgress): AsyncGenerator<Buffer> {
  progress.bodyStarted = true;
  let bytes = 0;
  // destroyOnReturn: false keeps the client socket open when the upload stops early.
  for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > limit) {
      progress.bodyTooLarge = true;
      throw new BodyTooLarge(limit);
    }
    yield chunk;
  }
}
