/**
 * Patterns and defaults shared by the schema and by the light reader of read-only
 * commands (which must not load zod): one definition, so the two cannot drift.
 */
export const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$/;
export const STORE_URL_RE = /^(sqlite:.+|postgres(ql)?:\/\/.+)$/;
export const DEFAULT_STORE_URL = 'sqlite:.shipgate/state.db';
export const DEFAULT_ROLLBACK_WINDOW = '60m';
