import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { processRunner } from '../../../src/runtime/process.js';

describe('processRunner stdout (a dump streamed into an archive)', () => {
  it('sends the raw bytes to the stream, not to onLine, and leaves the stream open; stderr still comes as lines', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const lines: string[] = [];
    const r = await processRunner({ argv: ['sh', '-c', "printf '\\377\\000a\\nb'; echo oops >&2"], stdout: out, onLine: (l, s) => lines.push(`${s}: ${l}`) });
    expect(r.exitCode).toBe(0);
    expect(Buffer.concat(chunks)).toEqual(Buffer.from([0xff, 0x00, 0x61, 0x0a, 0x62]));
    expect(lines).toEqual(['stderr: oops']);
    expect(out.writableEnded).toBe(false);
  });

  it('a stream that fails stops the command instead of leaving it blocked on a full pipe', async () => {
    let written = 0;
    const failing = new Writable({
      write(chunk: Buffer, _enc, done) {
        written += chunk.length;
        done(written > 10_000 ? new Error('storage full') : null);
      },
    });
    failing.on('error', () => undefined);
    const r = await processRunner({ argv: ['sh', '-c', 'trap "" PIPE; while :; do cat /proc/self/stat; done'], stdout: failing });
    expect(r.cancelled).toBe(true);
    expect(r.exitCode).not.toBe(0);
  });

  it('a command that cannot start is reported as that, not as stopped', async () => {
    const r = await processRunner({ argv: ['shipgate-no-such-tool'], stdout: new PassThrough() });
    expect(r).toMatchObject({ cancelled: false, spawnError: expect.stringContaining('ENOENT') });
  });
});
