/**
 * Backups in an S3 or S3-compatible bucket, under `prefix`. Credentials come from
 * the SDK's default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles,
 * roles), never from config; errors name the bucket and key and never a credential.
 */
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type { BackupStorage } from './contract.js';
import { assertPrefix, s3Location } from './keys.js';
import { s3ClientConfig, type S3ClientSettings } from './s3-client.js';
import { s3Failure } from './s3-errors.js';
import { uploadObject } from './s3-put.js';
import { DEFAULT_LIST_PAGE_SIZE, downloadObject, headObject, listObjects, type S3Object } from './s3-read.js';

export interface S3StorageOptions extends S3ClientSettings {
  /** The bucket; it must exist (shipgate never creates one). */
  bucket: string;
  /** Put before every key, e.g. `prod/`. @default '' */
  prefix?: string;
  /** Keys per ListObjectsV2 page. @default 1000 */
  listPageSize?: number;
}

/**
 * The SDK warns on Node 20 that its releases after January 2027 will need Node 22,
 * in the middle of a deploy's output, though this version runs fine on it. It is
 * the SDK's documented switch; `AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=false`
 * in the environment brings the notice back.
 */
function quietNodeVersionNotice(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

export function createS3Storage(opts: S3StorageOptions): BackupStorage {
  quietNodeVersionNotice();
  const client = new S3Client(s3ClientConfig(opts));
  const { bucket } = opts;
  const prefix = opts.prefix ?? '';
  const objectAt = (key: string): S3Object => ({ client, bucket, objectKey: prefix + key, location: s3Location(bucket, prefix, key) });
  return {
    type: 's3',
    location: (key: string) => objectAt(key).location,
    put: async (key: string, body: Readable, signal?: AbortSignal) => uploadObject(objectAt(key), body, signal),
    get: async (key: string, signal?: AbortSignal) => downloadObject(objectAt(key), signal),
    stat: async (key: string) => headObject(objectAt(key), key),
    list: async (listPrefix = '') => {
      assertPrefix(listPrefix);
      return listObjects({ client, bucket, basePrefix: prefix, pageSize: opts.listPageSize ?? DEFAULT_LIST_PAGE_SIZE }, listPrefix);
    },
    delete: async (key: string) => removeObject(objectAt(key)),
  };
}

// S3 answers a delete of a missing key with success, which is the contract already.
async function removeObject(o: S3Object): Promise<void> {
  await o.client.send(new DeleteObjectCommand({ Bucket: o.bucket, Key: o.objectKey })).catch((err: unknown) => {
    throw s3Failure('deleting', o.location, err);
  });
}
