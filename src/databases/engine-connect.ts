import { openSql } from './connection.js';
import type { SqlClient } from './contract.js';
import { BackupError } from './errors.js';

/** What the engines need of a parsed server URL: where it points, and its password if any. */
export interface ParsedServerUrl {
  conn: { host: string; port: string; database: string };
  password: string | null;
}

/**
 * An SQL connection for a backup, proof or restore; the error names the server
 * and the database, and what the connection was for, never the URL (it may hold
 * a password).
 */
export async function connectEngine(type: 'postgres' | 'mysql', label: string, parse: (url: string) => ParsedServerUrl, url: string, what: string): Promise<SqlClient> {
  try {
    return await openSql(type, url);
  } catch (err) {
    const { conn } = parse(url);
    throw new BackupError(`could not connect to ${label} database ${conn.database} at ${conn.host}:${conn.port} for ${what}: ${(err as Error).message}`);
  }
}

/** What a tool's output and errors must never show of `url`: the URL itself and its password. */
export function urlSecrets(url: string, parse: (url: string) => ParsedServerUrl): string[] {
  const p = parse(url).password;
  return p === null ? [url] : [url, p];
}
