/** Store URLs: `sqlite:PATH`, `sqlite::memory:`, `postgres://...`, `postgresql://...`. */
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { isSecretName, MASK, SECRET_KEY_RE } from '../runtime/secrets.js';

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

/** `scheme://user:` then the password, greedy up to the authority's last '@': an unencoded '@' may sit in the password. */
const URL_PASSWORD_RE = /^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*):([^/?#]*)@/i;
/** A query parameter (`?sslpassword=...`); its value runs to the next `&` or `#`. */
const QUERY_PARAM_RE = /([?&])([^=&#]+)=([^&#]*)/g;

/** `url` with its password and secret query parameters, if any, replaced by `***`. */
export function maskStoreUrl(url: string): string {
  return url.replace(URL_PASSWORD_RE, `$1:${MASK}@`).replace(QUERY_PARAM_RE, (whole, sep: string, name: string) => (isSecretParam(name) ? `${sep}${name}=${MASK}` : whole));
}

/**
 * The credentials in a store URL, as written and decoded: its password and the
 * values of secret query parameters. Only these are masked: the rest of the URL
 * (`sqlite:.shipgate/state.db`, a host, a database name) is not a secret.
 */
export function storeUrlSecrets(url: string): string[] {
  const found: string[] = [];
  const password = URL_PASSWORD_RE.exec(url)?.[2];
  if (password) found.push(password, decoded(password));
  for (const m of url.matchAll(QUERY_PARAM_RE)) if (m[3] && isSecretParam(decoded(m[2]!))) found.push(m[3], decoded(m[3]));
  return [...new Set(found)];
}

function isSecretParam(name: string): boolean {
  return SECRET_KEY_RE.test(name) || isSecretName(name);
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
