import { toMs } from '../../config/duration.js';
import { toArgv, type CommandCheckSchema } from '../../config/schema/index.js';
import { describeRunFailure, type Runner } from '../../runtime/process.js';
import type { z } from 'zod';
import { cancellationError, isCancellation } from '../cancellation.js';

export type CommandCheck = z.infer<typeof CommandCheckSchema>;

/** How many trailing output lines of a failed command are kept for the result. */
export const DEFAULT_COMMAND_CHECK_TAIL_LINES = 5;
const MAX_LINE_CHARS = 300;

export interface CommandCheckOutcome {
  name: string;
  ok: boolean;
  /** `success`, or what went wrong: `exited with code 1`, `timed out after 300s and was killed`... */
  state: string;
  durationMs: number;
  /** Last lines of output (masked), for a failed command. */
  tail: string[];
}

export interface CommandCheckDeps {
  run: Runner;
  signal?: AbortSignal;
  mask: (text: string) => string;
}

/** Runs one command check; exit 0 passes. Never throws except for cancellation. */
export async function runCommandCheck(check: CommandCheck, deps: CommandCheckDeps): Promise<CommandCheckOutcome> {
  const timeoutMs = toMs(check.timeout);
  const tail: string[] = [];
  const keep = (line: string): void => {
    if (line.trim() === '') return;
    tail.push(deps.mask(line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line));
    if (tail.length > DEFAULT_COMMAND_CHECK_TAIL_LINES) tail.shift();
  };
  try {
    const r = await deps.run({ argv: toArgv(check.run), timeoutMs, signal: deps.signal, onLine: keep });
    if (r.cancelled || deps.signal?.aborted) throw cancellationError(null, deps.signal);
    const ok = r.exitCode === 0 && !r.timedOut && !r.spawnError && !r.signal;
    return { name: check.name, ok, state: ok ? 'success' : describeRunFailure(r, timeoutMs), durationMs: Math.round(r.durationMs), tail: ok ? [] : tail };
  } catch (err) {
    if (isCancellation(err, deps.signal)) throw cancellationError(err, deps.signal);
    return { name: check.name, ok: false, state: `could not run: ${deps.mask((err as Error).message)}`, durationMs: 0, tail };
  }
}

/** `lint (exited with code 1: "src/a.ts: 3 problems")`. */
export function describeCommandFailure(o: CommandCheckOutcome): string {
  const last = o.tail.at(-1);
  return `${o.name} (${o.state}${last ? `: ${JSON.stringify(last)}` : ''})`;
}
