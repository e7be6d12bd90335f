import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npmEnv } from '../support/packed.js';
import { CLI, cliEnv, json, makeProject, STATE_SCRIPTS, type Project } from '../support/project.js';
import { runJob, runnerEnv, type Contexts } from '../support/workflow-runner.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SECRET = 'tok-4f9c2e1d8b7a6350';

/** A repository as `shipgate init` and `init github` leave it, with the deploy scripts, committed and tagged. */
async function scaffoldedRepository(): Promise<Project> {
  const project = await makeProject('', { ...STATE_SCRIPTS, 'scripts/deploy.sh': STATE_SCRIPTS['scripts/deploy.sh']!.replace('echo "deploy $SHIPGATE_VERSION"', 'echo "deploy $SHIPGATE_VERSION $SHIPGATE_ENV token:${#DEPLOY_TOKEN}"') });
  const init = await project.run(['init', '--app', 'myapp', '--force']);
  expect(init.code, init.stderr).toBe(0);
  // A secret the config refers to, as a team would add: the workflows must pass it by name.
  await project.write('shipgate.yaml', (await project.read('shipgate.yaml')).replace('  type: command\n', '  type: command\n  env: { DEPLOY_TOKEN: "${DEPLOY_TOKEN}" }\n'));
  const github = await project.run(['init', 'github']);
  expect(github.code, github.stderr).toBe(0);
  expect(github.stdout).toContain('secrets to set (GitHub environment production): SHIPGATE_STORE_URL, DEPLOY_TOKEN');
  await project.write('package.json', '{ "name": "app", "private": true }\n');
  await project.write('package-lock.json', '{ "name": "app", "lockfileVersion": 3, "requires": true, "packages": { "": { "name": "app" } } }\n');
  await project.write('.gitignore', '.shipgate/\nnode_modules/\n');
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: project.dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } }).trim();
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'app');
  git('tag', 'v1.0.0');
  return project;
}

describe('shipgate init github: the generated deploy workflow, run', () => {
  let project: Project;
  let bin: string;
  let sha: string;

  beforeAll(async () => {
    project = await scaffoldedRepository();
    // shipgate resolves to this build: after the install step's node_modules/.bin (empty here), the PATH has it.
    bin = join(project.dir, '..', `${project.dir.split('/').at(-1)}-bin`);
    mkdirSync(bin);
    symlinkSync(CLI, join(bin, 'shipgate'));
    sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: project.dir, encoding: 'utf8' }).trim();
  }, 120_000);
  afterAll(() => project?.cleanup());

  const workflow = async (name: string): Promise<Obj> => load(await project.read(`.github/workflows/${name}`)) as Obj;
  const run = async (file: string, job: string, github: Record<string, string>, inputs: Record<string, unknown>) => {
    const ctx: Contexts = { github, inputs, secrets: { DEPLOY_TOKEN: SECRET }, vars: {} };
    const env = npmEnv({ npm_config_offline: 'true' }, cliEnv({ SHIPGATE_ACTOR: undefined, PATH: `${bin}:${process.env.PATH}`, ...runnerEnv(github, project.dir) }));
    return runJob(await workflow(file), job, { cwd: project.dir, ctx, env, tempRoot: join(project.dir, '..') });
  };
  const tagPush = { event_name: 'push', ref_type: 'tag', ref_name: 'v1.0.0', actor: 'alice', repository: 'acme/app', run_id: '101', run_number: '7' };
  const latest = async (env: string): Promise<Obj> => {
    const [row] = json<Obj[]>(await project.run(['history', '--env', env, '--json']));
    return json<Obj>(await project.run(['show', row!.deployment_id, '--env', env, '--json']));
  };

  it('a pushed v* tag: the staging job, then the production job, each deploys the tag with the secret passed by name', async () => {
    for (const job of ['staging', 'production']) {
      const steps = await run('deploy.yml', job, { ...tagPush, sha }, {});
      expect(steps.map((s) => [s.name, s.code])).toEqual([['Install dependencies (shipgate among them)', 0], [`shipgate deploy (${job})`, 0]]);
      expect(steps.at(-1)!.stdout + steps.at(-1)!.stderr).not.toContain(SECRET);
    }
    expect(await project.read('calls.log')).toBe(`deploy v1.0.0 staging token:${SECRET.length}\ndeploy v1.0.0 production token:${SECRET.length}\n`);
    for (const env of ['staging', 'production']) expect(await latest(env)).toMatchObject({ version: 'v1.0.0', environment: env, status: 'succeeded', triggered_by: 'alice', git_sha: sha });
  }, 120_000);

  it('a dispatch with a version, a reason and emergency deploys to production and records them; rollback.yml returns with a required reason', async () => {
    const dispatch = { ...tagPush, event_name: 'workflow_dispatch', ref_type: 'branch', ref_name: 'main', sha, run_id: '102', run_number: '8' };
    const steps = await run('deploy.yml', 'production', dispatch, { version: 'v1.1.0', status: 'succeeded', reason: 'hotfix: login loop', emergency: true, skip_staging: true });
    expect(steps.at(-1), steps.at(-1)!.stderr).toMatchObject({ code: 0 });
    expect(await latest('production')).toMatchObject({ version: 'v1.1.0', status: 'succeeded', reason: 'hotfix: login loop', emergency: { by: 'alice', reason: 'hotfix: login loop' } });

    const refused = await run('rollback.yml', 'rollback', { ...dispatch, run_id: '103' }, { version: '', reason: '  ' });
    expect(refused.at(-1)).toMatchObject({ code: 2, stderr: expect.stringContaining('::error::a reason is required to roll back') });
    const back = await run('rollback.yml', 'rollback', { ...dispatch, run_id: '104' }, { version: 'v1.0.0', reason: 'login loop is back' });
    expect(back.at(-1), back.at(-1)!.stderr).toMatchObject({ code: 0 });
    expect(await project.read('live.txt')).toBe('v1.0.0\n');
    expect((await project.read('calls.log')).split('\n').filter(Boolean).slice(2)).toEqual([`deploy v1.1.0 production token:${SECRET.length}`, 'rollback v1.0.0']);
  }, 120_000);
});
