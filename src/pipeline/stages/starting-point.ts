import { deriveSagaState } from '../saga-state.js';
import type { StageContext } from '../stage.js';

/** What the target ran before a deploy or rollback stage moved anything. */
export interface StartingPoint {
  /** The version the target itself served (most of the traffic), or null for nothing. */
  startedFrom: string | null;
}

/**
 * Pure: where an undo returns to. The target's own word beats the store's: the
 * store can be lost, replaced by an older copy, or simply wrong (a dead-man
 * revert, a manual switch). When the target served nothing, the store's previous
 * version is still better than leaving the failed one in place.
 */
export function undoTarget(previousVersion: string | null, output: Record<string, unknown> | null): string | null {
  const from = output?.startedFrom;
  return typeof from === 'string' ? from : previousVersion;
}

/** Pure: the warning when the target and the store disagree about what was live; null when they agree. */
export function disagreementWarning(storePrevious: string | null, startedFrom: string | null, environment: string): string | null {
  if (startedFrom === null || startedFrom === storePrevious) return null;
  const store = storePrevious === null ? 'the store knows no live version' : `the store says ${storePrevious} was live`;
  return `${store} in ${environment}, but the target served ${startedFrom}: ${startedFrom} is taken as the previous version (an undo returns to it)`;
}

/**
 * Asks the provider what the target serves, journals it before anything moves
 * (so an undo after a crash reads it from the journal), and says so when the
 * store disagrees: the deployment's previous version becomes the target's, so
 * the record and a later `shipgate rollback` tell the truth too. A resumed run
 * keeps what the first run noted. Undefined when the provider cannot tell.
 */
export async function noteStartingPoint(ctx: StageContext): Promise<StartingPoint | undefined> {
  if (!ctx.provider.currentVersion) return undefined;
  const noted = deriveSagaState(await ctx.store.listEvents(ctx.facts.id)).stages.get(ctx.stage)?.output?.startedFrom;
  if (noted !== undefined) return { startedFrom: typeof noted === 'string' ? noted : null };
  const startedFrom = await ctx.provider.currentVersion(ctx);
  await ctx.journal.append('stage:noted', { deploymentId: ctx.facts.id, stage: ctx.stage, output: { startedFrom } });
  const warning = disagreementWarning(ctx.facts.previousVersion, startedFrom, ctx.facts.environment);
  if (warning) {
    await ctx.journal.append('deploy:warning', { deploymentId: ctx.facts.id, message: warning });
    await ctx.store.updateDeployment(ctx.facts.id, { previousVersion: startedFrom });
  }
  return { startedFrom };
}
