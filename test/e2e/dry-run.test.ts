import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, makeProject, type Project } from '../support/project.js';

/** --dry-run evaluates the gates and prints the whole plan (argv + env, secrets masked). It changes nothing. */

const CONFIG = `
app: dryrun
provider:
  type: command
  deploy: ["./scripts/deploy.sh", "--fast"]
  rollback: "./scripts/rollback.sh"
  env: { DEPLOY_TOKEN: "\${DEPLOY_TOKEN}", REGION: ord }
build:
  command: ["./scripts/build.sh"]
  artifacts: [dist]
`;

let p: Project;
beforeAll(async () => {
  p = await makeProject(CONFIG);
});
afterAll(async () => p?.cleanup());

describe('deploy --dry-run', () => {
  it('prints stages, steps and commands with their environment, and changes nothing', async () => {
    const r = await p.run(['deploy', 'v1.0.0', '--dry-run'], { env: { DEPLOY_TOKEN: 'tok-123456789' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('dry run: deploy v1.0.0 to dryrun/production (first deployment); nothing will change');
    expect(r.stdout).toContain('argv: ["./scripts/build.sh"]');
    expect(r.stdout).toContain('argv: ["./scripts/deploy.sh","--fast"]');
    expect(r.stdout).toContain('env:  SHIPGATE_VERSION=v1.0.0');
    expect(r.stdout).toContain(`env:  SHIPGATE_RELEASE_DIR=${join(p.dir, '.shipgate/releases/v1.0.0')}`);
    expect(r.stdout).toContain('env:  REGION=ord');
    expect(r.stdout).toContain('env:  DEPLOY_TOKEN=***');
    expect(r.stdout).not.toContain('tok-123456789');
    expect(existsSync(join(p.dir, '.shipgate'))).toBe(false);
    expect(await p.readOr('calls.log', '')).toBe('');
  });

  it('--json gives the plan as data; the rollback command of a later deploy is shown as the undo', async () => {
    expect((await p.run(['deploy', 'v1.0.0'], { env: { DEPLOY_TOKEN: 'tok-123456789' } })).code).toBe(0);
    const r = await p.run(['deploy', 'v1.1.0', '--dry-run', '--json'], { env: { DEPLOY_TOKEN: 'tok-123456789' } });
    const plan = json<{ would_proceed: boolean; previous_version: string; stages: { stage: string; steps: { step: string; command?: { argv: string[] } }[] }[] }>(r);
    expect(plan.would_proceed).toBe(true);
    expect(plan.previous_version).toBe('v1.0.0');
    expect(plan.stages.map((s) => s.stage)).toEqual(['gates', 'build', 'deploy']);
    const deploy = plan.stages.find((s) => s.stage === 'deploy')!;
    expect(deploy.steps.map((s) => [s.step, s.command?.argv])).toEqual([
      ['deploy', ['./scripts/deploy.sh', '--fast']],
      ['undo', ['/bin/sh', '-c', './scripts/rollback.sh']],
    ]);
    const history = json<unknown[]>(await p.run(['history', '--json']));
    expect(history).toHaveLength(1);
  });

  it('a blocking gate makes the dry run exit 3', async () => {
    const r = await p.run(['deploy', 'release-7', '--dry-run'], { env: { DEPLOY_TOKEN: 'x' } });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('a gate blocks');
  });
});
