import { ShipgateError } from '../errors.js';

/**
 * A backup, its proof or a restore failed. The message names the database or
 * archive and what is wrong; it never holds a password (URLs are masked before
 * they reach a message).
 */
export class BackupError extends ShipgateError {}

/**
 * `verify: restore` could not create its scratch database. The server's own text ("permission
 * denied to create database") names neither the database nor the way out, so this does.
 */
export function scratchRefused(name: string, where: string, err: unknown): BackupError {
  const advice = 'give the user the right to create databases, point backup.verifyUrl at a server where it may, or set backup.verify: list';
  return new BackupError(`could not create the scratch database ${name} at ${where} that proves the backup (verify: restore): ${(err as Error).message}; ${advice}`, { cause: err });
}
