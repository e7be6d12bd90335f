import { PassThrough, Readable, type Duplex } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';

/** `data` fed to the stage `t` in `chunk`-byte pieces; what it put out, or the pipeline's error. */
export async function through(data: Buffer, t: Duplex, chunk: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) parts.push(data.subarray(i, i + chunk));
  const out = new PassThrough();
  const collected = buffer(out);
  collected.catch(() => undefined); // the pipeline's own rejection is the one that counts
  await pipeline(Readable.from(parts), t, out);
  return collected;
}
