import { StageFailed } from '../errors.js';
import type { Stage } from './stage.js';

/**
 * Typed stage outputs. What a stage returns is checked against its schema before
 * it is journaled (a stage that returns the wrong shape fails there, instead of
 * leaving an undo that cannot read it), and what an undo reads back from the
 * journal is checked again: it may come from a run that crashed, or from another
 * version of shipgate.
 */

function issuesText(stage: Stage, value: unknown): string | null {
  const r = stage.output!.safeParse(value);
  if (r.success) return null;
  return r.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(output)'}: ${i.message}`).join('; ');
}

/** The output to journal; throws StageFailed when it does not match the stage's schema. */
export function checkedOutput(stage: Stage, output: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!stage.output || output === undefined) return output;
  const problem = issuesText(stage, output);
  if (problem) throw new StageFailed(stage.name, `its output does not match its schema (${problem})`);
  return stage.output.parse(output);
}

/** The journaled output an undo gets; throws when it is there but not what this version expects (a human must look). */
export function journaledOutput(stage: Stage, output: Record<string, unknown> | null): Record<string, unknown> | null {
  if (!stage.output || output === null) return output;
  const problem = issuesText(stage, output);
  if (problem) throw new StageFailed(stage.name, `the journaled output of stage "${stage.name}" is not what this version of shipgate can undo from (${problem}); undo it by hand`);
  return stage.output.parse(output);
}
