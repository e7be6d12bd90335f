import { describe, expect, it } from 'vitest';
import { auditRows, failingRows } from '../../../src/secrets/audit.js';
import { looksLikePlaceholder } from '../../../src/secrets/placeholder.js';
import { secretReferences } from '../../../src/secrets/references.js';

const DOC = {
  app: 'shop',
  secrets: ['SESSION_SIGNING', 'ONLY_LISTED'],
  provider: {
    type: 'command',
    deploy: ['./deploy.sh'],
    env: { HOST: '${PROD_HOST}', USER: '${PROD_USER:-deploy}', API_TOKEN: '${API_TOKEN}', SIGN: '${SESSION_SIGNING}', OPTIONAL_KEY: '${MAPS_API_KEY:-your-maps-key}' },
  },
  databases: { main: { type: 'postgres', url: '${DATABASE_URL}', backup: { encryption: { key: '${BACKUP_ENC}' } } } },
  gates: { checks: { github: { repo: 'a/b', required: ['ci'], token: 'ghp-written-into-the-file' } } },
  environments: { staging: { provider: { env: { API_TOKEN: '${STAGING_API_TOKEN}' } } }, production: {} },
};

describe('secretReferences', () => {
  it('lists every secret an environment refers to: secret-looking names, listed names, secret keys, connection URLs, encryption keys, literals', () => {
    const refs = secretReferences(DOC, 'production');
    expect(refs.map((r) => [r.name, r.source, r.required, r.keys.join(' ')])).toEqual([
      ['API_TOKEN', 'env', true, 'provider.env.API_TOKEN'],
      ['SESSION_SIGNING', 'env', true, 'provider.env.SIGN'],
      ['MAPS_API_KEY', 'env', false, 'provider.env.OPTIONAL_KEY'],
      ['DATABASE_URL', 'env', true, 'databases.main.url'],
      ['BACKUP_ENC', 'env', true, 'databases.main.backup.encryption.key'],
      ['gates.checks.github.token', 'file', true, 'gates.checks.github.token'],
      ['ONLY_LISTED', 'env', false, 'secrets'],
    ]);
  });

  it('lists FLY_API_TOKEN, which the fly provider reads with no ${VAR} in the config, as required and used by the provider', () => {
    const fly = { app: 'shop', provider: { type: 'fly', app: 'shop', regions: ['ams'] }, environments: { staging: { provider: { type: 'command', deploy: ['./d.sh'] } }, production: {} } };
    expect(secretReferences(fly, 'production')).toEqual([{ name: 'FLY_API_TOKEN', source: 'env', keys: ['provider'], required: true, written: [] }]);
    const withMetrics = { ...fly, provider: { ...fly.provider, metrics: { type: 'prometheus', url: 'https://prom.example.com', token: '${FLY_API_TOKEN}', errorRate: 'x' } } };
    expect(secretReferences(withMetrics, 'production').map((r) => [r.name, r.keys.join(' ')])).toEqual([['FLY_API_TOKEN', 'provider provider.metrics.token']]);
    expect(secretReferences(fly, 'staging')).toEqual([]);
  });

  it('follows the environment overlay', () => {
    const names = secretReferences(DOC, 'staging').map((r) => r.name);
    expect(names).toContain('STAGING_API_TOKEN');
    expect(names).not.toContain('API_TOKEN');
  });
});

describe('auditRows', () => {
  const env = { API_TOKEN: 'changeme', DATABASE_URL: 'postgres://app:s3cret-pw@db/app', SESSION_SIGNING: '' };
  const rows = auditRows('production', secretReferences(DOC, 'production'), env, new Map([['DATABASE_URL', ['v1.0.0']]]));
  const row = (name: string) => rows.find((r) => r.secret === name)!;

  it('says whether each is set here, never with its value', () => {
    expect(row('API_TOKEN')).toMatchObject({ set: true, placeholder: true, required: true });
    expect(row('SESSION_SIGNING')).toMatchObject({ set: false, required: true });
    expect(row('gates.checks.github.token')).toMatchObject({ source: 'file', set: true, placeholder: false });
    expect(row('MAPS_API_KEY')).toMatchObject({ set: false, required: false, placeholder: true });
    expect(JSON.stringify(rows)).not.toMatch(/s3cret-pw|changeme|ghp-written/);
  });

  it('fails on a required secret not set, and on one held by a kept release', () => {
    const { missing, exposed } = failingRows(rows);
    expect(missing.map((r) => r.secret)).toEqual(['SESSION_SIGNING', 'BACKUP_ENC']);
    expect(exposed.map((r) => [r.secret, r.inReleases])).toEqual([['DATABASE_URL', ['v1.0.0']]]);
  });
});

describe('looksLikePlaceholder', () => {
  it.each(['changeme', 'CHANGE_ME', 'your-key', 'your_api_token', '<token>', 'xxxxxxxx', 'postgres://u:changeme@db/x', 'sk-your-api-key-here', 'TODO'])('%s is a placeholder', (v) => {
    expect(looksLikePlaceholder(v)).toBe(true);
  });
  it.each(['s3cr3t-Xq9-token-value', 'postgres://app:Kq8-pw@db/app', 'ghp_0123456789abcdef', 'yourself-in-the-middle9'])('%s is not', (v) => {
    expect(looksLikePlaceholder(v)).toBe(false);
  });
});
