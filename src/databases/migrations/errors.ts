import { ShipgateError } from '../../errors.js';

/** A migrations folder, history table or migration run failed; the message names the file, statement or migration. */
export class MigrationError extends ShipgateError {}
