/** The BackupStorage contract against both backends: a local folder, and S3 on a real s3rver. */
import { utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createLocalStorage } from '../../src/storage/local.js';
import { createS3Storage } from '../../src/storage/s3.js';
import { S3RVER_CREDENTIALS, startS3Server, type S3Server } from '../support/s3.js';
import { describeStorageContract } from '../support/storage-contract.js';
import { makeTempDir, type TempDir } from '../support/tmp.js';

let tmp: TempDir | undefined;
describeStorageContract('local folder', {
  make: async () => {
    tmp = await makeTempDir('shipgate-storage-');
    // A folder that does not exist yet: the first put makes it.
    return createLocalStorage({ root: join(tmp.path, 'backups') });
  },
  age: async (storage, key, at) => utimes(storage.location(key), at, at),
  cleanup: async () => tmp?.cleanup(),
});

let server: S3Server;
let buckets = 0;
const savedEnv = { ...process.env };
beforeAll(async () => {
  server = await startS3Server();
  Object.assign(process.env, S3RVER_CREDENTIALS);
});
afterAll(async () => {
  process.env = savedEnv;
  await server?.stop();
});

const PREFIX = 'shipgate/';
describeStorageContract('S3 (s3rver), with a prefix and 2-key list pages', {
  make: async () => {
    const bucket = `contract-${++buckets}`;
    await server.createBucket(bucket);
    return createS3Storage({ bucket, prefix: PREFIX, region: 'us-east-1', endpoint: server.endpoint, listPageSize: 2 });
  },
  // s3rver reports an object's time from its data file's mtime.
  age: async (storage, key, at) => {
    const { host, pathname } = new URL(storage.location(key));
    await utimes(join(server.dir, host, `${pathname.slice(1)}._S3rver_object`), at, at);
  },
});
