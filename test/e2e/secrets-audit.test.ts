import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { json, makeProject, REPO_ROOT, type Project } from '../support/project.js';

/**
 * Acceptance (secrets audit): on the three seed examples it lists every secret
 * each environment refers to, and exits non-zero when one is unset; it never
 * prints a value; a secret whose value a kept release holds fails the audit too.
 */

interface Row {
  environment: string;
  secret: string;
  source: string;
  required: boolean;
  set: boolean;
  placeholder: boolean;
  used_by: string[];
  in_releases: string[];
}

const EXAMPLES: Record<string, Record<string, string[]>> = {
  azora: { production: ['PROD_KEY', 'DOCKER_PASSWORD', 'GITHUB_TOKEN', 'PROD_DATABASE_URL', 'BACKUP_ENCRYPTION_KEY'] },
  'dnd-tracker': { staging: ['FLY_API_TOKEN', 'MONGODB_URI'], production: ['FLY_API_TOKEN', 'MONGODB_URI'] },
  hotdash: { staging: ['FLY_API_TOKEN', 'DATABASE_URL', 'GITHUB_TOKEN'], production: ['FLY_API_TOKEN', 'DATABASE_URL', 'GITHUB_TOKEN'] },
};
const ALL = [...new Set(Object.values(EXAMPLES).flatMap((e) => Object.values(e).flat()))];
/** Every variable the examples use unset, whatever this machine has. */
const UNSET = Object.fromEntries([...ALL, 'PROD_HOST', 'PROD_USER', 'DOCKER_USERNAME'].map((n) => [n, undefined]));
const VALUE = (name: string): string => `${name.toLowerCase()}-Zq81-value`;

const projects: Project[] = [];
afterAll(async () => {
  for (const p of projects) await p.cleanup();
});

async function example(name: string): Promise<Project> {
  const p = await makeProject(await readFile(join(REPO_ROOT, 'examples', name, 'shipgate.yaml'), 'utf8'), {});
  projects.push(p);
  return p;
}

describe('secrets audit on the seed examples', () => {
  it.each(Object.keys(EXAMPLES))('%s: lists every secret per environment and exits 1 while one is unset', async (name) => {
    const p = await example(name);
    const r = await p.run(['secrets', 'audit', '--json'], { env: UNSET });
    expect(r.code).toBe(1);
    const out = json<{ ok: boolean; secrets: Row[] }>(r);
    expect(out.ok).toBe(false);
    const listed: Record<string, string[]> = {};
    for (const row of out.secrets) listed[row.environment] = [...(listed[row.environment] ?? []), row.secret];
    expect(listed).toEqual(EXAMPLES[name]);
    expect(out.secrets.every((row) => row.source === 'env' && row.required && !row.set && row.used_by.length > 0)).toBe(true);

    const text = await p.run(['secrets', 'audit'], { env: UNSET });
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^ENVIRONMENT\s+SECRET\s+SOURCE\s+SET HERE\s+PLACEHOLDER\s+IN RELEASES\s+USED BY$/m);
    expect(text.stdout).toContain(`required secrets not set in this shell: ${EXAMPLES[name]!.production![0]} (`);
  });

  it('exits 0 once every one is set, without printing a value; flags a placeholder', async () => {
    const p = await example('hotdash');
    const env = { ...UNSET, FLY_API_TOKEN: VALUE('FLY_API_TOKEN'), DATABASE_URL: `postgres://app:${VALUE('pw')}@db/app`, GITHUB_TOKEN: 'changeme' };
    const r = await p.run(['secrets', 'audit', '--env', 'production'], { env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^production\s+GITHUB_TOKEN\s+environment\s+yes\s+PLACEHOLDER\s+-\s+gates\.checks\.github\.token$/m);
    expect(r.stdout).toMatch(/^production\s+FLY_API_TOKEN\s+environment\s+yes\s+-\s+-\s+provider$/m);
    expect(r.stdout).toMatch(/^production\s+DATABASE_URL\s+environment\s+yes\s+-\s+-\s+databases\.main\.url$/m);
    expect(r.stdout).toContain('values that look like placeholders: GITHUB_TOKEN (production)');
    expect(r.stdout).toContain('every required secret is set');
    expect(r.stdout + r.stderr).not.toMatch(/Zq81|changeme/);
  });
});

describe('secrets audit and kept releases', () => {
  it('fails when a kept release holds a secret, naming the release', async () => {
    const token = VALUE('API_TOKEN');
    const p = await makeProject(
      `app: exposed
provider: { type: command, deploy: ["./scripts/deploy.sh"], env: { API_TOKEN: "\${API_TOKEN}" } }
build: { command: ["./scripts/build.sh"], artifacts: [dist] }
`,
      { 'scripts/deploy.sh': '#!/bin/sh\ntrue\n', 'scripts/build.sh': '#!/bin/sh\nmkdir -p dist && echo "token=$API_TOKEN" > dist/app.cfg\n' },
    );
    projects.push(p);
    expect((await p.run(['deploy', 'v1.0.0'], { env: { API_TOKEN: token } })).code).toBe(0);
    const r = await p.run(['secrets', 'audit'], { env: { API_TOKEN: token } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^production\s+API_TOKEN\s+environment\s+yes\s+-\s+EXPOSED: v1\.0\.0\s+provider\.env\.API_TOKEN$/m);
    expect(r.stdout).toContain('secrets found in kept releases (rotate them, and delete those releases): API_TOKEN (production)');
    expect(r.stdout + r.stderr).not.toContain(token);
  });
});
