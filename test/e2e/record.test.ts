import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, makeProject, type Project } from '../support/project.js';
import { startTarget, type Target } from '../support/http-target.js';

/** Acceptance: `shipgate show <id> --json` has every record field; a rollback's record links to what it rolled back. */

const FIELDS = [
  'timestamp', 'deployment_id', 'version', 'environment', 'status', 'git_sha', 'git_ref', 'triggered_by', 'reason',
  'services_deployed', 'database_backup', 'migrations_applied', 'rollout_stages', 'health_checks', 'gates',
  'rollback_of', 'rollback_available', 'rollback_window_minutes', 'rollback_deadline', 'duration_seconds',
];

const CONFIG = `
app: recordtest
services: [api, worker]
provider:
  type: command
  deploy: ["./scripts/deploy.sh"]
  rollback: ["./scripts/rollback.sh"]
  health: { url: "\${TARGET}/health" }
smoke:
  - { name: api, url: "\${TARGET}/api", json: { status: healthy } }
rollback: { window: 45m }
`;

type Rec = Record<string, unknown> & { rollout_stages: Record<string, unknown>[]; gates: Record<string, unknown>[] };

let p: Project;
let target: Target;
const env = () => ({ TARGET: target.url });

beforeAll(async () => {
  target = await startTarget({ '/health': 200, '/api': 200 });
  p = await makeProject(CONFIG);
});
afterAll(async () => {
  await p?.cleanup();
  await target?.close();
});

async function deployJson(args: string[]) {
  const r = await p.run(args, { env: env() });
  return { code: r.code, out: json<{ deployment_id: string; record_path: string }>(r) };
}

describe('the deployment record', () => {
  let first: string;
  let second: string;

  it('has every field, in the store and in .shipgate/records/<id>.json', async () => {
    first = (await deployJson(['deploy', 'v1.0.0', '--json'])).out.deployment_id;
    const { code, out } = await deployJson(['deploy', 'v1.1.0', '--json', '--sha', 'a1b2c3d', '--ref', 'refs/tags/v1.1.0', '--reason', 'new dashboard']);
    expect(code).toBe(0);
    second = out.deployment_id;
    const shown = json<Rec>(await p.run(['show', second, '--json'], { env: env() }));
    for (const f of FIELDS) expect(shown, f).toHaveProperty(f);
    expect(shown).toMatchObject({
      deployment_id: second,
      version: 'v1.1.0',
      previous_version: 'v1.0.0',
      environment: 'production',
      status: 'succeeded',
      git_sha: 'a1b2c3d',
      git_ref: 'refs/tags/v1.1.0',
      triggered_by: 'tester',
      reason: 'new dashboard',
      services_deployed: ['api', 'worker'],
      database_backup: null,
      migrations_applied: 0,
      rollback_of: null,
      rollback_available: true,
      rollback_window_minutes: 45,
      health_checks: { provider_health: 'healthy', api: 'healthy', smoke_tests: 'passed' },
    });
    expect(shown.rollout_stages).toEqual([{ stage: 'full', traffic_percentage: 100, duration_seconds: expect.any(Number), status: 'healthy' }]);
    expect(shown.gates).toEqual([{ name: 'semver', result: 'pass', reason: expect.stringContaining('v1.1.0') }]);
    expect(Date.parse(shown.rollback_deadline as string) - Date.parse(shown.timestamp as string)).toBe(45 * 60_000);
    expect(typeof shown.duration_seconds).toBe('number');
    const file = JSON.parse(await readFile(join(p.dir, '.shipgate/records', `${second}.json`), 'utf8'));
    expect(file).toEqual(shown);
  });

  it("a rollback's record links to the deployment it rolled back", async () => {
    const r = await p.run(['rollback', '--reason', 'errors after release', '--json'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    const id = json<{ deployment_id: string }>(r).deployment_id;
    const rec = json<Rec>(await p.run(['show', id, '--json'], { env: env() }));
    expect(rec).toMatchObject({ kind: 'rollback', version: 'v1.0.0', previous_version: 'v1.1.0', rollback_of: second, reason: 'errors after release', status: 'succeeded' });
    expect(rec.gates).toEqual([{ name: 'semver', result: 'skip', reason: 'not applied to rollbacks (set applyToRollback to apply)' }]);
    expect((await p.read('live.txt')).trim()).toBe('v1.0.0');
    expect(first).toMatch(/^dep_/);
  });

  it('a failed deploy has a record too, with the failure and no rollback available', async () => {
    target.status.set('/api', 500);
    try {
      const { code, out } = await deployJson(['deploy', 'v1.2.0', '--json']);
      expect(code).toBe(1);
      const rec = json<Rec>(await p.run(['show', out.deployment_id, '--json'], { env: env() }));
      expect(rec).toMatchObject({ status: 'rolled_back', rollback_available: false, rollback_deadline: null, services_deployed: [], health_checks: { api: 'unhealthy', smoke_tests: 'failed' } });
      expect(rec.rollout_stages).toEqual([expect.objectContaining({ stage: 'full', traffic_percentage: 100, status: 'rolled_back' })]);
      expect(String(rec.error)).toContain('api: HTTP 500');
    } finally {
      target.status.set('/api', 200);
    }
  });

  it('plain `show` prints the record for people', async () => {
    const r = await p.run(['show', second], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/version\s+v1\.1\.0 \(previous v1\.0\.0\)/);
    expect(r.stdout).toMatch(/status\s+succeeded/);
  });
});
