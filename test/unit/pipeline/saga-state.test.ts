import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deriveSagaState, firstUnfinished, isUndoUnderway, stagesToUndo } from '../../../src/pipeline/saga-state.js';
import type { EventRow } from '../../../src/store/contract.js';
import { ev } from './helpers.js';

const PLAN = ['gates', 'build', 'deploy', 'verify', 'smoke'];
const started = (stages = PLAN): EventRow => ev('deploy:started', null, { stages, version: 'v1.1.0' });
const at = (s: number): string => new Date(Date.parse('2026-11-23T17:00:00Z') + s * 1000).toISOString();

describe('deriveSagaState', () => {
  it('takes the plan from deploy:started and gives every planned stage a blank state', () => {
    const state = deriveSagaState([started()]);
    expect(state.plan).toEqual(PLAN);
    expect(state.finished).toBe(false);
    expect([...state.stages.keys()]).toEqual(PLAN);
    expect(state.stages.get('deploy')).toEqual({
      name: 'deploy',
      started: false,
      finished: false,
      failed: false,
      undoStarted: false,
      undoFinished: false,
      undoDone: false,
      undoFailed: false,
      startedAt: null,
      finishedAt: null,
      output: null,
      error: null,
    });
  });

  it('has an empty plan without deploy:started (or when it lists no stages)', () => {
    expect(deriveSagaState([]).plan).toEqual([]);
    expect(deriveSagaState([ev('deploy:started')]).plan).toEqual([]);
    expect(deriveSagaState([]).stages.size).toBe(0);
  });

  it('folds started, finished (with output) and failed (with error) per stage', () => {
    const state = deriveSagaState([
      started(),
      ev('stage:started', 'gates', {}, at(0)),
      ev('stage:finished', 'gates', { durationMs: 1000, output: { gates: [] } }, at(1)),
      ev('stage:started', 'build', {}, at(2)),
      ev('step:started', 'build', { step: 'build' }, at(2)),
      ev('stage:finished', 'build', { durationMs: 3000 }, at(5)),
      ev('stage:started', 'deploy', {}, at(6)),
      ev('stage:failed', 'deploy', { durationMs: 2000, error: 'deploy: exited with code 7' }, at(8)),
    ]);
    expect(state.stages.get('gates')).toMatchObject({ started: true, finished: true, failed: false, startedAt: at(0), finishedAt: at(1), output: { gates: [] }, error: null });
    expect(state.stages.get('build')).toMatchObject({ started: true, finished: true, startedAt: at(2), finishedAt: at(5), output: null });
    expect(state.stages.get('deploy')).toMatchObject({ started: true, finished: false, failed: true, startedAt: at(6), finishedAt: at(8), output: null, error: 'deploy: exited with code 7' });
    expect(state.stages.get('verify')).toMatchObject({ started: false, finished: false, failed: false });
  });

  it('merges what a stage noted while it ran with what it returned (the returned keys win); a crash leaves the noted part', () => {
    const state = deriveSagaState([
      started(),
      ev('stage:started', 'deploy', {}, at(0)),
      ev('stage:noted', 'deploy', { output: { startedFrom: 'v1.0.0', step: 1 } }, at(1)),
      ev('stage:failed', 'deploy', { durationMs: 2000, error: 'boom', output: { step: 2, rollout: { status: 'failed' } } }, at(2)),
      ev('stage:started', 'verify', {}, at(3)),
      ev('stage:noted', 'verify', { output: { startedFrom: null } }, at(4)),
    ]);
    expect(state.stages.get('deploy')!.output).toEqual({ startedFrom: 'v1.0.0', step: 2, rollout: { status: 'failed' } });
    expect(state.stages.get('verify')).toMatchObject({ started: true, finished: false, output: { startedFrom: null } });
  });

  it('tells an undo that changed something from one that had nothing to do, and records undo failures', () => {
    const state = deriveSagaState([
      started(['a', 'b', 'c']),
      ev('stage:started', 'a'),
      ev('stage:finished', 'a'),
      ev('stage:started', 'b'),
      ev('stage:finished', 'b'),
      ev('stage:started', 'c'),
      ev('stage:failed', 'c', { error: 'boom' }),
      ev('undo:started', 'c'),
      ev('undo:finished', 'c', { done: true, detail: 'restored v1.0.0' }),
      ev('undo:started', 'b'),
      ev('undo:finished', 'b', { done: false, detail: 'nothing to undo' }),
      ev('undo:started', 'a'),
      ev('undo:failed', 'a', { error: 'no' }),
    ]);
    expect(state.stages.get('c')).toMatchObject({ undoStarted: true, undoFinished: true, undoDone: true, undoFailed: false });
    expect(state.stages.get('b')).toMatchObject({ undoStarted: true, undoFinished: true, undoDone: false, undoFailed: false });
    expect(state.stages.get('a')).toMatchObject({ undoStarted: true, undoFinished: false, undoDone: false, undoFailed: true });
  });

  it('is finished only once deploy:finished is journaled', () => {
    const events = [started(['a']), ev('stage:started', 'a'), ev('stage:finished', 'a')];
    expect(deriveSagaState(events).finished).toBe(false);
    expect(deriveSagaState([...events, ev('deploy:finished', null, { status: 'succeeded' })]).finished).toBe(true);
  });

  it('the last deploy:started wins, and events of stages outside the plan are still folded', () => {
    const state = deriveSagaState([started(['a']), started(['a', 'b']), ev('stage:started', 'x')]);
    expect(state.plan).toEqual(['a', 'b']);
    expect(state.stages.get('x')?.started).toBe(true);
  });
});

