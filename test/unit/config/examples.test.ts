import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig, validateAllEnvironments } from '../../../src/config/index.js';

const EXAMPLES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../examples');

const configs = readdirSync(EXAMPLES, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(EXAMPLES, d.name, 'shipgate.yaml')))
  .map((d) => ({ name: d.name, path: join(EXAMPLES, d.name, 'shipgate.yaml') }));

/** A value for every `${VAR}` without a default that the file uses, as CI would provide. */
function envFor(text: string): Record<string, string> {
  const names = [...text.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!);
  return Object.fromEntries(names.map((n) => [n, /MONGODB_URI/.test(n) ? 'mongodb://db.example.com/app' : /DATABASE_URL/.test(n) ? 'postgres://db.example.com/app' : `example-${n.toLowerCase()}-value`]));
}

describe('examples', () => {
  it('include one config per source system', () => {
    expect(configs.map((c) => c.name)).toEqual(expect.arrayContaining(['hotdash', 'dnd-tracker', 'azora']));
  });

  it('give each source system its database section: PostgreSQL with Prisma (HotDash, Azora), MongoDB (D&D Tracker)', () => {
    const dbOf = (name: string) => {
      const { path } = configs.find((c) => c.name === name)!;
      const env = envFor(readFileSync(path, 'utf8'));
      const environment = validateAllEnvironments({ configPath: path, env }).environments[0];
      return loadConfig({ configPath: path, environment, env }).config.databases?.main;
    };
    for (const name of ['hotdash', 'azora']) {
      expect(dbOf(name)).toMatchObject({ type: 'postgres', backup: { verify: 'restore' }, migrations: { tool: 'command', command: ['npx', 'prisma', 'migrate', 'deploy'] } });
    }
    expect(dbOf('azora')?.backup.storage).toEqual({ type: 's3', bucket: 'azora-backups', prefix: 'prod/', region: 'us-east-1' });
    expect(dbOf('dnd-tracker')).toMatchObject({ type: 'mongodb', migrations: { tool: 'command', command: ['npm', 'run', 'migrate:up'], down: ['npm', 'run', 'migrate:down'] } });
  });

  it('run HotDash and D&D Tracker on Fly.io as their fly.toml files do: rolling in ord (2 to 10 machines), canary in iad (2 machines), a smaller staging app', () => {
    const providerOf = (name: string, environment: string) => {
      const { path } = configs.find((c) => c.name === name)!;
      return loadConfig({ configPath: path, environment, env: envFor(readFileSync(path, 'utf8')) }).config.provider;
    };
    expect(providerOf('hotdash', 'production')).toMatchObject({ type: 'fly', app: 'hotdash-production', strategy: 'rolling', regions: ['ord'], machines: { min: 2, max: 10 }, releaseCommand: ['npx', 'prisma', 'generate'], port: 3000, check: { path: '/health' }, guest: { cpus: 2, memoryMb: 2048 } });
    expect(providerOf('hotdash', 'staging')).toMatchObject({ type: 'fly', app: 'hotdash-staging', image: 'registry.fly.io/hotdash-production:{version}', machines: { min: 1, max: 2 } });
    expect(providerOf('dnd-tracker', 'production')).toMatchObject({ type: 'fly', app: 'dnd-tracker-production', strategy: 'canary', regions: ['iad'], machines: { min: 2 }, port: 3000, check: { path: '/api/health', interval: '15s', timeout: '5s' } });
    expect(providerOf('dnd-tracker', 'staging')).toMatchObject({ type: 'fly', app: 'dnd-tracker-staging', machines: { min: 1 } });
  });

  describe.each(configs)('$name', ({ path }) => {
    const text = readFileSync(path, 'utf8');
    const env = envFor(text);

    it('validates for every environment it declares', () => {
      const { environments, errors } = validateAllEnvironments({ configPath: path, env });
      expect(errors.map((e) => e.message)).toEqual([]);
      expect(environments.length).toBeGreaterThan(0);
      for (const environment of environments) {
        expect(loadConfig({ configPath: path, environment, env }).environment).toBe(environment);
      }
    });

    it('fails with the key path when a variable it needs is missing', () => {
      const [first] = Object.keys(env);
      if (first === undefined) return;
      const { errors } = validateAllEnvironments({ configPath: path, env: { ...env, [first]: undefined } });
      expect(errors.length).toBeGreaterThan(0);
      expect(errors[0]!.issues.some((line) => line.includes(`environment variable ${first} is not set`))).toBe(true);
    });

    it('masks every secret it reads from the environment', () => {
      const secrets = Object.entries(env).filter(([n]) => /TOKEN|PASSWORD|KEY|SECRET/.test(n));
      const { masker } = loadConfig({ configPath: path, environment: validateAllEnvironments({ configPath: path, env }).environments[0], env });
      for (const [, value] of secrets) expect(masker.mask(value)).toBe('***');
    });

    it('masks the password of each database URL', () => {
      const envWithPasswords = Object.fromEntries(Object.entries(env).map(([n, v]) => [n, /DATABASE_URL|MONGODB_URI/.test(n) ? `${/MONGODB/.test(n) ? 'mongodb' : 'postgres'}://app:pw-of-the-example-db@db.example.com/app` : v]));
      const { masker, config } = loadConfig({ configPath: path, environment: validateAllEnvironments({ configPath: path, env: envWithPasswords }).environments[0], env: envWithPasswords });
      if (!config.databases) return;
      expect(masker.mask('postgres://app:pw-of-the-example-db@db.example.com/app')).not.toContain('pw-of-the-example-db');
    });

    it('uses only example hosts', () => {
      const hosts = [...text.matchAll(/https?:\/\/([^/:"'\s]+)/g)].map((m) => m[1]!);
      for (const host of hosts) expect(host).toMatch(/(^|\.)example\.com$|^127\.0\.0\.1$|^localhost$/);
    });
  });
});
