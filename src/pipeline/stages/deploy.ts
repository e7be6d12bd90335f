import { probeTarget } from '../../health/probe.js';
import { StageFailed } from '../../errors.js';
import type { Stage, StageContext, UndoOutcome } from '../stage.js';
import { noteStartingPoint, undoTarget } from './starting-point.js';

/** After a switch, the provider's health target must answer healthy. */
export async function verifyHealth(ctx: StageContext, step: string): Promise<Record<string, unknown> | undefined> {
  const target = ctx.provider.health;
  if (!target) return undefined;
  const result = await ctx.step(step, () => probeTarget(target, { http: ctx.http, clock: ctx.clock, signal: ctx.signal }), ctx.masker.mask(target.url));
  if (!result.healthy) throw new StageFailed(ctx.stage, ctx.masker.mask(result.reason));
  return { url: ctx.masker.mask(result.url), status: result.status, attempts: result.attempts };
}

async function restore(ctx: StageContext, to: string | null, from: string): Promise<UndoOutcome> {
  if (to === null) return { done: false, detail: `first deployment of ${ctx.facts.app}/${ctx.facts.environment}: nothing to roll back to` };
  await ctx.provider.rollback(ctx, to, from);
  await verifyHealth(ctx, 'verify-restored');
  return { done: true, detail: `restored ${to}` };
}

/** Switches the target to the new version through the provider. Undo returns to what the target ran before (or the store's previous version). */
export function createDeployStage(): Stage {
  return {
    name: 'deploy',
    plan: (ctx) => [
      ...ctx.provider.planDeploy(ctx).map((command) => ({ step: 'deploy', detail: `deploy ${ctx.facts.version}`, command })),
      ...(ctx.facts.previousVersion
        ? ctx.provider.planRollback(ctx, ctx.facts.previousVersion, ctx.facts.version).map((command) => ({ step: 'undo', detail: `on failure: roll back to ${ctx.facts.previousVersion}`, command }))
        : []),
    ],
    async run(ctx) {
      const start = await noteStartingPoint(ctx);
      const output = await ctx.provider.deploy(ctx, start);
      return { version: ctx.facts.version, ...(start ?? {}), ...(output ?? {}) };
    },
    undo: (ctx, output) => restore(ctx, undoTarget(ctx.facts.previousVersion, output), ctx.facts.version),
  };
}

/** A rollback deployment: switches back to `version` (the target). Undo returns to what was live. */
export function createRollbackStage(): Stage {
  return {
    name: 'rollback',
    plan: (ctx) => ctx.provider.planRollback(ctx, ctx.facts.version, ctx.facts.previousVersion).map((command) => ({ step: 'rollback', detail: `roll back to ${ctx.facts.version}`, command })),
    async run(ctx) {
      const start = await noteStartingPoint(ctx);
      await ctx.provider.rollback(ctx, ctx.facts.version, start ? start.startedFrom : ctx.facts.previousVersion);
      return { version: ctx.facts.version, ...(start ?? {}) };
    },
    undo: (ctx, output) => restore(ctx, undoTarget(ctx.facts.previousVersion, output), ctx.facts.version),
  };
}

/** Checks the provider's health target after the switch. */
export function createVerifyStage(): Stage {
  return {
    name: 'verify',
    plan: (ctx) => (ctx.provider.health ? [{ step: 'health', detail: `GET ${ctx.masker.mask(ctx.provider.health.url)} until healthy (${ctx.provider.health.retries + 1} attempts)` }] : []),
    async run(ctx) {
      return { health: (await verifyHealth(ctx, 'health')) ?? null };
    },
  };
}
