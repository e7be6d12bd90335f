/**
 * The S3 backend's put: a multipart `Upload` fed straight from the archive stream
 * (at most queueSize x partSize bytes in memory, never the whole archive). The
 * object appears only when the upload completes, so a failure leaves nothing under
 * the key. An abort stops the source instead of the Upload: Upload.abort() rejects at
 * once while a request already sent may still land, and put must not return before
 * the bucket is settled.
 */
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { pipeline, Transform, type Readable } from 'node:stream';
import { Cancelled, errorMessage } from '../errors.js';
import { s3Failure } from './s3-errors.js';

/** Parts uploaded at once (lib-storage's default). */
export const DEFAULT_UPLOAD_QUEUE_SIZE = 4;

export interface S3PutTarget {
  client: S3Client;
  bucket: string;
  objectKey: string;
  location: string;
}

export async function uploadObject(target: S3PutTarget, body: Readable, signal?: AbortSignal): Promise<{ size: number }> {
  const counted = countBytes(body);
  const onAbort = (): void => void counted.stream.destroy(new Cancelled(`writing ${target.location} was cancelled`));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (signal?.aborted) onAbort();
    const upload = new Upload({ client: target.client, queueSize: DEFAULT_UPLOAD_QUEUE_SIZE, params: { Bucket: target.bucket, Key: target.objectKey, Body: counted.stream } });
    await upload.done().catch((err: unknown) => {
      if (signal?.aborted) throw new Cancelled(`writing ${target.location} was cancelled`);
      const reason = counted.sourceError() ? `reading the archive failed: ${errorMessage(counted.sourceError())}` : undefined;
      throw s3Failure('writing', target.location, err, reason);
    });
    if (signal?.aborted) await undoLatePut(target);
    return { size: counted.size() };
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

// The abort came after the last byte was read and the upload still completed: remove it, as promised.
async function undoLatePut(target: S3PutTarget): Promise<never> {
  await target.client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: target.objectKey })).catch((err: unknown) => {
    throw s3Failure('removing the cancelled upload', target.location, err);
  });
  throw new Cancelled(`writing ${target.location} was cancelled`);
}

/** A pass-through of `body` that counts its bytes and remembers why the source failed. */
function countBytes(body: Readable): { stream: Transform; size: () => number; sourceError: () => unknown } {
  let size = 0;
  let failure: unknown;
  const stream = new Transform({
    transform(chunk: Buffer | string, _encoding, done) {
      size += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      done(null, chunk);
    },
  });
  body.once('error', (err) => (failure = err));
  // pipeline destroys `stream` with the source's error, which fails the upload.
  pipeline(body, stream, () => undefined);
  return { stream, size: () => size, sourceError: () => failure };
}
