import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, makeProject, REPO_ROOT, type Project } from '../support/project.js';

/** `config validate|print|schema`, and the README's canonical example. */

async function canonicalExample(): Promise<string> {
  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  const m = /<!-- canonical-example:start -->\s*```yaml\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error('README has no canonical example block');
  return m[1]!;
}

let p: Project;
beforeAll(async () => {
  p = await makeProject(await canonicalExample(), {});
});
afterAll(async () => p?.cleanup());

describe('config commands', () => {
  it('the README canonical example validates for every environment', async () => {
    const r = await p.run(['config', 'validate'], { env: { GITHUB_TOKEN: 'ghp_exampletoken123' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('config is valid for staging, production');
  });

  it('a missing variable is an error naming the key path (exit 2)', async () => {
    const r = await p.run(['config', 'validate', '--env', 'production']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('gates.checks.github.token: environment variable GITHUB_TOKEN is not set (used as ${GITHUB_TOKEN})');
  });

  it('print shows the resolved environment with secrets masked', async () => {
    const r = await p.run(['config', 'print', '--env', 'production'], { env: { GITHUB_TOKEN: 'ghp_exampletoken123' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('token: \'***\'');
    expect(r.stdout).not.toContain('ghp_exampletoken123');
    expect(r.stdout).toContain('environment: production');
    const staging = json<{ gates: { window: unknown; approval: unknown } }>(await p.run(['config', 'print', '--env', 'staging', '--json'], { env: { GITHUB_TOKEN: 'x' } }));
    expect(staging.gates.window).toBe(false);
    expect(staging.gates.approval).toBe(false);
  });

  it('print masks credentials only: the default sqlite store URL is shown, a store password is not', async () => {
    await p.write('default-store.yaml', 'app: demo\nprovider: { type: command, deploy: ["./d.sh"] }\n');
    const plain = await p.run(['config', 'print', '--config', 'default-store.yaml']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toContain('url: sqlite:.shipgate/state.db');
    expect(plain.stdout).not.toContain('***');
    await p.write('pg-store.yaml', 'app: demo\nstore: { url: "postgres://ci:${DB_PASS}@db.internal:5432/shipgate?sslmode=require&sslpassword=kp" }\nprovider: { type: command, deploy: ["./d.sh"], env: { NOTE: "db is db.internal" } }\n');
    const pg = await p.run(['config', 'print', '--config', 'pg-store.yaml', '--json'], { env: { DB_PASS: 's3cr3t-pw' } });
    expect(pg.code, pg.stderr).toBe(0);
    const printed = json<{ store: { url: string }; provider: { env: Record<string, string> } }>(pg);
    expect(printed.store.url).toBe('postgres://ci:***@db.internal:5432/shipgate?sslmode=require&sslpassword=***');
    expect(printed.provider.env.NOTE).toBe('db is db.internal');
    expect(pg.stdout).not.toContain('s3cr3t-pw');
  });

  it('schema prints JSON Schema for editors', async () => {
    const schema = json<{ $schema: string; properties: Record<string, unknown>; additionalProperties: boolean }>(await p.run(['config', 'schema']));
    expect(schema.$schema).toContain('json-schema.org');
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['app', 'provider', 'gates', 'environments']));
    expect(schema.additionalProperties).toBe(false);
  });

  it('an invalid config lists every problem with its key path', async () => {
    await p.write('bad.yaml', 'app: demo\nprovider: { type: command, deploy: ["./d.sh"] }\ngates:\n  window: { timezone: America/Los_Angeles, hours: "9-5" }\n');
    const r = await p.run(['config', 'validate', '--config', 'bad.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('gates.window.hours: expected "HH:MM-HH:MM" (got "9-5")');
  });

  it('a missing config file says how to fix it (exit 2)', async () => {
    const r = await p.run(['status', '--config', 'nope.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no config file at');
    expect(r.stderr).toContain('create shipgate.yaml or pass --config FILE');
  });
});
