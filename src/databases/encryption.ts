import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { DatabaseConfig } from '../config/schema/databases.js';
import { parseIdentities } from './archive/age-keys.js';
import type { ArchiveFormat, Compression } from './archive/archive.js';
import type { BackupOutput, EncryptionKind } from './contract.js';
import { BackupError } from './errors.js';

/**
 * Which encryption an archive gets, and the secret that reads it back:
 * `backup.encryption.key` (a passphrase) or `recipients` (age), whose
 * identity comes from `identity` (the environment) or `identityFile`.
 */

type Encryption = NonNullable<DatabaseConfig['backup']['encryption']>;

/** How a stored backup is encrypted (backups from before age recipients carry only `encrypted`). */
export function encryptionOf(b: Pick<BackupOutput, 'encrypted' | 'encryption'>): EncryptionKind {
  return b.encryption ?? (b.encrypted ? 'passphrase' : 'none');
}

/** The encryption `backup.encryption` gives new archives. */
export function configuredEncryption(db: DatabaseConfig): EncryptionKind {
  const e = db.backup.encryption;
  if (e?.recipients !== undefined) return 'age';
  return e?.key !== undefined ? 'passphrase' : 'none';
}

/** The format new archives are written in (encrypting needs no secret with age). */
export function writeFormat(db: DatabaseConfig): ArchiveFormat {
  const e = db.backup.encryption;
  const compression = archiveCompression(db);
  if (e?.recipients !== undefined) return { compression, recipients: e.recipients };
  return e?.key !== undefined ? { compression, passphrase: e.key } : { compression };
}

/** `backup.compression` as archives are written: `auto` is gzip, except for PostgreSQL, whose custom-format dump is compressed already. */
export function archiveCompression(db: Pick<DatabaseConfig, 'type' | 'backup'>): Compression {
  const c = db.backup.compression;
  return c === 'auto' ? (db.type === 'postgres' ? 'none' : 'gzip') : c;
}

/** Whether the config holds what decrypts an archive of `kind` (an identity file is only read when used). */
export function canDecrypt(db: DatabaseConfig, kind: EncryptionKind): boolean {
  const e = db.backup.encryption;
  if (kind === 'passphrase') return e?.key !== undefined;
  if (kind === 'age') return e?.identity !== undefined || e?.identityFile !== undefined;
  return true;
}

/**
 * The format an archive of `kind` is read with, its secret from the config.
 * `root` is the folder a relative `identityFile` starts from.
 */
export async function readFormat(db: DatabaseConfig, kind: EncryptionKind, compression: Compression, root: string): Promise<ArchiveFormat> {
  const e = db.backup.encryption;
  if (kind === 'none') return { compression };
  if (kind === 'passphrase') {
    if (e?.key === undefined) throw new BackupError('the archive is encrypted with a passphrase but backup.encryption.key is not set');
    return { compression, passphrase: e.key };
  }
  ensureDecryptable(db, kind);
  return { compression, identities: await identitiesOf(e!, root) };
}

/** Throws when the config lacks what decrypts an archive of `kind`: before any work that would be wasted. */
export function ensureDecryptable(db: DatabaseConfig, kind: EncryptionKind): void {
  if (kind === 'age' && !canDecrypt(db, kind)) {
    throw new BackupError('the archive is encrypted to age recipients, but neither backup.encryption.identity nor backup.encryption.identityFile is set, so it cannot be decrypted here');
  }
}

async function identitiesOf(e: Encryption, root: string): Promise<string[]> {
  const text = e.identity ?? (await readIdentityFile(resolve(root, e.identityFile!)));
  const parsed = parseIdentities(text);
  if ('problem' in parsed) throw new BackupError(`backup.encryption.${e.identity !== undefined ? 'identity' : `identityFile (${e.identityFile})`}: ${parsed.problem}`);
  return parsed.identities;
}

/** The identity file's text; refused when other users may read or change it, as ssh refuses a private key. */
async function readIdentityFile(path: string): Promise<string> {
  const where = `backup.encryption.identityFile (${path})`;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new BackupError(`${where}: expected a file`);
    if ((st.mode & 0o077) !== 0) throw new BackupError(`${where}: other users may read it (mode 0${(st.mode & 0o777).toString(8)}); make it private with chmod 600`);
    return await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError(`${where}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
}
