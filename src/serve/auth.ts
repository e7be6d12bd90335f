/**
 * The bearer token of `shipgate serve`: read from `SHIPGATE_SERVE_TOKEN` or a file
 * only its owner can read, compared in constant time, and never printed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { UsageError } from '../errors.js';

export const SERVE_TOKEN_ENV = 'SHIPGATE_SERVE_TOKEN';
export const MIN_TOKEN_LENGTH = 16;

export interface TokenSource {
  env: NodeJS.ProcessEnv;
  /** `--token-file`. */
  file?: string;
}

/** The token, from the file if one is named, else from the environment. */
export async function loadToken(source: TokenSource): Promise<string> {
  const token = source.file === undefined ? source.env[SERVE_TOKEN_ENV] : await readTokenFile(source.file);
  if (token === undefined || token.trim() === '') {
    throw new UsageError(`shipgate serve needs a bearer token: set ${SERVE_TOKEN_ENV} or give --token-file (a file only you can read)`);
  }
  if (token.trim().length < MIN_TOKEN_LENGTH) throw new UsageError(`${source.file === undefined ? SERVE_TOKEN_ENV : '--token-file'}: the token must be at least ${MIN_TOKEN_LENGTH} characters`);
  return token.trim();
}

async function readTokenFile(path: string): Promise<string> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`--token-file ${path}: cannot read it (${err.code ?? err.message})`);
  });
  if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
    throw new UsageError(`--token-file ${path}: others can read it (mode ${(info.mode & 0o777).toString(8)}); chmod 600 it`);
  }
  return readFile(path, 'utf8');
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Whether an Authorization header carries the token (compared in constant time). */
export function isAuthorized(header: string | undefined, token: string): boolean {
  const m = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m !== null && timingSafeEqual(digest(m[1]!), digest(token));
}
