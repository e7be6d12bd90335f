import { Cancelled, DeadlineExceeded, StageFailed } from '../errors.js';
import { abortReason as abortError } from '../runtime/clock.js';
import { capLine } from '../runtime/line-splitter.js';
import { describeRunFailure, type Runner } from '../runtime/process.js';
import { deriveSagaState } from './saga-state.js';
import type { ExecOptions, StageContext } from './stage.js';

export const OUTPUT_FLUSH_LINES = 50;
export const OUTPUT_FLUSH_MS = 1000;
/** Lines of one step's output kept in the journal; the rest are counted. */
export const MAX_JOURNALED_LINES = 2000;
/** Characters of one journaled line; a longer line is cut, with a marker naming the bytes cut. */
export const MAX_JOURNALED_LINE_CHARS = 16 * 1024;
const TAIL_LINES = 5;

export type BaseContext = Omit<StageContext, 'stage' | 'step' | 'exec' | 'note' | 'outputOf'>;

/**
 * Every command a stage runs journals its process group before it runs, so that
 * if this process dies, the next command can end what it left running.
 */
function trackedRunner(base: BaseContext, stage: string): Runner {
  return (req) =>
    base.run({
      ...req,
      onSpawn: async (group) => {
        await base.journal.append('process:started', { deploymentId: base.facts.id, stage, pgid: group.pgid, start: group.start, command: base.masker.mask(req.argv.join(' ')) });
        await req.onSpawn?.(group);
      },
    });
}

/** Gives a stage its `step` and `exec`, both journaled before and after, and a runner that journals process groups. */
export function forStage(base: BaseContext, stage: string): StageContext {
  const ctx: StageContext = {
    ...base,
    run: trackedRunner(base, stage),
    stage,
    async step<T>(name: string, fn: () => Promise<T>, detail?: string): Promise<T> {
      if (base.signal.aborted) throw abortError(base.signal);
      const started = base.clock.now();
      const id = base.facts.id;
      await base.journal.append('step:started', { deploymentId: id, stage, step: name, ...(detail ? { detail } : {}) });
      try {
        const result = await fn();
        await base.journal.append('step:finished', { deploymentId: id, stage, step: name, durationMs: base.clock.now() - started, ...(detail ? { detail } : {}) });
        return result;
      } catch (err) {
        await base.journal.append('step:failed', { deploymentId: id, stage, step: name, durationMs: base.clock.now() - started, error: base.masker.mask((err as Error).message) });
        throw err;
      }
    },
    exec: (step, opts) => ctx.step(step, () => execCommand(ctx, step, opts), base.masker.mask(opts.argv.join(' '))),
    note: (output) => base.journal.append('stage:noted', { deploymentId: base.facts.id, stage, output }),
    outputOf: async (name) => deriveSagaState(await base.store.listEvents(base.facts.id)).stages.get(name)?.output ?? null,
  };
  return ctx;
}



/** Runs a command, journaling its output in batches; throws StageFailed with the output's tail. */
async function execCommand(ctx: StageContext, step: string, opts: ExecOptions): Promise<void> {
  const pending: { stream: 'stdout' | 'stderr'; text: string }[] = [];
  const tail: string[] = [];
  let journaledLines = 0;
  let dropped = 0;
  // The store retries each write; if it gives up, the command is stopped (its output can no longer be kept) and the run ends as interrupted.
  let lost: unknown = null;
  const storeLost = new AbortController();
  let writes: Promise<void> = Promise.resolve();
  const flush = (): void => {
    if (pending.length === 0 || lost !== null) return;
    const lines = pending.splice(0, pending.length);
    writes = writes
      .then(() => ctx.journal.append('step:output', { deploymentId: ctx.facts.id, stage: ctx.stage, step, lines }))
      .catch((err: unknown) => {
        lost ??= err;
        storeLost.abort(err);
      });
  };
  const timer = setInterval(flush, OUTPUT_FLUSH_MS);
  timer.unref();
  const onLine = (line: string, stream: 'stdout' | 'stderr'): void => {
    // Masked before it is cut, so a cut never leaves half a secret behind.
    const text = capLine(ctx.masker.mask(line), MAX_JOURNALED_LINE_CHARS);
    tail.push(text);
    if (tail.length > TAIL_LINES) tail.shift();
    if (journaledLines >= MAX_JOURNALED_LINES) return void dropped++;
    journaledLines++;
    pending.push({ stream, text });
    if (pending.length >= OUTPUT_FLUSH_LINES) flush();
  };
  let result;
  try {
    result = await ctx.run({ argv: opts.argv, env: opts.env, cwd: opts.cwd, timeoutMs: opts.timeoutMs, signal: AbortSignal.any([ctx.killSignal, storeLost.signal]), onLine });
  } finally {
    clearInterval(timer);
    if (dropped > 0) pending.push({ stream: 'stderr', text: `[shipgate] ${dropped} more line(s) not journaled` });
    flush();
    await writes;
  }
  if (lost !== null) throw lost;
  if (result.exitCode === 0) return;
  if (result.cancelled) {
    // Killed because the deployment ran past its deadline, or by a second interrupt.
    const reason: unknown = ctx.killSignal.reason;
    throw reason instanceof DeadlineExceeded ? reason : new Cancelled(`${step} was killed by a second interrupt`);
  }
  const last = tail.length > 0 ? `; last output: ${ctx.masker.mask(tail.join(' | '))}` : '';
  throw new StageFailed(ctx.stage, `${step}: ${ctx.masker.mask(opts.argv.join(' '))} ${describeRunFailure(result, opts.timeoutMs)}${last}`);
}
