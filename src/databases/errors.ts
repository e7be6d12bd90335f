import { ShipgateError } from '../errors.js';

/**
 * A backup, its proof or a restore failed. The message names the database or
 * archive and what is wrong; it never holds a password (URLs are masked before
 * they reach a message).
 */
export class BackupError extends ShipgateError {}
