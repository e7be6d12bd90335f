import { ShipgateError } from '../errors.js';

/** A storage backend failed to read, write, list or delete; the message names the location, never credentials. */
export class StorageError extends ShipgateError {}