describe('stagesToUndo', () => {
  it('lists the begun stages (finished, failed or interrupted), newest first', () => {
    const state = deriveSagaState([
      started(),
      ev('stage:started', 'gates'),
      ev('stage:finished', 'gates'),
      ev('stage:started', 'build'),
      ev('stage:finished', 'build'),
      ev('stage:started', 'deploy'),
    ]);
    expect(stagesToUndo(state)).toEqual(['deploy', 'build', 'gates']);
  });

  it('leaves out stages whose undo finished (done or not) but keeps failed and interrupted undos', () => {
    const state = deriveSagaState([
      started(['a', 'b', 'c', 'd']),
      ...['a', 'b', 'c', 'd'].flatMap((s) => [ev('stage:started', s), ev('stage:finished', s)]),
      ev('undo:started', 'd'),
      ev('undo:finished', 'd', { done: true }),
      ev('undo:started', 'c'),
      ev('undo:finished', 'c', { done: false }),
      ev('undo:started', 'b'),
      ev('undo:failed', 'b', { error: 'x' }),
    ]);
    expect(stagesToUndo(state)).toEqual(['b', 'a']);
    const interrupted = deriveSagaState([started(['a', 'b']), ev('stage:started', 'a'), ev('stage:finished', 'a'), ev('stage:started', 'b'), ev('undo:started', 'b')]);
    expect(stagesToUndo(interrupted)).toEqual(['b', 'a']);
  });

  it('is empty before anything began', () => {
    expect(stagesToUndo(deriveSagaState([started()]))).toEqual([]);
    expect(stagesToUndo(deriveSagaState([]))).toEqual([]);
  });
});

describe('firstUnfinished', () => {
  it('is where a resume starts: the first stage that has not finished', () => {
    expect(firstUnfinished(deriveSagaState([started()]))).toBe(0);
    const mid = deriveSagaState([started(), ev('stage:started', 'gates'), ev('stage:finished', 'gates'), ev('stage:started', 'build')]);
    expect(firstUnfinished(mid)).toBe(1);
    const failed = deriveSagaState([started(), ev('stage:started', 'gates'), ev('stage:finished', 'gates'), ev('stage:started', 'build'), ev('stage:failed', 'build', { error: 'x' })]);
    expect(firstUnfinished(failed)).toBe(1);
  });

  it('is the plan length when every stage finished (and 0 for an empty plan)', () => {
    const all = deriveSagaState([started(), ...PLAN.flatMap((s) => [ev('stage:started', s), ev('stage:finished', s)])]);
    expect(firstUnfinished(all)).toBe(PLAN.length);
    expect(firstUnfinished(deriveSagaState([]))).toBe(0);
  });
});

