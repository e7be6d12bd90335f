/** Store URLs: `sqlite:PATH`, `sqlite::memory:`, `postgres://...`, `postgresql://...`. */
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../errors.js';

export type StoreTarget = { dialect: 'sqlite'; path: string } | { dialect: 'postgres'; url: string };

const SQLITE_PREFIX = 'sqlite:';
const POSTGRES_RE = /^postgres(ql)?:\/\/./;

/** Where `url` points; a relative SQLite path is resolved against `root`. */
export function parseStoreUrl(url: string, root: string): StoreTarget {
  if (POSTGRES_RE.test(url)) return { dialect: 'postgres', url };
  if (url.startsWith(SQLITE_PREFIX) && url.length > SQLITE_PREFIX.length) {
    const path = url.slice(SQLITE_PREFIX.length);
    if (path === ':memory:') return { dialect: 'sqlite', path };
    return { dialect: 'sqlite', path: isAbsolute(path) ? path : resolve(root, path) };
  }
  throw new ConfigError(`unsupported store URL "${maskStoreUrl(url)}": expected "sqlite:PATH" or "postgres://user@host/db"`);
}

/** `url` with its password, if any, replaced by `***`. */
export function maskStoreUrl(url: string): string {
  // Greedy up to the authority's last '@': an unencoded '@' may sit in the password.
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*):[^/?#]*@/i, '$1:***@');
}
