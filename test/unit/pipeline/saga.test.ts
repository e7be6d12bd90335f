import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Cancelled, DeadlineExceeded, GateBlocked, StageFailed } from '../../../src/errors.js';
import { EventBus, type AnyLifecycleEvent } from '../../../src/pipeline/events.js';
import { executeSaga, runForward, undoAndConclude, type SagaOutcome } from '../../../src/pipeline/saga.js';
import type { Stage } from '../../../src/pipeline/stage.js';
import { FakeClock } from '../../../src/runtime/clock.js';
import type { EventRow, Store } from '../../../src/store/contract.js';
import { createRow, fakeStage, loadDoc, makeBase, makeFacts, memoryStore, T0, type FakeStageOptions, type StageCall } from './helpers.js';

const SECRET = 'tok_supersecret_123';
const facts = makeFacts();

let store: Store;
let clock: FakeClock;
let log: StageCall[];

beforeEach(async () => {
  store = await memoryStore();
  clock = new FakeClock(T0);
  log = [];
});

afterEach(async () => {
  await store.close();
});

/** The shape of the brief's plan: a (no undo), b (undo), c (undo), d (no undo). */
function fourStages(overrides: Partial<Record<'a' | 'b' | 'c' | 'd', FakeStageOptions>> = {}): Stage[] {
  return [
    fakeStage('a', log, { ...overrides.a }),
    fakeStage('b', log, { undo: 'done', ...overrides.b }),
    fakeStage('c', log, { undo: 'done', ...overrides.c }),
    fakeStage('d', log, { ...overrides.d }),
  ];
}

/** Sets up a deployment the way Pipeline.start does (row, base, deploy:started), then hands the base over. */
async function prepare(stages: readonly Stage[], opts: { signal?: AbortSignal; bus?: EventBus } = {}) {
  const loaded = loadDoc({}, { env: { DEPLOY_TOKEN: SECRET } });
  await createRow(store, facts);
  const base = makeBase({ store, loaded, facts, clock, signal: opts.signal, bus: opts.bus });
  await base.journal.append('deploy:started', { deploymentId: facts.id, app: facts.app, environment: facts.environment, version: facts.version, kind: 'deploy', previousVersion: facts.previousVersion, stages: stages.map((s) => s.name) });
  return base;
}

async function saga(stages: readonly Stage[], opts: { signal?: AbortSignal; autoRollback?: boolean; bus?: EventBus } = {}): Promise<{ outcome: SagaOutcome; events: EventRow[]; types: string[] }> {
  const base = await prepare(stages, opts);
  const outcome = await executeSaga(stages, base, { fromIndex: 0, autoRollback: opts.autoRollback ?? true });
  const events = await store.listEvents(facts.id);
  return { outcome, events, types: events.map(label) };
}

const label = (e: { type: string; stage?: string | null }): string => (e.stage ? `${e.type} ${e.stage}` : e.type);
const undoCalls = (): string[] => log.filter((c) => c.what === 'undo').map((c) => c.stage);
const runCalls = (): string[] => log.filter((c) => c.what === 'run').map((c) => c.stage);

