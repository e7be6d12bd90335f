import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProject, type CliResult, type Project } from '../support/project.js';
import { startTarget, type Target } from '../support/http-target.js';

/**
 * Acceptance (secrets): a secret from the environment, used in a command's env
 * and in URLs, never appears in stdout, stderr, the journal (the store's files)
 * or the records — also when scripts print it and when a failure message quotes the URL.
 */

const SECRET = 's3cr3t-Xq9-token-value';
const LISTED = 'listed-credential-4471';

const CONFIG = `
app: secrettest
secrets: [DEPLOY_CRED]
provider:
  type: command
  deploy: ["./scripts/deploy.sh"]
  rollback: ["./scripts/rollback.sh"]
  env: { API_TOKEN: "\${SG_API_TOKEN}", CRED: "\${DEPLOY_CRED}" }
  health: { url: "\${TARGET}/health?token=\${SG_API_TOKEN}", retries: 0, timeout: 2s }
smoke:
  - { name: api, url: "\${TARGET_LOGIN_URL}/api?key=\${DEPLOY_CRED}" }
`;

const SCRIPTS = {
  'scripts/deploy.sh': `#!/bin/sh
echo "using token $API_TOKEN and cred $CRED"
echo "stderr token $API_TOKEN" >&2
echo "$SHIPGATE_VERSION" > live.txt
`,
  'scripts/rollback.sh': `#!/bin/sh
echo "rollback with $API_TOKEN"
echo "$SHIPGATE_VERSION" > live.txt
`,
};

let p: Project;
let target: Target;
const outputs: CliResult[] = [];

async function run(args: string[]): Promise<CliResult> {
  const auth = target.url.replace('http://', `http://deployer:${SECRET}@`);
  const r = await p.run(args, { env: { SG_API_TOKEN: SECRET, DEPLOY_CRED: LISTED, TARGET: target.url, TARGET_LOGIN_URL: auth } });
  outputs.push(r);
  return r;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

beforeAll(async () => {
  target = await startTarget({ '/health': 200, '/api': 200 });
  p = await makeProject(CONFIG, SCRIPTS);
});
afterAll(async () => {
  await p?.cleanup();
  await target?.close();
});

describe('secrets never leak', () => {
  it('through a deploy, a failing deploy, a dry run and every read command', async () => {
    expect((await run(['deploy', 'v1.0.0'])).code).toBe(0);
    // Credentials in a URL travel as Basic auth, as with curl.
    expect(target.auth).toContain(`Basic ${Buffer.from(`deployer:${SECRET}`).toString('base64')}`);
    // v1.1.0 is unhealthy; the failure message quotes the health URL (with its token).
    target.handler = (path) => (path === '/health' && readFileSync(join(p.dir, 'live.txt'), 'utf8').trim() === 'v1.1.0' ? 503 : undefined);
    const failed = await run(['deploy', 'v1.1.0', '--verbose']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('/health');
    target.handler = undefined;
    target.status.set('/api', 500);
    expect((await run(['deploy', 'v1.2.0'])).code).toBe(1);
    target.status.set('/api', 200);
    expect((await run(['deploy', 'v1.3.0', '--dry-run'])).code).toBe(0);
    expect((await run(['deploy', 'v1.3.0', '--dry-run', '--json'])).code).toBe(0);
    expect((await run(['config', 'print'])).code).toBe(0);
    expect((await run(['config', 'print', '--json'])).code).toBe(0);
    expect((await run(['history', '--json'])).code).toBe(0);
    const ids = [...outputs.map((o) => o.stdout).join('\n').matchAll(/dep_\d{8}T\d{6}Z_[a-z0-9]{5}/g)].map((m) => m[0]);
    for (const id of new Set(ids)) {
      expect((await run(['show', id, '--events', '--json'])).code).toBe(0);
      expect((await run(['show', id, '--events'])).code).toBe(0);
    }
    expect((await run(['deploy', 'v1.3.0'])).code).toBe(0);
    expect((await run(['rollback', '--reason', 'test'])).code).toBe(0);
    expect((await run(['status'])).code).toBe(0);
    expect((await run(['releases', '--json'])).code).toBe(0);

    const all = outputs.map((o) => o.stdout + o.stderr).join('\n');
    expect(all).toContain('***');
    for (const secret of [SECRET, LISTED, encodeURIComponent(SECRET)]) expect(all).not.toContain(secret);

    const files = await filesUnder(join(p.dir, '.shipgate'));
    expect(files.some((f) => f.endsWith('.json'))).toBe(true);
    expect(files.some((f) => f.includes('state.db'))).toBe(true);
    for (const f of files) {
      const bytes = await readFile(f);
      for (const secret of [SECRET, LISTED]) expect(bytes.includes(Buffer.from(secret)), `${secret} found in ${f}`).toBe(false);
    }
  });
});
