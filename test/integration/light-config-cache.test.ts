/** The read-only commands' config cache: used only for identical text, never holds secrets, never creates `.shipgate/`. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadStoreSettings } from '../../src/config/light.js';
import { lightCachePath } from '../../src/config/light-cache.js';
import { ConfigError } from '../../src/errors.js';
import { CLI, cliEnv } from '../support/project.js';
import { makeTempDir, type TempDir } from '../support/tmp.js';

const BASE = `app: shop
provider: { type: command, deploy: ["true"] }
rollback: { window: 30m }
environments:
  staging: { store: { url: "sqlite:state/staging.db" }, rollback: { window: 10m } }
  production: {}
`;

let tmp: TempDir;
let path: string;

beforeEach(async () => {
  tmp = await makeTempDir();
  path = join(tmp.path, 'shipgate.yaml');
  await writeFile(path, BASE);
});
afterEach(() => tmp.cleanup());

const load = (environment?: string, env: NodeJS.ProcessEnv = {}) => loadStoreSettings({ configPath: path, environment, env });
/** Settings without the masker (a class instance). */
const plain = async (environment?: string, env?: NodeJS.ProcessEnv) => {
  const { masker: _masker, ...rest } = await load(environment, env);
  return rest;
};

describe('light config cache', () => {
  it('writes nothing and creates no .shipgate/ where there is none', async () => {
    await load('staging');
    expect(existsSync(join(tmp.path, '.shipgate'))).toBe(false);
  });

  it('gives the same settings from the cache as from the YAML, for every environment', async () => {
    const parsed = { staging: await plain('staging'), production: await plain('production'), none: await plain() };
    await mkdir(join(tmp.path, '.shipgate'));
    await load('staging'); // writes the cache
    const file = lightCachePath(path);
    expect(existsSync(file)).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const cached = { staging: await plain('staging'), production: await plain('production'), none: await plain() };
    expect(cached).toEqual(parsed);
    expect(cached.staging).toMatchObject({ app: 'shop', storeUrl: 'sqlite:state/staging.db', rollbackWindow: '10m', environments: ['staging', 'production'] });
    // Only the keys the light reader uses are kept.
    const entry = JSON.parse(await readFile(file, 'utf8')) as { doc: Record<string, unknown> };
    expect(Object.keys(entry.doc).sort()).toEqual(['app', 'environments', 'provider', 'rollback']);
  });

  it('is not used once the text changes, even by one byte of the same length', async () => {
    await mkdir(join(tmp.path, '.shipgate'));
    await load('production');
    await writeFile(path, BASE.replace('app: shop', 'app: shoq'));
    expect((await load('production')).app).toBe('shoq');
    await writeFile(path, BASE.replace('app: shop', 'app: "{'));
    await expect(load('production')).rejects.toThrow(ConfigError);
  });

  it('ignores an unreadable or foreign entry and replaces it', async () => {
    await mkdir(join(tmp.path, '.shipgate'));
    await load('production');
    const file = lightCachePath(path);
    const good = JSON.parse(await readFile(file, 'utf8')) as { format: number; path: string; source: string; doc: Record<string, unknown> };
    const evil = { ...good, doc: { ...good.doc, app: 'evil' } };
    const junks = [
      '{not json',
      '[]',
      JSON.stringify({ ...evil, source: good.source.replace('app: shop', 'app: shoq') }), // parsed from other text
      JSON.stringify({ ...evil, format: good.format + 1 }), // another format
      JSON.stringify({ ...evil, path: `${path}.other` }), // another config file
    ];
    for (const junk of junks) {
      await writeFile(file, junk);
      expect((await load('production')).app).toBe('shop');
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(good);
    }
    // The control: the same entry with the right text is used as it stands.
    await writeFile(file, JSON.stringify(evil));
    expect((await load('production')).app).toBe('evil');
  });

  it('knows which environments have a status script', async () => {
    await writeFile(path, BASE.replace('  production: {}', '  production: { provider: { status: ["./status.sh"] } }'));
    await mkdir(join(tmp.path, '.shipgate'));
    for (let i = 0; i < 2; i++) expect((await load('staging')).statusScripts).toEqual(['production']);
  });

  it('holds values as written: a secret interpolated from the environment never reaches it', async () => {
    const secret = 'pg-pass-6a1f9c';
    await writeFile(path, BASE.replace('  production: {}', '  production: { store: { url: "postgres://app:${PGPASS}@127.0.0.1/shop" } }'));
    await mkdir(join(tmp.path, '.shipgate'));
    for (let i = 0; i < 2; i++) {
      const settings = await load('production', { PGPASS: secret });
      expect(settings.storeUrl).toBe(`postgres://app:${secret}@127.0.0.1/shop`);
      expect(settings.masker.mask(settings.storeUrl)).not.toContain(secret);
    }
    const text = await readFile(lightCachePath(path), 'utf8');
    expect(text).toContain('${PGPASS}');
    expect(text).not.toContain(secret);
    // A missing variable is still an error naming the key path, cache or not.
    await expect(load('production', {})).rejects.toThrow(/environments\.production\.store\.url|store\.url/);
  });

  it('skips values JSON cannot hold (.nan) and still answers', async () => {
    await writeFile(path, `${BASE}store: { url: "sqlite:a.db", note: .nan }\n`);
    await mkdir(join(tmp.path, '.shipgate'));
    expect((await load('production')).storeUrl).toBe('sqlite:a.db');
    expect(existsSync(lightCachePath(path))).toBe(false);
  });

  it('lets `shipgate history` answer without loading the YAML parser or commander once cached', async () => {
    await mkdir(join(tmp.path, '.shipgate'));
    // Logs every ES module loaded (a loader hook) and every CommonJS one (require.cache at exit).
    const preload = join(tmp.path, 'log-modules.cjs');
    const hook = "import { appendFileSync } from 'node:fs'; export async function load(url, context, next) { appendFileSync(process.env.MODULE_LOG, url + '\\n'); return next(url, context); }";
    await writeFile(
      preload,
      `const { appendFileSync } = require('node:fs');
require('node:module').register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
process.on('exit', () => appendFileSync(process.env.MODULE_LOG, Object.keys(require.cache).join('\\n') + '\\n'));
`,
    );
    const run = (log: string, command = 'history') => {
      const r = spawnSync(process.execPath, ['--require', preload, CLI, command, '--json', '--env', 'production'], { cwd: tmp.path, env: cliEnv({ MODULE_LOG: join(tmp.path, log) }), encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      if (command === 'history') expect(JSON.parse(r.stdout)).toEqual([]);
      return readFile(join(tmp.path, log), 'utf8');
    };
    const first = await run('first.log');
    const second = await run('second.log');
    expect(first).toMatch(/js-yaml/);
    expect(first).toMatch(/better-sqlite3/);
    expect(second).toMatch(/better-sqlite3/);
    expect(second).toMatch(/dist\/cli\/commands\/history\.js/);
    expect(second).not.toMatch(/js-yaml/);
    expect(second).not.toMatch(/commander/);
    // The log does show commander and the parser when they load: other commands use commander.
    expect(await run('status.log', 'status')).toMatch(/commander/);
  });
});
