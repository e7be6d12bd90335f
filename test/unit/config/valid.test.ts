import { describe, expect, it } from 'vitest';
import { toArgv, toMs, DEFAULT_STORE_URL } from '../../../src/config/index.js';
import { CANONICAL_ENV, CANONICAL_YAML, loadText, MINIMAL_YAML as M } from './helpers.js';

describe('the canonical example', () => {
  const staging = loadText(CANONICAL_YAML, 'staging', CANONICAL_ENV);
  const production = loadText(CANONICAL_YAML, 'production', CANONICAL_ENV);

  it('declares both environments', () => {
    expect(staging.environments).toEqual(['staging', 'production']);
    expect(staging.environment).toBe('staging');
    expect(production.environment).toBe('production');
  });

  it('turns the window and approval gates off for staging only', () => {
    expect(staging.config.gates.window).toBe(false);
    expect(staging.config.gates.approval).toBe(false);
    expect(production.config.gates.window).toMatchObject({ timezone: 'America/Los_Angeles', days: ['mon', 'tue', 'wed', 'thu', 'fri'], hours: '09:00-17:00', holidays: 'US' });
    expect(production.config.gates.approval).toEqual({ required: 1, approvers: ['alice', 'bob'], timeout: '30m', allowSelf: false, applyToRollback: false });
  });

  it('keeps the gates an environment does not mention', () => {
    for (const { config } of [staging, production]) {
      expect(config.gates.semver).toEqual({ allowPrerelease: true, applyToRollback: false });
      expect(config.gates.health).toEqual([{ url: 'https://staging.example.com/health', interval: '10s', timeout: '5s', retries: 3 }]);
      expect(config.gates.checks).toMatchObject({ github: { repo: 'acme/hotdash', required: ['lint', 'test', 'gitleaks'] } });
    }
  });

  it('reads unquoted freeze dates as dates, not timestamps', () => {
    expect(production.config.gates.window).toMatchObject({ freeze: [{ from: '2026-12-24', to: '2027-01-02' }] });
  });

  it('keeps durations as written and converts them on demand', () => {
    const health = production.config.provider.health!;
    expect([health.interval, health.timeout]).toEqual(['10s', '5s']);
    expect(toMs(health.interval)).toBe(10_000);
    expect(toMs(health.timeout)).toBe(5_000);
    const approval = production.config.gates.approval;
    expect(approval && toMs(approval.timeout)).toBe(30 * 60_000);
    expect(toMs(production.config.rollback.window)).toBe(60 * 60_000);
  });

  it('runs an argv deploy directly and a string build through /bin/sh', () => {
    const { provider, build } = production.config;
    if (provider.type !== 'command') throw new Error('expected the command provider');
    expect(provider.deploy).toEqual(['./scripts/deploy.sh']);
    expect(toArgv(provider.deploy)).toEqual(['./scripts/deploy.sh']);
    expect(build!.command).toBe('npm run build');
    expect(toArgv(build!.command)).toEqual(['/bin/sh', '-c', 'npm run build']);
  });

  it('fills in the documented defaults', () => {
    const { config } = production;
    expect(config.store.url).toBe(DEFAULT_STORE_URL);
    expect(config.store.url).toBe('sqlite:.shipgate/state.db');
    expect(config.rollback).toEqual({ auto: true, window: '60m', database: 'down' });
    expect(config.resume).toEqual({ policy: 'rollback' });
    expect(config.provider).toMatchObject({ type: 'command', timeout: '15m' });
    expect(config.build).toMatchObject({ artifacts: ['dist'], keep: 3, timeout: '30m' });
    expect(config.smoke).toEqual([{ name: 'api', method: 'GET', url: 'http://127.0.0.1:8080/api/health', expect: [200], timeout: '10s', retries: 0 }]);
    expect(config.secrets).toEqual([]);
  });

  it('has no environments block in the resolved config', () => {
    expect('environments' in production.config).toBe(false);
  });

  it('registers the GitHub token in the masker', () => {
    const token = CANONICAL_ENV.GITHUB_TOKEN;
    expect(production.config.gates.checks && production.config.gates.checks.github?.token).toBe(token);
    expect(production.masker.mask(token)).toBe('***');
    expect(production.masker.mask(`Authorization: Bearer ${token}`)).toBe('Authorization: Bearer ***');
  });
});

describe('defaults of a minimal config', () => {
  const { config, environment, environments } = loadText(M);

  it('resolves to the one default environment', () => {
    expect(environment).toBe('production');
    expect(environments).toEqual(['production']);
  });

  it('turns on only the semver gate', () => {
    expect(config.gates).toEqual({ semver: { allowPrerelease: false, applyToRollback: false } });
  });

  it('uses the default store, rollback and resume policy', () => {
    expect(config.store).toEqual({ url: 'sqlite:.shipgate/state.db', retry: '30s' });
    expect(config.rollback).toEqual({ auto: true, window: '60m', database: 'down' });
    expect(config.resume).toEqual({ policy: 'rollback' });
    expect(config.smoke).toEqual([]);
    expect(config.build).toBeUndefined();
  });
});

