import type { EventRow } from '../store/contract.js';

/** Where each stage of a deployment got to, derived from its journal alone. */
export interface StageState {
  name: string;
  started: boolean;
  finished: boolean;
  failed: boolean;
  undoStarted: boolean;
  undoFinished: boolean;
  /** The undo changed something (false: there was nothing to undo). */
  undoDone: boolean;
  undoFailed: boolean;
  startedAt: string | null;
  finishedAt: string | null;
  output: Record<string, unknown> | null;
  error: string | null;
}

export interface SagaState {
  /** Stage names in plan order (from deploy:started). */
  plan: string[];
  stages: Map<string, StageState>;
  finished: boolean;
}

function blank(name: string): StageState {
  return { name, started: false, finished: false, failed: false, undoStarted: false, undoFinished: false, undoDone: false, undoFailed: false, startedAt: null, finishedAt: null, output: null, error: null };
}

/** What a stage noted while it ran, overlaid by what it returned; null when neither said anything. */
function mergeOutput(noted: Record<string, unknown> | null, more: unknown): Record<string, unknown> | null {
  const extra = more && typeof more === 'object' ? (more as Record<string, unknown>) : null;
  if (!noted) return extra;
  return extra ? { ...noted, ...extra } : noted;
}

/** Pure: folds journal events into per-stage state. */
export function deriveSagaState(events: readonly EventRow[]): SagaState {
  const stages = new Map<string, StageState>();
  let plan: string[] = [];
  let finished = false;
  const get = (name: string): StageState => {
    let s = stages.get(name);
    if (!s) stages.set(name, (s = blank(name)));
    return s;
  };
  for (const e of events) {
    if (e.type === 'deploy:started') plan = (e.data.stages as string[] | undefined) ?? [];
    if (e.type === 'deploy:finished') finished = true;
    if (!e.stage) continue;
    const s = get(e.stage);
    switch (e.type) {
      case 'stage:started':
        Object.assign(s, { started: true, startedAt: e.at });
        break;
      case 'stage:noted':
        s.output = mergeOutput(s.output, e.data.output);
        break;
      case 'stage:finished':
        Object.assign(s, { finished: true, finishedAt: e.at, output: mergeOutput(s.output, e.data.output) });
        break;
      case 'stage:failed':
        Object.assign(s, { failed: true, finishedAt: e.at, error: String(e.data.error ?? ''), output: mergeOutput(s.output, e.data.output) });
        break;
      case 'undo:started':
        s.undoStarted = true;
        break;
      case 'undo:finished':
        s.undoFinished = true;
        s.undoDone = e.data.done === true;
        break;
      case 'undo:failed':
        s.undoFailed = true;
        break;
    }
  }
  for (const name of plan) get(name);
  return { plan, stages, finished };
}

/** Stages that began (finished, failed or interrupted) and whose undo has not completed, newest first. */
export function stagesToUndo(state: SagaState): string[] {
  return state.plan.filter((n) => {
    const s = state.stages.get(n)!;
    return s.started && !s.undoFinished;
  }).reverse();
}

/** The first stage that has not finished: where a resume starts. */
export function firstUnfinished(state: SagaState): number {
  const i = state.plan.findIndex((n) => !state.stages.get(n)!.finished);
  return i === -1 ? state.plan.length : i;
}

export function isUndoUnderway(state: SagaState): boolean {
  return [...state.stages.values()].some((s) => s.undoStarted);
}
