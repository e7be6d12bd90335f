/** The storage factory: picks the backend a database's `backup.storage` names. */
import { resolve } from 'node:path';
import type { StorageConfig } from '../config/schema/databases.js';
import type { BackupStorage } from './contract.js';
import { s3Location } from './keys.js';
import { lazyStorage } from './lazy.js';
import { createLocalStorage } from './local.js';

export type { BackupStorage, StoredObject } from './contract.js';

/** `root` is the config file's folder: a local `path` is relative to it. */
export function createStorage(config: StorageConfig, root: string): BackupStorage {
  switch (config.type) {
    case 'local':
      return createLocalStorage({ root: resolve(root, config.path) });
    case 's3':
      // The S3 SDK is loaded only when a bucket is used: it is a large part of every backup command's start-up otherwise.
      return lazyStorage('s3', (key) => s3Location(config.bucket, config.prefix, key), async () =>
        (await import('./s3.js')).createS3Storage({ bucket: config.bucket, prefix: config.prefix, region: config.region, endpoint: config.endpoint }),
      );
  }
}
