import { deriveSagaState } from '../../pipeline/saga-state.js';
import type { StageContext } from '../../pipeline/stage.js';
import type { FlyClient, FlyMachine, FlyMachineConfig } from './client.js';
import type { FlyRelease } from './deploy.js';
import { LEASE_PREFIX } from './fleet.js';
import { versionOf } from './machine-config.js';

/** How many of the environment's past deployments are searched for a release's image and config. */
const RELEASE_SEARCH_LIMIT = 50;

/** Pure: the Fly.io part of a deploy stage's output, if it has one. */
export function flyOutput(output: Record<string, unknown> | null | undefined): { previous?: FlyRelease; release?: FlyRelease } | null {
  const fly = output?.fly;
  return fly !== null && typeof fly === 'object' ? (fly as { previous?: FlyRelease; release?: FlyRelease }) : null;
}

/**
 * The image and config `version` ran with, as the store kept them: this
 * deployment's noted starting point (an undo), else the release of the newest
 * deployment of `version` in this environment (a rollback to a kept release).
 */
export async function releaseConfigOf(ctx: StageContext, version: string): Promise<FlyMachineConfig | null> {
  for (const stage of ['deploy', 'rollback']) {
    const own = flyOutput(await ctx.outputOf(stage));
    if (own?.previous?.version === version && own.previous.config) return own.previous.config;
  }
  const past = await ctx.store.listDeployments({ app: ctx.facts.app, environment: ctx.facts.environment, limit: RELEASE_SEARCH_LIMIT });
  for (const d of past) {
    if (d.id === ctx.facts.id) continue;
    const stages = deriveSagaState(await ctx.store.listEvents(d.id)).stages;
    for (const stage of ['deploy', 'rollback']) {
      const fly = flyOutput(stages.get(stage)?.output);
      if (fly?.release?.version === version && fly.release.config) return fly.release.config;
      if (fly?.previous?.version === version && fly.previous.config) return fly.previous.config;
    }
  }
  return null;
}

/**
 * Leases a shipgate process took and never released (it was killed): the store's
 * lock says no other shipgate run holds this environment now, so they are its
 * own to clear, as `flyctl machine leases clear` does. Returns the machines cleared.
 */
export async function clearStaleLeases(client: FlyClient, machines: readonly FlyMachine[]): Promise<string[]> {
  const cleared: string[] = [];
  for (const m of machines) {
    if (m.state === 'destroyed') continue;
    const lease = await client.showLease(m.id);
    if (!lease?.description?.startsWith(LEASE_PREFIX)) continue;
    await client.releaseLease(m.id, lease.nonce);
    cleared.push(m.id);
  }
  return cleared;
}

/** Pure: machines of `version` among the given ones. */
export function machinesOf(machines: readonly FlyMachine[], version: string): FlyMachine[] {
  return machines.filter((m) => versionOf(m) === version);
}
