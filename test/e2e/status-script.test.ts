import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, makeProject, STATE_SCRIPTS, type Project } from '../support/project.js';

/** `provider.status`: what the target itself says is live, shown by `shipgate status`. */

const SECRET = 'status-token-5c2e9a71';

const CONFIG = `app: statustest
provider:
  type: command
  deploy: ["./scripts/deploy.sh"]
  rollback: ["./scripts/rollback.sh"]
  env: { STATUS_TOKEN: "\${STATUS_TOKEN:-}" }
environments:
  production: { provider: { status: ["./scripts/status.sh"], env: { STATUS_TOKEN: "\${STATUS_TOKEN}" } } }
  staging: { provider: { status: ["sh", "-c", "echo staging is down; exit 3"] } }
  dev: {}
`;

const STATUS_SCRIPT = `#!/bin/sh
echo "live on the target: $(cat live.txt 2>/dev/null || echo nothing)"
echo "shipgate says: \${SHIPGATE_VERSION:-nothing} ($SHIPGATE_APP/$SHIPGATE_ENV, $SHIPGATE_DEPLOYMENT_ID)"
echo "token $STATUS_TOKEN"
`;

let p: Project;
beforeAll(async () => {
  p = await makeProject(CONFIG, { ...STATE_SCRIPTS, 'scripts/status.sh': STATUS_SCRIPT });
});
afterAll(() => p?.cleanup());

const env = { STATUS_TOKEN: SECRET };

describe('provider.status', () => {
  it('shows what the script prints, with the version shipgate deployed, secrets masked', async () => {
    const d = await p.run(['deploy', 'v1.0.0', '--env', 'production', '--json'], { env });
    expect(d.code, d.stderr).toBe(0);
    const id = json<{ deployment_id: string }>(d).deployment_id;
    const r = await p.run(['status', '--env', 'production'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('  target:    live on the target: v1.0.0\n');
    expect(r.stdout).toContain(`             shipgate says: v1.0.0 (statustest/production, ${id})\n`);
    expect(r.stdout).toContain('             token ***\n');
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    const j = json<{ target: { ok: boolean; output: string[]; error: string | null } }[]>(await p.run(['status', '--env', 'production', '--json'], { env }))[0]!;
    expect(j.target).toEqual({ ok: true, output: ['live on the target: v1.0.0', `shipgate says: v1.0.0 (statustest/production, ${id})`, 'token ***'], error: null });
  });

  it('a failing script is reported as the target status; status still exits 0', async () => {
    const r = await p.run(['status', '--env', 'staging'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('  target:    staging is down\n');
    expect(r.stdout).toContain('status script failed: sh -c echo staging is down; exit 3 exited with code 3');
  });

  it('a config that cannot load (a missing secret) says why the script did not run', async () => {
    const r = await p.run(['status', '--env', 'production'], { env: { STATUS_TOKEN: undefined } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/target: {4}.*status script failed: not run: .*STATUS_TOKEN/s);
  });

  it('an environment without a status script shows no target line, and every environment is listed', async () => {
    const r = await p.run(['status'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.match(/^ {2}target: {4}/gm)).toHaveLength(2);
    expect(r.stdout).toContain('statustest/dev');
    const j = json<{ environment: string; target?: unknown }[]>(await p.run(['status', '--json'], { env }));
    expect(j.map((e) => [e.environment, e.target !== undefined])).toEqual([
      ['production', true],
      ['staging', true],
      ['dev', false],
    ]);
  });
});
