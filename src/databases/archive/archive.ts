import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { PassThrough, Transform, type Duplex, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { PRIVATE_FILE_MODE } from '../../runtime/private-files.js';
import { createDecryptor, createEncryptor } from './crypto.js';

/**
 * The archive pipeline, streaming end to end:
 *
 *   write: dump -> gzip (optional) -> encrypt (optional: passphrase or age) -> sha256 tap -> storage
 *   read:  storage -> sha256 check -> decrypt -> gunzip -> dump file
 *
 * The sha256 covers the stored bytes (after compression and encryption), so
 * `verify: list` and anyone with the record can check an archive without the key.
 * Reading checks the sha256 over the whole archive before decoding a byte of
 * it: the stored bytes land in a private file first, so a damaged archive is
 * named as damaged, not as a wrong key or a bad gzip stream.
 */

export type Compression = 'gzip' | 'none';

export interface ArchiveFormat {
  compression: Compression;
  /** Passphrase of `backup.encryption.key`; absent means not encrypted with one. */
  passphrase?: string;
  /** age recipients (`age1…`) of `backup.encryption.recipients` that new archives are encrypted to. */
  recipients?: readonly string[];
  /** age identities (`AGE-SECRET-KEY-1…`) that decrypt an archive encrypted to recipients. */
  identities?: readonly string[];
}

export interface WrittenArchive {
  sha256: string;
  size: number;
}

/** A transform that passes bytes through and counts and hashes them. */
export function createSha256Tap(): Transform & { digest(): WrittenArchive } {
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  let digest: string | null = null;
  return Object.assign(tap, { digest: () => ({ sha256: (digest ??= hash.digest('hex')), size }) });
}

/** The age library (and its curves) loads only for an archive that uses age: a plain backup starts sooner. */
const loadAge = (): Promise<typeof import('./age.js')> => import('./age.js');

async function encodeStages(format: ArchiveFormat): Promise<Duplex[]> {
  const stages: Duplex[] = [];
  if (format.compression === 'gzip') stages.push(createGzip());
  if (format.passphrase !== undefined) stages.push(createEncryptor(format.passphrase));
  if (format.recipients !== undefined) stages.push((await loadAge()).createAgeEncryptor(format.recipients));
  return stages;
}

async function decodeStages(format: ArchiveFormat): Promise<Duplex[]> {
  const stages: Duplex[] = [];
  if (format.passphrase !== undefined) stages.push(createDecryptor(format.passphrase));
  if (format.identities !== undefined) stages.push((await loadAge()).createAgeDecryptor(format.identities));
  if (format.compression === 'gzip') stages.push(createGunzip());
  return stages;
}

/** Streams `source` through the encoding stages into `put`; both must succeed. */
export async function writeArchive(source: Readable, format: ArchiveFormat, put: (body: Readable) => Promise<unknown>): Promise<WrittenArchive> {
  const stages = await encodeStages(format);
  const tap = createSha256Tap();
  const body = new PassThrough();
  const stored = put(body);
  const flowing = pipeline([source, ...stages, tap, body] as unknown as [Readable, PassThrough]).catch((err: unknown) => {
    body.destroy(err as Error);
    throw err;
  });
  await Promise.all([flowing, stored]);
  return tap.digest();
}

/** Copies `body` to a private file, returning its sha256 and size. */
export async function saveStored(body: Readable, file: string): Promise<WrittenArchive> {
  const tap = createSha256Tap();
  await pipeline(body, tap, createWriteStream(file, { mode: PRIVATE_FILE_MODE }));
  return tap.digest();
}

/** Decodes the stored archive in `storedFile` into `dumpFile`. */
export async function decodeArchive(storedFile: string, format: ArchiveFormat, dumpFile: string): Promise<void> {
  const stages = await decodeStages(format);
  await pipeline([createReadStream(storedFile), ...stages, createWriteStream(dumpFile, { mode: PRIVATE_FILE_MODE })] as unknown as [Readable, NodeJS.WritableStream]);
}
