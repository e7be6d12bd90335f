/** What the contract cannot see of the S3 backend: multipart uploads, and credentials kept out of every error. */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createS3Storage } from '../../src/storage/s3.js';
import type { BackupStorage } from '../../src/storage/contract.js';
import { S3RVER_CREDENTIALS, startS3Server, type S3Server } from '../support/s3.js';
import { chunked, LARGE_SIZE } from '../support/storage-contract.js';

let server: S3Server;
const savedEnv = { ...process.env };
beforeAll(async () => {
  server = await startS3Server();
  await server.createBucket('shipgate-s3');
});
afterAll(async () => {
  await server?.stop();
});
afterEach(() => {
  process.env = { ...savedEnv };
});

const storageIn = (bucket: string): BackupStorage => createS3Storage({ bucket, prefix: 'prod/', region: 'us-east-1', endpoint: server.endpoint });

describe('S3 storage', () => {
  it('uploads a multi-MB archive as a multipart upload and a small one with one PUT', async () => {
    Object.assign(process.env, S3RVER_CREDENTIALS);
    const storage = storageIn('shipgate-s3');
    await storage.put('app/large.dump.gz', chunked(randomBytes(LARGE_SIZE)));
    await storage.put('app/small.dump.gz', chunked(randomBytes(1000)));
    // Completing a multipart upload is a POST; a single PutObject a PUT.
    expect((await server.waitForEvent((e) => e.key === 'prod/app/large.dump.gz')).event).toBe('ObjectCreated:Post');
    expect((await server.waitForEvent((e) => e.key === 'prod/app/small.dump.gz')).event).toBe('ObjectCreated:Put');
  });

  it('a missing bucket: errors name the bucket and the key, and the operation', async () => {
    Object.assign(process.env, S3RVER_CREDENTIALS);
    const storage = storageIn('no-such-bucket');
    await expect(storage.get('app/1.dump')).rejects.toThrow('reading s3://no-such-bucket/prod/app/1.dump failed: NoSuchBucket (HTTP 404): The specified bucket does not exist');
    await expect(storage.put('app/1.dump', chunked(randomBytes(100)))).rejects.toThrow('writing s3://no-such-bucket/prod/app/1.dump failed: NoSuchBucket (HTTP 404)');
    await expect(storage.list('app/')).rejects.toThrow('listing s3://no-such-bucket/prod/app/ failed: NoSuchBucket (HTTP 404)');
  });

  // s3rver checks that the access key id exists but not SigV4 signatures, so a wrong
  // secret alone fails nothing: the failures come from an unknown key id and a missing bucket.
  for (const [why, keyId, bucket, failure] of [
    ['an unknown access key id', 'SGUNKNOWNKEYID', 'shipgate-s3', /failed: \w+ \(HTTP 403\)/],
    ['a missing bucket', 'S3RVER', 'no-such-bucket', /failed: \w+ \(HTTP 404\)/],
  ] as const) {
    it(`the secret access key appears in no error of a failed operation (${why}), however the error is printed`, async () => {
      const secret = `sg-test-secret-${randomBytes(12).toString('hex')}`;
      Object.assign(process.env, { AWS_ACCESS_KEY_ID: keyId, AWS_SECRET_ACCESS_KEY: secret });
      const storage = storageIn(bucket);
      const settle = (p: Promise<unknown>): Promise<unknown> => p.then(() => 'resolved', (e: unknown) => e);
      const errors = await Promise.all([
        settle(storage.put('app/small.dump', chunked(randomBytes(100)))),
        settle(storage.put('app/large.dump', chunked(randomBytes(LARGE_SIZE)))),
        settle(storage.get('app/small.dump')),
        settle(storage.list('app/')),
        settle(storage.delete('app/small.dump')),
        // HEAD answers carry no body: a missing bucket looks like a missing object there.
        ...(bucket === 'no-such-bucket' ? [] : [settle(storage.stat('app/small.dump'))]),
      ]);
      for (const err of errors) {
        expect(err).toBeInstanceOf(Error);
        expect((err as Error).message).toMatch(new RegExp(`^\\w+ s3://${bucket}/prod/app/\\S* ${failure.source}`));
        expect(inspect(err, { depth: 20 }) + JSON.stringify(err) + String((err as Error).stack)).not.toContain(secret);
      }
    });
  }
});
