/** The storage factory: picks the backend a database's `backup.storage` names. */
import { resolve } from 'node:path';
import type { StorageConfig } from '../config/schema/databases.js';
import type { BackupStorage } from './contract.js';
import { createLocalStorage } from './local.js';
import { createS3Storage } from './s3.js';

export type { BackupStorage, StoredObject } from './contract.js';

/** `root` is the config file's folder: a local `path` is relative to it. */
export function createStorage(config: StorageConfig, root: string): BackupStorage {
  switch (config.type) {
    case 'local':
      return createLocalStorage({ root: resolve(root, config.path) });
    case 's3':
      return createS3Storage({ bucket: config.bucket, prefix: config.prefix, region: config.region, endpoint: config.endpoint });
  }
}
