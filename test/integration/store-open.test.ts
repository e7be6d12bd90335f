/** Opening a store: URL parsing, password masking, clear errors, and keeping cold start light. */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { toNumberedPlaceholders } from '../../src/store/dialect.js';
import { maskStoreUrl, openStore } from '../../src/store/index.js';
import { storeUrlSecrets } from '../../src/store/url.js';
import { parseStoreUrl } from '../../src/store/url.js';

const storeDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/store');

describe('parseStoreUrl', () => {
  it('resolves a relative sqlite path against the root and keeps an absolute one', () => {
    expect(parseStoreUrl('sqlite:.shipgate/state.db', '/srv/app')).toEqual({ dialect: 'sqlite', path: '/srv/app/.shipgate/state.db' });
    expect(parseStoreUrl('sqlite:../shared/state.db', '/srv/app')).toEqual({ dialect: 'sqlite', path: '/srv/shared/state.db' });
    expect(parseStoreUrl('sqlite:/var/lib/shipgate.db', '/srv/app')).toEqual({ dialect: 'sqlite', path: '/var/lib/shipgate.db' });
    expect(parseStoreUrl('sqlite::memory:', '/srv/app')).toEqual({ dialect: 'sqlite', path: ':memory:' });
  });

  it('passes postgres:// and postgresql:// through', () => {
    expect(parseStoreUrl('postgres://u@db/shipgate', '/x')).toEqual({ dialect: 'postgres', url: 'postgres://u@db/shipgate' });
    expect(parseStoreUrl('postgresql://u:p@db:5433/shipgate?sslmode=require', '/x')).toEqual({
      dialect: 'postgres',
      url: 'postgresql://u:p@db:5433/shipgate?sslmode=require',
    });
  });

  it.each(['mysql://root:hunter22@db/shipgate', 'sqlite:', 'state.db', 'postgres://', 'SQLITE:x.db', ''])('rejects %j with a clear message', (url) => {
    let caught: unknown;
    try {
      parseStoreUrl(url, '/x');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toContain('unsupported store URL');
    expect((caught as Error).message).toContain('expected "sqlite:PATH" or "postgres://');
    expect((caught as Error).message).not.toContain('hunter22');
  });

  it('names the URL, password masked', () => {
    expect(() => parseStoreUrl('mysql://root:hunter22@db/shipgate', '/x')).toThrow('unsupported store URL "mysql://root:***@db/shipgate"');
  });
});

describe('maskStoreUrl', () => {
  it.each([
    ['postgres://u:secret@db/x', 'postgres://u:***@db/x'],
    ['postgresql://u:p%40ss@db:5432/x?sslmode=require', 'postgresql://u:***@db:5432/x?sslmode=require'],
    ['postgres://u:p@ss@db/x', 'postgres://u:***@db/x'],
    ['postgres://:secret@db/x', 'postgres://:***@db/x'],
    ['postgres://u@db/x', 'postgres://u@db/x'],
    ['postgres://db:5432/x', 'postgres://db:5432/x'],
    ['sqlite:/tmp/a:b@c.db', 'sqlite:/tmp/a:b@c.db'],
    ['postgres://u@db/x?sslmode=require&sslpassword=k3y&password=pw#frag', 'postgres://u@db/x?sslmode=require&sslpassword=***&password=***#frag'],
  ])('%s -> %s', (url, masked) => {
    expect(maskStoreUrl(url)).toBe(masked);
  });
});

describe('storeUrlSecrets', () => {
  it.each([
    ['sqlite:.shipgate/state.db', []],
    ['sqlite:/tmp/a:b@c.db', []],
    ['postgres://ci@db.internal/shipgate', []],
    ['postgres://u:secret@db/x', ['secret']],
    ['postgresql://u:p%40ss@db:5432/x?sslmode=require', ['p%40ss', 'p@ss']],
    ['postgres://u:p@ss@db/x', ['p@ss']],
    ['postgres://u@db/x?sslmode=require&sslpassword=k3y%2B1&application_name=sg', ['k3y%2B1', 'k3y+1']],
  ])('%s: only the credentials, %j', (url, secrets) => {
    expect(storeUrlSecrets(url)).toEqual(secrets);
  });
});

describe('openStore errors', () => {
  it('an unreachable PostgreSQL fails fast, naming the URL without its password', async () => {
    const err = await openStore('postgres://sg:topsecret@127.0.0.1:1/shipgate', { root: '/x' }).then(
      () => new Error('unexpectedly opened'),
      (e: unknown) => e as Error,
    );
    expect(err.message).toMatch(/^cannot open store postgres:\/\/sg:\*\*\*@127\.0\.0\.1:1\/shipgate: /);
    expect(err.message).not.toContain('topsecret');
  });
});

describe('toNumberedPlaceholders', () => {
  it('numbers ? in order', () => {
    expect(toNumberedPlaceholders('SELECT a FROM t WHERE b = ? AND c IN (?, ?) LIMIT ?')).toBe('SELECT a FROM t WHERE b = $1 AND c IN ($2, $3) LIMIT $4');
  });
});

describe('cold start', () => {
  /** Non-type static imports of a module: `import x from 'm'`, `import { a } from 'm'`, `export * from 'm'`. */
  function staticImports(source: string): string[] {
    const re = /^(?:import|export)\s+(?!type\b)(?:[^;'"]*?\sfrom\s+)?'([^']+)'/gm;
    return [...source.matchAll(re)].map((m) => m[1] ?? '');
  }

  it('loads pg and better-sqlite3 only from their driver modules, which are only imported dynamically; never kysely', async () => {
    const files = (await readdir(storeDir)).filter((f) => f.endsWith('.ts'));
    const allowed: Record<string, string> = { pg: 'pg-driver.ts', 'better-sqlite3': 'sqlite-driver.ts' };
    for (const file of files) {
      const source = await readFile(resolve(storeDir, file), 'utf8');
      for (const spec of staticImports(source)) {
        expect(spec, `${file} imports kysely`).not.toMatch(/^kysely/);
        if (spec in allowed) expect(file, `${file} statically imports ${spec}`).toBe(allowed[spec]);
        expect(spec, `${file} statically imports a driver module`).not.toMatch(/^\.\/(pg|sqlite)-driver\.js$/);
      }
    }
    expect(staticImports(await readFile(resolve(storeDir, 'pg-driver.ts'), 'utf8'))).toContain('pg');
  });
});
