/**
 * The store schema version this build writes. Kept apart from the migration list
 * so that opening an up-to-date store does not load every migration's SQL (start-up
 * time); a test keeps it equal to the last migration's version.
 */
export const LATEST_SCHEMA_VERSION = 7;
