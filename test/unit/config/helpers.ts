import { ConfigError } from '../../../src/errors.js';
import { parseConfigText, resolveDocument, type LoadedConfig } from '../../../src/config/index.js';
import { selectEnvironment } from '../../../src/config/environments.js';

/** The example from the config issue; it must validate and behave as its comments say. */
export const CANONICAL_YAML = `app: hotdash
store: { url: "sqlite:.shipgate/state.db" }   # the default; or postgres://user@host/db
provider:
  type: command                     # later: local, fly
  deploy: ["./scripts/deploy.sh"]   # argv array; a plain string runs through /bin/sh
  rollback: ["./scripts/rollback.sh"]
  health: { url: "http://127.0.0.1:8080/health", fallbackUrl: "http://127.0.0.1:8080/", interval: 10s, timeout: 5s, retries: 3 }
build:
  command: "npm run build"
  artifacts: [dist]
  keep: 3
gates:
  semver: { allowPrerelease: true }
  window: { timezone: America/Los_Angeles, days: [mon, tue, wed, thu, fri], hours: "09:00-17:00", holidays: US, freeze: [{ from: 2026-12-24, to: 2027-01-02 }] }
  checks: { github: { repo: acme/hotdash, required: [lint, test, gitleaks], token: "\${GITHUB_TOKEN}" } }
  health: [{ url: "https://staging.example.com/health" }]
  approval: { required: 1, approvers: [alice, bob], timeout: 30m, allowSelf: false }
smoke:
  - { name: api, method: GET, url: "http://127.0.0.1:8080/api/health", expect: [200] }
rollback: { auto: true, window: 60m }
environments:
  staging: { gates: { window: false, approval: false } }
  production: {}
`;

export const CANONICAL_ENV = { GITHUB_TOKEN: 'ghp_canonical0123456789' };

/** The smallest valid config; cases append the lines they are about. */
export const MINIMAL_YAML = `app: demo
provider: { type: command, deploy: ["./deploy.sh"] }
`;

export const CONFIG_PATH = 'shipgate.yaml';

/** What `loadConfig` does, from text instead of a file. */
export function loadText(text: string, environment?: string, env: NodeJS.ProcessEnv = {}): LoadedConfig {
  const doc = parseConfigText(text, CONFIG_PATH);
  return resolveDocument(doc, selectEnvironment(doc, environment, CONFIG_PATH), CONFIG_PATH, env);
}

/** The ConfigError `loadText` throws; fails when it throws nothing or something else. */
export function configErrorOf(text: string, environment?: string, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    loadText(text, environment, env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw new Error(`expected a ConfigError, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected a ConfigError, but the config is valid');
}
