import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BaseContext } from '../../../src/pipeline/context.js';
import { factsFromRow, recoverDeployment } from '../../../src/pipeline/recovery.js';
import type { DeploymentFacts } from '../../../src/pipeline/stage.js';
import { FakeClock } from '../../../src/runtime/clock.js';
import type { RunRequest, RunResult, Runner } from '../../../src/runtime/process.js';
import type { Store } from '../../../src/store/contract.js';
import { makeTempDir, type TempDir } from '../../support/tmp.js';
import { createRow, loadDoc, makeBase, makeFacts, makeRow, memoryStore, T0 } from './helpers.js';

/** Commands run by the command provider, as "script VERSION". */
let ran: string[];
let failing: string | null;

const runner: Runner = async (req: RunRequest): Promise<RunResult> => {
  const script = req.argv.join(' ');
  ran.push(`${script} ${req.env?.SHIPGATE_VERSION ?? ''}`);
  req.onLine?.(`running ${script}`, 'stdout');
  const exitCode = failing === script ? 9 : 0;
  return { exitCode, signal: null, timedOut: false, cancelled: false, spawnError: null, durationMs: 5 };
};

let tmp: TempDir;
let store: Store;
let clock: FakeClock;

beforeEach(async () => {
  tmp = await makeTempDir('shipgate-recovery-');
  store = await memoryStore();
  clock = new FakeClock(Date.parse(T0) + 60_000);
  ran = [];
  failing = null;
});

afterEach(async () => {
  await store.close();
  await tmp.cleanup();
});

const facts = makeFacts();

/** An interrupted deployment of plan [gates, deploy]: journal written by a process that died. */
async function interrupted(policy: 'rollback' | 'resume', journal: (base: BaseContext) => Promise<void>, meta: Record<string, unknown> = {}): Promise<BaseContext> {
  const loaded = loadDoc({ provider: { type: 'command', deploy: ['./deploy.sh'], rollback: ['./rollback.sh'] }, resume: { policy } }, { root: tmp.path });
  await createRow(store, facts, T0, { pid: 4242, host: 'ci-1', ...meta });
  const base = makeBase({ store, loaded, facts, clock, run: runner });
  await base.journal.append('deploy:started', { deploymentId: facts.id, app: 'demo', environment: 'production', version: facts.version, kind: 'deploy', previousVersion: facts.previousVersion, stages: ['gates', 'deploy'] });
  await journal(base);
  return base;
}

const stage = (base: BaseContext, type: 'stage:started' | 'stage:finished', name: string) =>
  type === 'stage:started' ? base.journal.append(type, { deploymentId: facts.id, stage: name }) : base.journal.append(type, { deploymentId: facts.id, stage: name, durationMs: 10 });

async function types(): Promise<string[]> {
  return (await store.listEvents(facts.id)).map((e) => (e.stage ? `${e.type} ${e.stage}` : e.type));
}

describe('factsFromRow', () => {
  it('gives a later process everything it needs to finish the deployment', () => {
    const row = makeRow({ triggeredBy: 'bob', reason: 'hotfix', gitSha: 'abc', gitRef: 'refs/tags/v1.1.0', rollbackOf: null, meta: { emergency: { by: 'bob', reason: 'outage' } } });
    const expected: DeploymentFacts = { id: row.id, app: 'demo', environment: 'production', kind: 'deploy', version: 'v1.1.0', previousVersion: 'v1.0.0', actor: 'bob', reason: 'hotfix', gitSha: 'abc', gitRef: 'refs/tags/v1.1.0', emergency: { by: 'bob', reason: 'outage' }, rollbackOf: null, data: { backup: true, skipMigrations: false, allowDestructive: false }, rollback: null };
    expect(factsFromRow(row)).toEqual(expected);
    expect(factsFromRow(makeRow({ meta: {} })).emergency).toBeNull();
    // The run's data flags come back with it: a recovery must not migrate what the run was told to skip.
    expect(factsFromRow(makeRow({ meta: { data: { skipMigrations: true } } })).data).toEqual({ backup: true, skipMigrations: true, allowDestructive: false });
    // A rollback's type and data actions too: a recovery runs (or undoes) the same stages.
    const rollback = { type: 'migration', live: 'dep_a', subject: 'dep_a', actions: [{ database: 'main', action: 'down', names: ['0002_b'], why: 'main: reverting 0002_b' }] };
    expect(factsFromRow(makeRow({ kind: 'rollback', meta: { rollback } })).rollback).toEqual(rollback);
  });
});