describe('executeSaga', () => {
  it('runs every stage in order and succeeds without undoing anything', async () => {
    const { outcome, types } = await saga(fourStages());
    expect(outcome).toEqual({ status: 'succeeded', error: null, failedStage: null, undone: [], undoFailures: [] });
    expect(runCalls()).toEqual(['a', 'b', 'c', 'd']);
    expect(undoCalls()).toEqual([]);
    expect(types).toEqual(['deploy:started', 'stage:started a', 'stage:finished a', 'stage:started b', 'stage:finished b', 'stage:started c', 'stage:finished c', 'stage:started d', 'stage:finished d']);
  });

  // A failure at each stage in turn; only b and c have an undo.
  const cases = [
    { at: 0, status: 'failed', undone: [] },
    { at: 1, status: 'rolled_back', undone: ['b'] },
    { at: 2, status: 'rolled_back', undone: ['c', 'b'] },
    { at: 3, status: 'rolled_back', undone: ['c', 'b'] },
  ] as const;
  const names = ['a', 'b', 'c', 'd'] as const;
  for (const c of cases) {
    it(`a failure in stage ${names[c.at]} ends ${c.status}, undoing [${c.undone.join(', ')}] newest first`, async () => {
      const failing = names[c.at];
      const { outcome, types } = await saga(fourStages({ [failing]: { fail: new Error(`${failing} broke`) } }));
      expect(outcome).toEqual({ status: c.status, error: `${failing} broke`, failedStage: failing, undone: [...c.undone], undoFailures: [] });
      expect(runCalls()).toEqual(names.slice(0, c.at + 1));
      expect(undoCalls()).toEqual([...c.undone]);
      const forward = names.slice(0, c.at).flatMap((n) => [`stage:started ${n}`, `stage:finished ${n}`]);
      const undo = c.undone.flatMap((n) => [`undo:started ${n}`, `undo:finished ${n}`]);
      expect(types).toEqual(['deploy:started', ...forward, `stage:started ${failing}`, `stage:failed ${failing}`, ...undo]);
    });
  }

  it('journals the failure in full: error, duration, undo outcome', async () => {
    const { events } = await saga(
      fourStages({
        b: { onRun: () => clock.advance(1500) },
        c: { onRun: () => clock.advance(250), fail: new StageFailed('c', 'script exited with code 7', { output: { tried: 1 } }) },
      }),
    );
    const failed = events.find((e) => e.type === 'stage:failed')!;
    expect(failed).toMatchObject({ stage: 'c', at: new Date(Date.parse(T0) + 1750).toISOString(), data: { deploymentId: facts.id, stage: 'c', durationMs: 250, error: 'stage "c" failed: script exited with code 7', output: { tried: 1 } } });
    expect(events.find((e) => e.type === 'stage:finished' && e.stage === 'b')!.data).toMatchObject({ durationMs: 1500 });
    expect(events.filter((e) => e.type === 'undo:finished').map((e) => e.data)).toEqual([
      { deploymentId: facts.id, stage: 'c', durationMs: 0, done: true, detail: 'undid c' },
      { deploymentId: facts.id, stage: 'b', durationMs: 0, done: true, detail: 'undid b' },
    ]);
    expect((await store.getDeployment(facts.id))?.currentStage).toBe('c');
  });

  it('hands each undo the output its run returned (null for a stage that did not finish)', async () => {
    await saga(fourStages({ b: { output: { built: 'release-b' } }, c: { fail: new Error('c broke') } }));
    expect(log.filter((c) => c.what === 'undo').map((c) => [c.stage, c.output])).toEqual([
      ['c', null],
      ['b', { built: 'release-b' }],
    ]);
  });

  it('an undo that has nothing to do does not count: the deployment is failed, not rolled back', async () => {
    const { outcome, types } = await saga(fourStages({ b: { undo: 'nothing' }, c: { undo: 'nothing' }, d: { fail: new Error('d broke') } }));
    expect(outcome).toMatchObject({ status: 'failed', undone: [], undoFailures: [] });
    expect(undoCalls()).toEqual(['c', 'b']);
    expect(types.slice(-4)).toEqual(['undo:started c', 'undo:finished c', 'undo:started b', 'undo:finished b']);
  });

  it('stops at the first undo that fails: rollback_failed, the rest left alone', async () => {
    const { outcome, types } = await saga(fourStages({ c: { undo: 'throw' }, d: { fail: new Error('d broke') } }));
    expect(outcome).toEqual({
      status: 'rollback_failed',
      error: 'd broke; then undo of stage "c" failed: cannot undo c',
      failedStage: 'd',
      undone: [],
      undoFailures: [{ stage: 'c', error: 'cannot undo c' }],
    });
    expect(undoCalls()).toEqual(['c']);
    expect(types.slice(-3)).toEqual(['stage:failed d', 'undo:started c', 'undo:failed c']);
  });

  it('keeps what was undone before the failing undo, and reports a StageFailed undo by its detail', async () => {
    const { outcome, events } = await saga(fourStages({ b: { undo: 'throw', undoError: new StageFailed('b', 'rollback.sh exited with code 9') }, d: { fail: new Error('d broke') } }));
    expect(outcome).toMatchObject({ status: 'rollback_failed', undone: ['c'], undoFailures: [{ stage: 'b', error: 'rollback.sh exited with code 9' }] });
    expect(outcome.error).toBe('d broke; then undo of stage "b" failed: rollback.sh exited with code 9');
    expect(events.at(-1)).toMatchObject({ type: 'undo:failed', stage: 'b', data: { error: 'rollback.sh exited with code 9' } });
  });

  it('a blocking gate ends blocked and undoes nothing, even after stages with an undo ran', async () => {
    const { outcome, types } = await saga(fourStages({ c: { fail: new GateBlocked('window', 'outside the deploy window') } }));
    expect(outcome).toEqual({ status: 'blocked', error: 'blocked by gate "window": outside the deploy window', failedStage: 'c', undone: [], undoFailures: [] });
    expect(undoCalls()).toEqual([]);
    expect(types.some((t) => t.startsWith('undo:'))).toBe(false);
  });

  it('an abort between stages stops before the next stage, undoes what began, and ends cancelled', async () => {
    const ac = new AbortController();
    // As the CLI's interrupt trap aborts: with a Cancelled reason.
    const { outcome, types } = await saga(fourStages({ b: { onRun: () => ac.abort(new Cancelled('cancelled by SIGINT')) } }), { signal: ac.signal });
    expect(outcome).toEqual({ status: 'cancelled', error: 'cancelled by SIGINT', failedStage: 'c', undone: ['b'], undoFailures: [] });
    expect(runCalls()).toEqual(['a', 'b']);
    expect(types).toEqual(['deploy:started', 'stage:started a', 'stage:finished a', 'stage:started b', 'stage:finished b', 'undo:started b', 'undo:finished b']);
    // Undo gets calm signals of its own: the first interrupt does not stop it.
    expect(log.filter((c) => c.what === 'undo').map((c) => c.aborted)).toEqual([false]);
  });

  it('a Cancelled thrown while the signal is aborted is journaled as the abort reason', async () => {
    const ac = new AbortController();
    const { outcome, events } = await saga(fourStages({ c: { onRun: () => ac.abort('SIGINT'), fail: new Cancelled('gate wait cancelled') } }), { signal: ac.signal });
    expect(outcome).toMatchObject({ status: 'cancelled', error: 'cancelled', failedStage: 'c', undone: ['c', 'b'] });
    expect(events.find((e) => e.type === 'stage:failed')?.data.error).toBe('cancelled');
  });

  it('a deadline is not a cancel: it ends rolled_back', async () => {
    const ac = new AbortController();
    const deadline = new DeadlineExceeded('the deployment ran past its deadline of 10m');
    const { outcome, events } = await saga(fourStages({ c: { onRun: () => ac.abort(deadline), fail: new Cancelled() } }), { signal: ac.signal });
    expect(outcome).toEqual({ status: 'rolled_back', error: 'the deployment ran past its deadline of 10m', failedStage: 'c', undone: ['c', 'b'], undoFailures: [] });
    expect(events.find((e) => e.type === 'stage:failed')?.data.error).toBe('the deployment ran past its deadline of 10m');
  });

  it('a deadline passed between stages also ends rolled_back', async () => {
    const ac = new AbortController();
    const { outcome } = await saga(fourStages({ b: { onRun: () => ac.abort(new DeadlineExceeded('too slow')) } }), { signal: ac.signal });
    expect(outcome).toMatchObject({ status: 'rolled_back', error: 'too slow', failedStage: 'c', undone: ['b'] });
    expect(runCalls()).toEqual(['a', 'b']);
  });

  it('with rollback.auto off: failed, says so, and undoes nothing', async () => {
    const { outcome, types } = await saga(fourStages({ c: { fail: new Error('c broke') } }), { autoRollback: false });
    expect(outcome).toEqual({ status: 'failed', error: 'c broke (rollback.auto is off: nothing was undone)', failedStage: 'c', undone: [], undoFailures: [] });
    expect(outcome.error).toContain('(rollback.auto is off');
    expect(undoCalls()).toEqual([]);
    expect(types.some((t) => t.startsWith('undo:'))).toBe(false);
  });

  it('with rollback.auto off a cancel still ends cancelled', async () => {
    const ac = new AbortController();
    const { outcome } = await saga(fourStages({ a: { onRun: () => ac.abort(new Cancelled()) } }), { signal: ac.signal, autoRollback: false });
    expect(outcome).toMatchObject({ status: 'cancelled', error: 'cancelled (rollback.auto is off: nothing was undone)', undone: [] });
  });

  // SRC BUG (src/pipeline/saga.ts abortErrorOf, src/runtime/clock.ts abortReason): `controller.abort()`
  // without a reason sets a DOMException AbortError, which is `instanceof Error`, so it is taken as
  // the failure instead of a Cancelled: the deployment ends rolled_back/failed with
  // "This operation was aborted". A library caller's plain abort() must end `cancelled`.
  it('an abort without a reason (plain AbortController.abort()) is a cancel too', async () => {
    const ac = new AbortController();
    const { outcome } = await saga(fourStages({ b: { onRun: () => ac.abort() } }), { signal: ac.signal });
    expect(outcome).toEqual({ status: 'cancelled', error: 'cancelled', failedStage: 'c', undone: ['b'], undoFailures: [] });
  });

  it('masks secrets in the error it returns and in the journal', async () => {
    const { outcome, events } = await saga(fourStages({ b: { fail: new Error(`curl -H "Authorization: Bearer ${SECRET}" failed`) } }));
    expect(outcome.error).toBe('curl -H "Authorization: Bearer ***" failed');
    expect(JSON.stringify(events)).not.toContain(SECRET);
  });

  it('subscribers hear every event only after it is stored, in the same order', async () => {
    const real = store;
    const written: string[] = [];
    store = new Proxy(real, {
      get(target, prop) {
        if (prop === 'appendEvent') return async (e: Parameters<Store['appendEvent']>[0]) => {
          const seq = await target.appendEvent(e);
          written.push(label(e));
          return seq;
        };
        const value = Reflect.get(target, prop) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const bus = new EventBus();
    const heard: string[] = [];
    const writtenWhenHeard: number[] = [];
    bus.onAny((e: AnyLifecycleEvent) => {
      heard.push(label(e));
      writtenWhenHeard.push(written.length);
    });
    try {
      const { types } = await saga(fourStages({ c: { fail: new Error('c broke') } }), { bus });
      expect(heard).toEqual(types);
      expect(written).toEqual(types);
      expect(writtenWhenHeard).toEqual(types.map((_, i) => i + 1));
    } finally {
      store = real;
    }
  });
});

describe('runForward', () => {
  it('starts at fromIndex (a resume) and returns null when every stage finished', async () => {
    const stages = fourStages();
    const base = await prepare(stages);
    expect(await runForward(stages, base, 2)).toBeNull();
    expect(runCalls()).toEqual(['c', 'd']);
    expect((await store.listEvents(facts.id)).map(label)).toEqual(['deploy:started', 'stage:started c', 'stage:finished c', 'stage:started d', 'stage:finished d']);
  });

  it('returns the failing stage and its error without undoing', async () => {
    const stages = fourStages({ b: { fail: new Error('b broke') } });
    const base = await prepare(stages);
    const failure = await runForward(stages, base, 0);
    expect(failure?.stage).toBe('b');
    expect(failure?.error.message).toBe('b broke');
    expect(undoCalls()).toEqual([]);
  });

  it('journals a stage output only when there is one', async () => {
    const stages = fourStages({ a: { output: { gates: ['semver'] } } });
    const base = await prepare(stages);
    await runForward(stages, base, 0);
    const finished = (await store.listEvents(facts.id)).filter((e) => e.type === 'stage:finished');
    expect(finished[0]!.data.output).toEqual({ gates: ['semver'] });
    expect('output' in finished[1]!.data).toBe(false);
  });
});

describe('undoAndConclude', () => {
  it('counts what a dead process already undid and undoes only the rest', async () => {
    const stages = fourStages();
    const base = await prepare(stages);
    const id = facts.id;
    for (const s of ['a', 'b']) {
      await base.journal.append('stage:started', { deploymentId: id, stage: s });
      await base.journal.append('stage:finished', { deploymentId: id, stage: s, durationMs: 0 });
    }
    await base.journal.append('stage:started', { deploymentId: id, stage: 'c' });
    await base.journal.append('undo:started', { deploymentId: id, stage: 'c' });
    await base.journal.append('undo:finished', { deploymentId: id, stage: 'c', durationMs: 0, done: true, detail: 'restored' });
    const outcome = await undoAndConclude(stages, base, { error: 'interrupted: its process is gone', failedStage: 'c', cancelled: false });
    expect(outcome).toEqual({ status: 'rolled_back', error: 'interrupted: its process is gone', failedStage: 'c', undone: ['c', 'b'], undoFailures: [] });
    expect(undoCalls()).toEqual(['b']);
  });

  it('resumes an undo that was cut short (undo:started without an end)', async () => {
    const stages = fourStages();
    const base = await prepare(stages);
    const id = facts.id;
    for (const s of ['a', 'b', 'c']) {
      await base.journal.append('stage:started', { deploymentId: id, stage: s });
      await base.journal.append('stage:finished', { deploymentId: id, stage: s, durationMs: 0 });
    }
    await base.journal.append('undo:started', { deploymentId: id, stage: 'c' });
    const outcome = await undoAndConclude(stages, base, { error: 'interrupted', failedStage: null, cancelled: false });
    expect(undoCalls()).toEqual(['c', 'b']);
    expect(outcome.status).toBe('rolled_back');
  });

  it('with nothing begun, concludes failed (or cancelled) without undoing', async () => {
    const stages = fourStages();
    const base = await prepare(stages);
    expect(await undoAndConclude(stages, base, { error: 'x', failedStage: null, cancelled: false })).toMatchObject({ status: 'failed', undone: [] });
    expect(await undoAndConclude(stages, base, { error: 'x', failedStage: null, cancelled: true })).toMatchObject({ status: 'cancelled', undone: [] });
    expect(undoCalls()).toEqual([]);
  });
});

describe('typed stage outputs', () => {
  const schema = z.strictObject({ applied: z.array(z.string()), backupId: z.string().optional() });

  it('journals an output that matches the schema, and the undo reads it back typed, notes included', async () => {
    const b = { ...fakeStage('b', log, { undo: 'done', output: { applied: ['0001_a'] }, onRun: (ctx) => ctx.note({ backupId: 'bk_1' }) }), output: schema };
    const { outcome } = await saga([fakeStage('a', log), b, fakeStage('c', log, { fail: new Error('c broke') })]);
    expect(outcome.status).toBe('rolled_back');
    expect(log.find((c) => c.what === 'undo')?.output).toEqual({ applied: ['0001_a'], backupId: 'bk_1' });
  });

  it('a stage whose output does not match its schema fails there, naming the field, and is not journaled as finished', async () => {
    const b = { ...fakeStage('b', log, { output: { applied: 'all' } }), output: schema };
    const { outcome, types } = await saga([fakeStage('a', log), b]);
    expect(outcome).toMatchObject({ status: 'failed', failedStage: 'b', error: 'stage "b" failed: its output does not match its schema (applied: Invalid input: expected array, received string)' });
    expect(types).not.toContain('stage:finished b');
  });

  it('an undo whose journaled output is not what this version expects fails loudly (rollback_failed), not with a guess', async () => {
    const b = { ...fakeStage('b', log, { undo: 'done', onRun: (ctx) => ctx.note({ applied: 7 }), fail: new Error('b broke') }), output: schema };
    const { outcome } = await saga([fakeStage('a', log), b]);
    expect(outcome.status).toBe('rollback_failed');
    expect(outcome.undoFailures[0]!.error).toBe('the journaled output of stage "b" is not what this version of shipgate can undo from (applied: Invalid input: expected array, received number); undo it by hand');
    expect(undoCalls()).toEqual([]);
  });

  it('a later stage reads an earlier stage\'s output (outputOf)', async () => {
    let seen: unknown = 'unset';
    const stages = [fakeStage('a', log, { output: { id: 'bk_9' } }), fakeStage('b', log, { onRun: async (ctx) => void (seen = await ctx.outputOf('a')) })];
    await saga(stages);
    expect(seen).toEqual({ id: 'bk_9' });
  });
});