describe('${VAR} interpolation', () => {
  it('uses the default when the variable is unset or empty', () => {
    const yaml = `${M}smoke: [{ name: api, url: "\${API_URL:-http://127.0.0.1:8080}/health" }]\n`;
    expect(loadText(yaml, undefined, {}).config.smoke[0]!.url).toBe('http://127.0.0.1:8080/health');
    expect(loadText(yaml, undefined, { API_URL: '' }).config.smoke[0]!.url).toBe('http://127.0.0.1:8080/health');
    expect(loadText(yaml, undefined, { API_URL: 'https://api.example.com' }).config.smoke[0]!.url).toBe('https://api.example.com/health');
  });

  it('allows an empty default', () => {
    const yaml = `${M}build: { command: "make \${MAKE_FLAGS:-}" }\n`;
    expect(loadText(yaml).config.build!.command).toBe('make ');
  });

  it('writes a literal ${ for $${', () => {
    const yaml = `${M}build: { command: "echo $\${HOME} \${GREETING}" }\n`;
    expect(loadText(yaml, undefined, { GREETING: 'hi', HOME: '/root' }).config.build!.command).toBe('echo ${HOME} hi');
  });

  it('leaves $VAR without braces to the shell', () => {
    const yaml = `${M}build: { command: "echo $SHIPGATE_VERSION" }\n`;
    expect(loadText(yaml).config.build!.command).toBe('echo $SHIPGATE_VERSION');
  });

  it('reads variables in an environment block only for that environment', () => {
    const yaml = `${M}environments:\n  staging: { provider: { env: { URL: "\${STAGING_URL}" } } }\n  production: {}\n`;
    expect(loadText(yaml, 'production', {}).config.provider.env).toBeUndefined();
    expect(loadText(yaml, 'staging', { STAGING_URL: 'https://staging.example.com' }).config.provider.env).toEqual({ URL: 'https://staging.example.com' });
  });

  it('does not read inherited properties as variables', () => {
    const yaml = `${M}build: { command: "echo \${constructor:-none}" }\n`;
    expect(loadText(yaml, undefined, {}).config.build!.command).toBe('echo none');
  });

  it('masks values of secret-looking variables and of listed secrets', () => {
    const yaml = `app: demo
secrets: [DB_URL]
provider:
  type: command
  deploy: ["./deploy.sh"]
  env: { DB: "\${DB_URL}", FLY_API_TOKEN: "\${FLY_API_TOKEN}", REGION: "\${REGION}" }
`;
    const { masker } = loadText(yaml, undefined, { DB_URL: 'postgres://u:hunter22@db.example.com/app', FLY_API_TOKEN: 'fo1_secretvalue', REGION: 'iad-region' });
    expect(masker.mask('postgres://u:hunter22@db.example.com/app')).toBe('***');
    expect(masker.mask('password hunter22')).toBe('password ***');
    expect(masker.mask('token fo1_secretvalue')).toBe('token ***');
    expect(masker.mask('region iad-region')).toBe('region iad-region');
  });
});

describe('commands', () => {
  it('keeps a string command a string, run through /bin/sh -c', () => {
    const { config } = loadText('app: demo\nprovider: { type: command, deploy: "./deploy.sh --fast && echo done" }\n');
    if (config.provider.type !== 'command') throw new Error('expected the command provider');
    expect(config.provider.deploy).toBe('./deploy.sh --fast && echo done');
    expect(toArgv(config.provider.deploy)).toEqual(['/bin/sh', '-c', './deploy.sh --fast && echo done']);
  });

  it('passes an argv array through untouched', () => {
    const { config } = loadText('app: demo\nprovider: { type: command, deploy: ["./deploy.sh", "v1.2.3;rm -rf /"] }\n');
    if (config.provider.type !== 'command') throw new Error('expected the command provider');
    expect(toArgv(config.provider.deploy)).toEqual(['./deploy.sh', 'v1.2.3;rm -rf /']);
  });
});

describe('environment overlays', () => {
  it('deep-merges maps and replaces lists', () => {
    const yaml = `${M}smoke: [{ name: a, url: "https://example.com/a" }, { name: b, url: "https://example.com/b" }]
rollback: { auto: true, window: 30m }
environments:
  staging:
    rollback: { window: 2h }
    smoke: [{ name: c, url: "https://staging.example.com/c" }]
  production:
`;
    const staging = loadText(yaml, 'staging').config;
    expect(staging.rollback).toEqual({ auto: true, window: '2h', database: 'down' });
    expect(staging.smoke.map((s) => s.name)).toEqual(['c']);
    const production = loadText(yaml, 'production').config;
    expect(production.rollback).toEqual({ auto: true, window: '30m', database: 'down' });
    expect(production.smoke.map((s) => s.name)).toEqual(['a', 'b']);
  });

  it('lets an environment turn on a gate the base leaves off', () => {
    const yaml = `${M}environments:\n  production: { gates: { approval: { approvers: [ops] } } }\n  staging: {}\n`;
    expect(loadText(yaml, 'production').config.gates.approval).toMatchObject({ required: 1, approvers: ['ops'] });
    expect(loadText(yaml, 'staging').config.gates.approval).toBeUndefined();
  });

  it('accepts a TCP control port on loopback without TLS, and anywhere with it', () => {
    const local = (control: string) => `app: demo\nprovider: { type: local, command: ["node", "s.js"], control: ${control} }\nbuild: { command: ["make"], artifacts: [app] }\n`;
    for (const listen of ['127.0.0.1:7070', '127.0.0.2:7070', 'localhost:7070', '[::1]:7070']) {
      expect(loadText(local(`{ listen: "${listen}", token: "a-long-enough-token" }`)).config.provider).toMatchObject({ control: { listen } });
    }
    const tls = loadText(local('{ listen: "0.0.0.0:7070", token: "a-long-enough-token", tls: { cert: agent.crt, key: agent.key } }')).config.provider;
    expect(tls).toMatchObject({ control: { tls: { cert: 'agent.crt', key: 'agent.key' } } });
  });

  it('accepts a postgres store for teams', () => {
    const { config } = loadText(`${M}store: { url: "postgres://shipgate@db.example.com/shipgate" }\n`);
    expect(config.store.url).toBe('postgres://shipgate@db.example.com/shipgate');
  });
});