describe('isUndoUnderway', () => {
  it('is true once any undo started, whatever became of it', () => {
    const base = [started(['a', 'b']), ev('stage:started', 'a'), ev('stage:finished', 'a'), ev('stage:started', 'b'), ev('stage:failed', 'b', { error: 'x' })];
    expect(isUndoUnderway(deriveSagaState(base))).toBe(false);
    expect(isUndoUnderway(deriveSagaState([...base, ev('undo:started', 'b')]))).toBe(true);
    expect(isUndoUnderway(deriveSagaState([...base, ev('undo:started', 'b'), ev('undo:finished', 'b', { done: true })]))).toBe(true);
  });
});

/** A well-formed journal: stages run in order until one fails or the run stops; then begun stages are undone newest first. */
function wellFormedJournal(plan: string[], ranTo: number, failsThere: boolean, undoOutcomes: ('done' | 'nothing' | 'fail' | 'cut')[]): EventRow[] {
  const events: EventRow[] = [started(plan)];
  const begun: string[] = [];
  for (let i = 0; i < plan.length && i <= ranTo; i++) {
    const s = plan[i]!;
    events.push(ev('stage:started', s));
    begun.push(s);
    if (i === ranTo && failsThere) {
      events.push(ev('stage:failed', s, { error: 'boom' }));
      break;
    }
    if (i === ranTo) break; // interrupted while running
    events.push(ev('stage:finished', s, { output: { i } }));
  }
  const undone = [...begun].reverse();
  for (let k = 0; k < undone.length; k++) {
    const s = undone[k]!;
    const outcome = undoOutcomes[k % undoOutcomes.length] ?? 'done';
    events.push(ev('undo:started', s));
    if (outcome === 'cut') break;
    if (outcome === 'fail') {
      events.push(ev('undo:failed', s, { error: 'nope' }));
      break;
    }
    events.push(ev('undo:finished', s, { done: outcome === 'done' }));
  }
  events.push(ev('deploy:finished', null, { status: 'rolled_back' }));
  return events;
}

describe('property: stagesToUndo over any prefix of a well-formed journal', () => {
  const journal = fc
    .uniqueArray(fc.constantFrom<string>('gates', 'build', 'migrate', 'deploy', 'verify', 'smoke', 'notify'), { minLength: 1, maxLength: 7 })
    .chain((plan) =>
      fc.record({
        plan: fc.constant(plan),
        ranTo: fc.integer({ min: 0, max: plan.length - 1 }),
        failsThere: fc.boolean(),
        undo: fc.array(fc.constantFrom<'done' | 'nothing' | 'fail' | 'cut'>('done', 'nothing', 'fail', 'cut'), { minLength: 1, maxLength: 8 }),
      }),
    )
    .chain((j) => {
      const events = wellFormedJournal(j.plan, j.ranTo, j.failsThere, j.undo);
      return fc.record({ plan: fc.constant(j.plan), events: fc.constant(events), cut: fc.integer({ min: 0, max: events.length }) });
    });

  it('is the started stages whose undo did not finish, in reverse plan order', () => {
    fc.assert(
      fc.property(journal, ({ plan, events, cut }) => {
        const prefix = events.slice(0, cut);
        const result = stagesToUndo(deriveSagaState(prefix));
        const hasDeployStarted = prefix.some((e) => e.type === 'deploy:started');
        const begun = new Set(prefix.filter((e) => e.type === 'stage:started').map((e) => e.stage));
        const undoFinished = new Set(prefix.filter((e) => e.type === 'undo:finished').map((e) => e.stage));
        const expected = new Set([...begun].filter((s) => !undoFinished.has(s)));
        // exactly the started stages whose undo did not finish
        expect(new Set(result)).toEqual(hasDeployStarted ? expected : new Set());
        expect(result.length).toBe(new Set(result).size);
        // a subset of the plan, in reverse plan order
        const positions = result.map((s) => plan.indexOf(s));
        expect(positions.every((p) => p >= 0)).toBe(true);
        expect(positions).toEqual([...positions].sort((a, b) => b - a));
      }),
      { numRuns: 500 },
    );
  });
});
