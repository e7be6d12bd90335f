/** Turning SDK failures into shipgate errors that name the object and never a credential. */
import { Masker, secretsFromEnv } from '../runtime/secrets.js';
import { StorageError } from './errors.js';

interface SdkError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** Whether the SDK error says the object is not there (GET answers NoSuchKey, HEAD a bare 404). */
export function isMissingObject(err: unknown): boolean {
  const e = err as SdkError;
  return e?.name === 'NoSuchKey' || (e?.name === 'NotFound' && e.$metadata?.httpStatusCode === 404);
}

/** `<action> <location> failed: <SDK error name> (HTTP status): <message>`, with secrets of the environment masked. */
export function s3Failure(action: string, location: string, err: unknown, reason?: string): StorageError {
  // The credential chain reads the environment, so its secrets are what could leak.
  // The SDK's error is not kept as `cause`: --verbose would print it unmasked.
  const masker = new Masker(secretsFromEnv(process.env));
  return new StorageError(masker.mask(`${action} ${location} failed: ${reason ?? describe(err)}`));
}

function describe(err: unknown): string {
  const e = (err ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode;
  const name = e.name && e.name !== 'Error' ? `${e.name}${status ? ` (HTTP ${status})` : ''}: ` : '';
  return `${name}${e.message ?? String(err)}`;
}
