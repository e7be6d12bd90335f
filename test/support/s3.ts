/**
 * A real S3-compatible server per test file: s3rver in a child process (see
 * s3rver-entry.mjs), with its own data folder. The SDK finds the credentials in
 * the environment, as it would in production; s3rver knows S3RVER / S3RVER.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { s3ClientConfig } from '../../src/storage/s3-client.js';
import { makeTempDir, type TempDir } from './tmp.js';

export const S3RVER_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' } as const;
const ENTRY = join(import.meta.dirname, 's3rver-entry.mjs');

export interface S3Event {
  event: string;
  bucket: string;
  key: string;
}

export interface S3Server {
  endpoint: string;
  /** Where s3rver keeps its files: `<dir>/<bucket>/<key>._S3rver_object`. */
  dir: string;
  /** Every object event so far, in order. */
  events: S3Event[];
  /** Resolves with the first event (seen or to come) that matches. */
  waitForEvent(match: (e: S3Event) => boolean): Promise<S3Event>;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startS3Server(): Promise<S3Server> {
  const tmp = await makeTempDir('shipgate-s3rver-');
  const child = spawn(process.execPath, ['--openssl-legacy-provider', ENTRY, tmp.path], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout! });
  const first = await Promise.race([once(lines, 'line'), once(child, 'exit').then(() => null)]);
  if (first === null) throw new Error(`s3rver did not start: ${stderr}`);
  const { port } = JSON.parse(String(first[0])) as { port: number };
  return serverHandle(child, lines, tmp, `http://127.0.0.1:${port}`);
}

function serverHandle(child: ChildProcess, lines: ReturnType<typeof createInterface>, tmp: TempDir, endpoint: string): S3Server {
  const events: S3Event[] = [];
  const waiters = new Set<{ match: (e: S3Event) => boolean; resolve: (e: S3Event) => void }>();
  lines.on('line', (line) => {
    const e = JSON.parse(line) as S3Event;
    events.push(e);
    for (const w of waiters) {
      if (!w.match(e)) continue;
      waiters.delete(w);
      w.resolve(e);
    }
  });
  return {
    endpoint,
    dir: tmp.path,
    events,
    waitForEvent: (match) => {
      const seen = events.find(match);
      return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.add({ match, resolve }));
    },
    createBucket: async (name) => {
      const client = new S3Client({ ...s3ClientConfig({ endpoint }), credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
      await client.send(new CreateBucketCommand({ Bucket: name }));
      client.destroy();
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
      await tmp.cleanup();
    },
  };
}
