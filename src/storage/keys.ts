/**
 * Storage keys are chosen by shipgate (`<app>/<environment>/<db>/<id>.dump.gz`), but
 * one may come back from a record or a listing, so every backend checks it before
 * touching anything: a key can never reach outside the folder or the prefix.
 */
import { UsageError } from '../errors.js';

/** Longest key accepted: S3's own limit for a whole object key, in bytes. */
export const MAX_KEY_BYTES = 1024;

/** Why `key` is not a valid storage key, or null when it is. */
export function keyProblem(key: string): string | null {
  if (key.length === 0) return 'is empty';
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return `is longer than ${MAX_KEY_BYTES} bytes`;
  if (key.includes('\0')) return 'contains a NUL character';
  if (key.includes('\\')) return 'contains "\\" (keys are "/"-separated)';
  if (key.startsWith('/')) return 'starts with "/" (keys are relative)';
  return key.split('/').map(segmentProblem).find((p) => p !== null) ?? null;
}

// A segment starting with "." is refused as a whole: it rules out "." and "..", and
// leaves dot-names free for the local backend's temp files, which are never keys.
function segmentProblem(segment: string): string | null {
  if (segment === '') return 'has an empty segment ("//" or a trailing "/")';
  if (segment === '..' || segment === '.') return `has a "${segment}" segment`;
  if (segment.startsWith('.')) return `has a segment starting with "." (${JSON.stringify(segment)})`;
  return null;
}

/** Throws a UsageError naming `key` and what is wrong with it. */
export function assertKey(key: string): void {
  const problem = keyProblem(key);
  if (problem !== null) throw new UsageError(`invalid storage key ${JSON.stringify(key)}: ${problem}`);
}

/**
 * A list prefix is a key's beginning: it may be empty or end inside a segment or
 * with "/", but follows the key rules for everything before that.
 */
export function assertPrefix(prefix: string): void {
  if (prefix === '') return;
  const whole = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  const problem = keyProblem(whole);
  if (problem !== null) throw new UsageError(`invalid storage prefix ${JSON.stringify(prefix)}: ${problem}`);
}

/** Where `key` lives in a bucket, for records and messages (no SDK needed, so it is known before the SDK loads). */
export function s3Location(bucket: string, prefix: string, key: string): string {
  assertKey(key);
  return `s3://${bucket}/${prefix}${key}`;
}
