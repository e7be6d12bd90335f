/** The S3 backend's reads: one object's bytes or facts, and the paged listing behind `list`. */
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client, type _Object } from '@aws-sdk/client-s3';
import { addAbortSignal, Readable } from 'node:stream';
import { NotFound } from '../errors.js';
import type { StoredObject } from './contract.js';
import { keyProblem } from './keys.js';
import { oldestFirst } from './order.js';
import { isMissingObject, s3Failure } from './s3-errors.js';

/** Keys per ListObjectsV2 request (S3's own maximum). */
export const DEFAULT_LIST_PAGE_SIZE = 1000;

export interface S3Object {
  client: S3Client;
  bucket: string;
  objectKey: string;
  location: string;
}

export async function downloadObject(o: S3Object, signal?: AbortSignal): Promise<Readable> {
  const out = await o.client.send(new GetObjectCommand({ Bucket: o.bucket, Key: o.objectKey }), { abortSignal: signal }).catch((err: unknown) => {
    throw isMissingObject(err) ? new NotFound(`no backup at ${o.location}`) : s3Failure('reading', o.location, err);
  });
  if (!(out.Body instanceof Readable)) throw s3Failure('reading', o.location, null, 'the response has no body stream');
  return signal ? addAbortSignal(signal, out.Body) : out.Body;
}

export async function headObject(o: S3Object, key: string): Promise<StoredObject | null> {
  try {
    const out = await o.client.send(new HeadObjectCommand({ Bucket: o.bucket, Key: o.objectKey }));
    return { key, size: out.ContentLength ?? 0, modifiedAt: (out.LastModified ?? new Date(0)).toISOString() };
  } catch (err) {
    if (isMissingObject(err)) return null;
    throw s3Failure('reading', o.location, err);
  }
}

export interface S3Listing {
  client: S3Client;
  bucket: string;
  /** The storage's own prefix (config `prefix`), cut from every key. */
  basePrefix: string;
  pageSize: number;
}

/** Every object whose key starts with `prefix`, through all pages, oldest first (ties by key). */
export async function listObjects(l: S3Listing, prefix: string): Promise<StoredObject[]> {
  const found: StoredObject[] = [];
  let token: string | undefined;
  do {
    const page = await l.client.send(new ListObjectsV2Command({ Bucket: l.bucket, Prefix: l.basePrefix + prefix, MaxKeys: l.pageSize, ContinuationToken: token })).catch((err: unknown) => {
      throw s3Failure('listing', `s3://${l.bucket}/${l.basePrefix}${prefix}`, err);
    });
    for (const o of page.Contents ?? []) pushObject(l, o, found);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return found.sort(oldestFirst);
}

function pushObject(l: S3Listing, o: _Object, found: StoredObject[]): void {
  const key = (o.Key ?? '').slice(l.basePrefix.length);
  // Folder markers ("x/") and objects other tools put there are not keys get() would accept.
  if (keyProblem(key) !== null) return;
  found.push({ key, size: o.Size ?? 0, modifiedAt: (o.LastModified ?? new Date(0)).toISOString() });
}
