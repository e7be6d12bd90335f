import type { Readable } from 'node:stream';

/**
 * Where backup archives live: a local folder or an S3-compatible bucket. Keys
 * are relative, `/`-separated (`<app>/<environment>/<db>/<id>.dump.gz`), and
 * never hold credentials; neither does `location()`.
 */

export interface StoredObject {
  key: string;
  size: number;
  /** ISO time the object was written. */
  modifiedAt: string;
}

export interface BackupStorage {
  /** `local` or `s3`. */
  readonly type: string;
  /** Where `key` lives, for records and messages: a path, or `s3://bucket/prefix/key`. */
  location(key: string): string;
  /** Streams `body` to `key`; resolves with the bytes stored once they are durable. A failed put leaves nothing under `key`. */
  put(key: string, body: Readable, signal?: AbortSignal): Promise<{ size: number }>;
  /** The object's bytes; rejects with NotFound when there is none. */
  get(key: string, signal?: AbortSignal): Promise<Readable>;
  stat(key: string): Promise<StoredObject | null>;
  /** Objects whose key starts with `prefix`, oldest first. */
  list(prefix?: string): Promise<StoredObject[]>;
  /** Removes `key`; a key that is not there is not an error. */
  delete(key: string): Promise<void>;
}