describe('recoverDeployment', () => {
  it('a dead run on another host: its commands cannot be ended from here, and the journal says so before the undo', async () => {
    const base = await interrupted('rollback', async (b) => {
      await stage(b, 'stage:started', 'deploy');
      await b.journal.append('process:started', { deploymentId: facts.id, stage: 'deploy', pgid: 999_999, start: null, command: './deploy.sh' });
    });
    await recoverDeployment((await store.getDeployment(facts.id))!, base, 'its process is gone', 'test-host');
    const events = await store.listEvents(facts.id);
    const warning = events.find((e) => e.type === 'deploy:warning');
    expect(warning?.data.message).toBe('the dead run ran on ci-1, not here (test-host): commands it started there (./deploy.sh, process group 999999) cannot be ended from here; if one is still running on that host, it may change the target after this recovery');
    expect(events.findIndex((e) => e.type === 'deploy:warning')).toBeLessThan(events.findIndex((e) => e.type === 'undo:started'));
    expect(events.some((e) => e.type === 'process:ended')).toBe(false);
  });

  it('policy rollback: undoes the interrupted deploy stage and ends rolled_back', async () => {
    const base = await interrupted('rollback', async (b) => {
      await stage(b, 'stage:started', 'gates');
      await stage(b, 'stage:finished', 'gates');
      await stage(b, 'stage:started', 'deploy');
    });
    const row = (await store.getDeployment(facts.id))!;
    const result = await recoverDeployment(row, base, 'its process (pid 4242 on ci-1) is gone', 'test-host');
    expect(ran).toEqual(['./rollback.sh v1.0.0']);
    expect(result).toMatchObject({ deploymentId: facts.id, status: 'rolled_back', error: 'interrupted: its process (pid 4242 on ci-1) is gone' });
    expect(result.record.stages.map((s) => [s.name, s.status, s.undo])).toEqual([
      ['gates', 'succeeded', null],
      ['deploy', 'interrupted', 'undone'],
    ]);
    const t = await types();
    expect(t.slice(t.indexOf('recovery:started'))).toEqual(['recovery:started', 'undo:started deploy', 'step:started deploy', 'step:output deploy', 'step:finished deploy', 'undo:finished deploy', 'deploy:finished']);
    const events = await store.listEvents(facts.id);
    expect(events.find((e) => e.type === 'recovery:started')?.data).toEqual({ deploymentId: facts.id, policy: 'rollback', reason: 'its process (pid 4242 on ci-1) is gone' });
    expect(await store.getDeployment(facts.id)).toMatchObject({ status: 'rolled_back', currentStage: null, finishedAt: new Date(clock.now()).toISOString() });
    expect(JSON.parse(readFileSync(result.recordPath, 'utf8'))).toEqual(result.record);
  });

  it('policy resume: runs again from the interrupted stage and can succeed', async () => {
    const base = await interrupted('resume', async (b) => {
      await stage(b, 'stage:started', 'gates');
      await stage(b, 'stage:finished', 'gates');
      await stage(b, 'stage:started', 'deploy');
    });
    const result = await recoverDeployment((await store.getDeployment(facts.id))!, base, 'its process is gone', 'test-host');
    expect(ran).toEqual(['./deploy.sh v1.1.0']);
    expect(result).toMatchObject({ status: 'succeeded', error: null });
    const t = await types();
    expect(t.filter((x) => x.startsWith('stage:') || x.startsWith('recovery') || x.startsWith('deploy:'))).toEqual([
      'deploy:started',
      'stage:started gates',
      'stage:finished gates',
      'stage:started deploy',
      'recovery:started',
      'stage:started deploy',
      'stage:finished deploy',
      'deploy:finished',
    ]);
  });

  it('policy resume: a resumed stage that fails is undone (rollback.auto on)', async () => {
    failing = './deploy.sh';
    const base = await interrupted('resume', async (b) => {
      await stage(b, 'stage:started', 'gates');
      await stage(b, 'stage:finished', 'gates');
      await stage(b, 'stage:started', 'deploy');
    });
    const result = await recoverDeployment((await store.getDeployment(facts.id))!, base, 'gone', 'test-host');
    expect(ran).toEqual(['./deploy.sh v1.1.0', './rollback.sh v1.0.0']);
    expect(result.status).toBe('rolled_back');
  });

  it('policy resume keeps autoRollback off when the deployment had it off', async () => {
    failing = './deploy.sh';
    const base = await interrupted(
      'resume',
      async (b) => {
        await stage(b, 'stage:started', 'gates');
        await stage(b, 'stage:finished', 'gates');
      },
      { autoRollback: false },
    );
    const result = await recoverDeployment((await store.getDeployment(facts.id))!, base, 'gone', 'test-host');
    expect(ran).toEqual(['./deploy.sh v1.1.0']);
    expect(result.status).toBe('failed');
    expect(result.error).toContain('(rollback.auto is off: nothing was undone)');
  });

  it('policy resume still finishes an undo that was under way, rather than deploying again', async () => {
    const base = await interrupted('resume', async (b) => {
      await stage(b, 'stage:started', 'gates');
      await stage(b, 'stage:finished', 'gates');
      await stage(b, 'stage:started', 'deploy');
      await b.journal.append('stage:failed', { deploymentId: facts.id, stage: 'deploy', durationMs: 1, error: 'boom' });
      await b.journal.append('undo:started', { deploymentId: facts.id, stage: 'deploy' });
    });
    const result = await recoverDeployment((await store.getDeployment(facts.id))!, base, 'gone', 'test-host');
    expect(ran).toEqual(['./rollback.sh v1.0.0']);
    expect(result.status).toBe('rolled_back');
  });

  it('every stage finished but deploy:finished is missing: concluded succeeded without running anything', async () => {
    const base = await interrupted('rollback', async (b) => {
      for (const s of ['gates', 'deploy']) {
        await stage(b, 'stage:started', s);
        await stage(b, 'stage:finished', s);
      }
    });
    const result = await recoverDeployment((await store.getDeployment(facts.id))!, base, 'gone', 'test-host');
    expect(ran).toEqual([]);
    expect(result).toMatchObject({ status: 'succeeded', error: null });
  });

  it('an undo that fails during recovery ends rollback_failed', async () => {
    failing = './rollback.sh';
    const base = await interrupted('rollback', async (b) => {
      await stage(b, 'stage:started', 'gates');
      await stage(b, 'stage:finished', 'gates');
      await stage(b, 'stage:started', 'deploy');
    });
    const result = await recoverDeployment((await store.getDeployment(facts.id))!, base, 'gone', 'test-host');
    expect(result.status).toBe('rollback_failed');
    expect(result.error).toMatch(/^interrupted: gone; then undo of stage "deploy" failed: rollback: \.\/rollback\.sh exited with code 9; last output: running \.\/rollback\.sh$/);
  });
});
