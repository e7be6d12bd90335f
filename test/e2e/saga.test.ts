import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, makeProject, type Project } from '../support/project.js';
import { startTarget, type Target } from '../support/http-target.js';

/**
 * Acceptance: a failure at each stage in turn. Every run ends in the right status,
 * and undo ran for exactly the stages that began and have an undo (asserted from
 * the journal). Only `deploy` changes the target, so it is the only stage undone;
 * it is undone also when it failed itself, because a script that failed halfway
 * may have changed things.
 */

const CONFIG = `
app: sagatest
provider:
  type: command
  deploy: ["./scripts/deploy.sh"]
  rollback: ["./scripts/rollback.sh"]
  health: { url: "\${TARGET}/health", retries: 0, interval: 1s, timeout: 2s }
build:
  command: ["./scripts/build.sh"]
  artifacts: [dist]
gates:
  semver: {}
  checks: { commands: [{ name: ci, run: ["sh", "-c", "test -z \\"$FAIL_GATE\\""] }] }
smoke:
  - { name: api, url: "\${TARGET}/api" }
`;

interface Events {
  events: { type: string; stage: string | null }[];
  status: string;
  stages: { name: string; status: string; undo: string | null }[];
}

let project: Project;
let target: Target;

async function deploy(version: string, env: Record<string, string> = {}, flags: string[] = []) {
  const r = await project.run(['deploy', version, '--json', ...flags], { env: { TARGET: target.url, ...env } });
  const out = json<{ deployment_id: string; status: string; error?: string }>(r);
  const shown = json<Events>(await project.run(['show', out.deployment_id, '--events', '--json'], { env: { TARGET: target.url } }));
  const undone = shown.events.filter((e) => e.type === 'undo:started').map((e) => e.stage);
  return { id: out.deployment_id, code: r.code, status: out.status, error: out.error, undone, shown, stderr: r.stderr, live: (await project.read('live.txt')).trim() };
}

/** A rollback_failed deployment stops the environment until acknowledged: the next case may deploy again. */
async function acknowledge(id: string): Promise<void> {
  expect((await project.run(['ack', id, '--reason', 'looked at by the test'])).code).toBe(0);
}

beforeAll(async () => {
  target = await startTarget({ '/health': 200, '/api': 200 });
  project = await makeProject(CONFIG);
  const first = await deploy('v1.0.0');
  expect(first).toMatchObject({ code: 0, status: 'succeeded', undone: [], live: 'v1.0.0' });
});

afterAll(async () => {
  await project?.cleanup();
  await target?.close();
});

describe('a failure at each stage', () => {
  it('gates: blocked before anything changes, nothing undone (exit 3)', async () => {
    const r = await deploy('v1.1.1', { FAIL_GATE: '1' });
    expect(r).toMatchObject({ code: 3, status: 'blocked', undone: [], live: 'v1.0.0' });
    expect(r.shown.stages.map((s) => [s.name, s.status])).toEqual([['gates', 'failed'], ['build', 'not_started'], ['deploy', 'not_started'], ['verify', 'not_started'], ['smoke', 'not_started']]);
    expect(await project.read('calls.log')).not.toContain('v1.1.1');
  });

  it('build: fails, nothing had changed, so nothing is undone (exit 1)', async () => {
    const r = await deploy('v1.1.2', { FAIL_BUILD: '1' });
    expect(r).toMatchObject({ code: 1, status: 'failed', undone: [], live: 'v1.0.0' });
    expect(await project.read('calls.log')).not.toContain('deploy v1.1.2');
  });

  it('deploy: the half-done deploy is undone (exit 1)', async () => {
    const r = await deploy('v1.1.3', { FAIL_DEPLOY: '1' });
    expect(r).toMatchObject({ code: 1, status: 'rolled_back', undone: ['deploy'], live: 'v1.0.0' });
    expect(r.shown.stages.find((s) => s.name === 'deploy')).toMatchObject({ status: 'failed', undo: 'undone' });
  });

  it('verify: the completed deploy is undone (exit 1)', async () => {
    // Unhealthy only while the new version is live, as a real bad release would be.
    target.handler = (path) => (path === '/health' && readFileSync(join(project.dir, 'live.txt'), 'utf8').trim() === 'v1.1.4' ? 500 : undefined);
    try {
      const r = await deploy('v1.1.4');
      expect(r).toMatchObject({ code: 1, status: 'rolled_back', undone: ['deploy'], live: 'v1.0.0' });
      expect(r.shown.stages.map((s) => [s.name, s.status])).toEqual([['gates', 'succeeded'], ['build', 'succeeded'], ['deploy', 'succeeded'], ['verify', 'failed'], ['smoke', 'not_started']]);
    } finally {
      target.handler = undefined;
    }
  });

  it('smoke: the completed deploy is undone (exit 1)', async () => {
    target.status.set('/api', 500);
    try {
      const r = await deploy('v1.1.5');
      expect(r).toMatchObject({ code: 1, status: 'rolled_back', undone: ['deploy'], live: 'v1.0.0' });
    } finally {
      target.status.set('/api', 200);
    }
  });

  it('the restored version is unhealthy too: the undo fails (exit 4)', async () => {
    target.status.set('/health', 500);
    try {
      const r = await deploy('v1.1.7');
      expect(r).toMatchObject({ code: 4, status: 'rollback_failed', undone: ['deploy'] });
      expect(r.shown.stages.find((s) => s.name === 'deploy')!.undo).toBe('undo_failed');
      await acknowledge(r.id);
    } finally {
      target.status.set('/health', 200);
    }
  });

  it('undo fails: rollback_failed, the journal is kept, a loud message, exit 4', async () => {
    const r = await deploy('v1.1.6', { FAIL_DEPLOY: '1', FAIL_ROLLBACK: '1' });
    expect(r).toMatchObject({ code: 4, status: 'rollback_failed', undone: ['deploy'] });
    expect(r.shown.events.map((e) => e.type)).toContain('undo:failed');
    expect(r.stderr).toContain('ROLLBACK FAILED');
    await acknowledge(r.id);
  });

  it('deadline: a deploy still running at --timeout is stopped and undone (exit 1)', async () => {
    const started = Date.now();
    const r = await deploy('v1.1.8', { SLOW_DEPLOY: '20' }, ['--timeout', '2s']);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r).toMatchObject({ code: 1, status: 'rolled_back', undone: ['deploy'], live: 'v1.0.0' });
    expect(r.error).toContain('ran past its deadline of 2s');
  });

  it('all stages pass: succeeded, nothing undone (exit 0)', async () => {
    const r = await deploy('v1.2.0');
    expect(r).toMatchObject({ code: 0, status: 'succeeded', undone: [], live: 'v1.2.0' });
  });
});
