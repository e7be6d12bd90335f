import type { JournaledEvent } from '../../pipeline/events.js';
import { humanDuration } from '../../config/duration.js';
import { describeEvent, weightsText } from './describe-event.js';

/**
 * What the live view shows under a running stage: the rollout steps that ended,
 * then one slot each for the step under way, the weights in effect, the last
 * analysis verdict, a notice (pause, command, cancel) and the last output line.
 * Pure: the live renderer folds lifecycle events into it and prints its lines.
 */
export interface StageView {
  /** Ended rollout steps, oldest first (`rollout canary healthy after 2s`). */
  history: string[];
  step: string | null;
  weights: string | null;
  verdict: string | null;
  note: string | null;
  output: string | null;
}

export type StagePhase = 'running' | 'finished' | 'failed';

export const EMPTY_STAGE_VIEW: StageView = { history: [], step: null, weights: null, verdict: null, note: null, output: null };

/** The stage an event belongs to; gate events belong to `gates`. Null for events of the whole deployment. */
export function stageOf(e: JournaledEvent): string | null {
  if (e.type === 'gate:evaluated' || e.type === 'gate:waiting' || e.type === 'approval:added') return 'gates';
  if (e.type === 'stage:started' || e.type === 'stage:finished' || e.type === 'stage:failed' || e.type.startsWith('undo:')) return null;
  return 'stage' in e ? e.stage : null;
}

/** Pure: the view after `e`, or null when the view does not show `e` (it is then printed as a line of its own). */
export function foldStageView(v: StageView, e: JournaledEvent): StageView | null {
  switch (e.type) {
    case 'gate:evaluated':
      return { ...v, step: describeEvent(e, true) };
    case 'gate:waiting':
    case 'approval:added':
    case 'rollout:paused':
    case 'rollout:resumed':
    case 'rollout:command':
    case 'rollout:requested':
    case 'cancel:requested':
    case 'step:failed':
      return { ...v, note: describeEvent(e, true)!.trim() };
    case 'step:started':
      return { ...v, step: describeEvent(e, true)!.trim(), output: null };
    case 'step:finished':
      return v;
    case 'step:output':
      return { ...v, output: lastOutputLine(e) ?? v.output };
    case 'rollout:step':
      if (e.status !== 'started') return { ...v, history: [...v.history, stepEnded(e)], step: null, note: null };
      return { ...v, step: `rollout ${e.step}: ${e.trafficPercentage}% to the new version`, weights: `weights ${weightsText(e.weights)}`, verdict: null, note: null };
    case 'rollout:weights':
      // A revert's reason is the stage's error, which the view shows already.
      return { ...v, weights: `weights ${weightsText(e.weights)} (${e.reason.startsWith('revert') ? 'reverted' : e.reason})` };
    case 'rollout:evaluation':
      return { ...v, verdict: describeEvent(e, true) };
    default:
      return null;
  }
}

/** Pure: the lines under a stage. A finished stage keeps only its rollout steps; a failed one keeps everything, for the why. */
export function stageViewLines(v: StageView, phase: StagePhase): string[] {
  if (phase === 'finished') return v.history;
  return [...v.history, v.step, v.weights, v.verdict, v.note, v.output].filter((l): l is string => l !== null && l !== '');
}

/** `rollout canary at 5%: healthy after 2s`: a step that ended, with its share (the CI line leaves the share to the step's start). */
function stepEnded(e: Extract<JournaledEvent, { type: 'rollout:step' }>): string {
  return `rollout ${e.step} at ${e.trafficPercentage}%: ${e.status === 'finished' ? 'healthy' : 'FAILED'} after ${humanDuration(e.durationMs)}`;
}

function lastOutputLine(e: Extract<JournaledEvent, { type: 'step:output' }>): string | null {
  const last = e.lines.at(-1);
  return last ? `│ ${last.text}` : null;
}
