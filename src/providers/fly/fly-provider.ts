import { CAPABILITIES } from '../capabilities.js';
import { toMs } from '../../config/duration.js';
import type { FlyProviderConfig, RolloutConfig } from '../../config/schema/index.js';
import { FLY_TOKEN_ENV } from '../../config/schema/fly.js';
import { StageFailed, UsageError } from '../../errors.js';
import type { StageContext } from '../../pipeline/stage.js';
import type { Provider } from '../contract.js';
import { DEFAULT_ROLLOUT } from '../local/defaults.js';
import { FlyApiError, FlyClient, type FlyMachine } from './client.js';
import { currentRelease, FlyDeploy, staleStandby, type FlyOutcome, type FlyRelease } from './deploy.js';
import { Fleet } from './fleet.js';
import { appMachines, imageFor, isReady, machineConfig, majorityVersion, releaseMachineConfig, STANDBY_KEY, versionOf } from './machine-config.js';
import { prometheusMetrics } from './prometheus.js';
import { directProbeFor } from './probe.js';
import { runReleaseCommand } from './release.js';
import { StoreRolloutSession } from '../../rollout/store-session.js';
import { clearStaleLeases, flyOutput, machinesOf, releaseConfigOf } from './rollback.js';

export { FLY_TOKEN_ENV };

/** How often a watched step looks for a person's commands (`shipgate promote|abort|pause|resume`) in the store. */
export const SESSION_POLL_MS = 500;

/** Noted in the stage output once the deploy begins changing machines. */
const TOUCHED_KEY = 'flyMachinesChanged';

export interface FlyProviderOptions {
  /** Where FLY_API_TOKEN is read. @default process.env */
  env?: NodeJS.ProcessEnv;
}

/** Summary of a Fly.io rollout for the stage output (and so for the record). */
export function flySummary(o: FlyOutcome, previous: FlyRelease, release: FlyRelease): Record<string, unknown> {
  return {
    fly: { previous, release },
    rollout: {
      strategy: o.plan.strategy,
      status: o.status,
      reason: o.reason,
      steps: o.steps,
      notes: o.plan.notes,
      revertedAt: o.revertedAt === null ? null : new Date(o.revertedAt).toISOString(),
      evaluations: o.evaluations.length,
    },
  };
}

export function createFlyProvider(cfg: FlyProviderConfig, rolloutCfg: RolloutConfig | undefined, opts: FlyProviderOptions = {}): Provider {
  const rollout = rolloutCfg ?? DEFAULT_ROLLOUT;
  const env = opts.env ?? process.env;
  const token = (): string => {
    const value = env[FLY_TOKEN_ENV];
    if (!value) throw new UsageError(`provider type fly needs a Machines API token in ${FLY_TOKEN_ENV} (flyctl tokens create deploy -a ${cfg.app})`);
    return value;
  };
  const clientFor = (ctx: StageContext): FlyClient =>
    new FlyClient({
      apiUrl: cfg.apiUrl,
      app: cfg.app,
      token: token(),
      http: ctx.http,
      clock: ctx.clock,
      signal: ctx.signal,
      onRetry: async (operation, status, waitMs, error) => {
        const what = status === 0 ? `got no answer (${error ?? 'network error'})` : `answered ${status}`;
        await ctx.journal.append('step:output', { deploymentId: ctx.facts.id, stage: ctx.stage, step: 'fly-api', lines: [{ stream: 'stderr', text: `${operation} ${what}: retrying in ${waitMs} ms` }] });
      },
    });
  const fleetFor = (ctx: StageContext, client: FlyClient): Fleet => new Fleet(client, ctx.clock, { deploymentId: ctx.facts.id, waitMs: toMs(cfg.wait), signal: ctx.signal });

  /** The release command, in a throwaway machine of the new image, before any machine changes. */
  const release = async (ctx: StageContext, client: FlyClient, previous: FlyRelease, next: FlyRelease): Promise<void> => {
    if (!cfg.releaseCommand) return;
    const config = releaseMachineConfig(cfg, ctx.facts.version, cfg.env ?? {});
    const result = await ctx.step('release_command', () => runReleaseCommand(client, ctx.clock, config, cfg.regions[0]!, toMs(cfg.releaseTimeout)), `run the release command in a throwaway machine of ${config.image}`);
    if (result.exitCode === 0) return;
    if (result.exitCode === null) await client.destroy(result.machineId).catch(() => undefined);
    const why = result.exitCode === null ? `did not finish within ${cfg.releaseTimeout}` : `exited ${result.exitCode}`;
    throw new StageFailed(ctx.stage, `the release command ${why} (machine ${result.machineId}); no app machine was changed`, { output: { fly: { previous, release: next } } });
  };

  return {
    type: 'fly',
    capabilities: CAPABILITIES.fly!,
    health: cfg.health,
    planDeploy: () => [],
    planRollback: () => [],

    async preflight() {
      token();
    },

    async currentVersion(ctx) {
      return majorityVersion(appMachines(await clientFor(ctx).list()));
    },

    async deploy(ctx) {
      const client = clientFor(ctx);
      const all = await client.list();
      const previous = currentRelease(all);
      const next: FlyRelease = { version: ctx.facts.version, image: imageFor(cfg, ctx.facts.version), config: machineConfig(cfg, ctx.facts.version, cfg.env ?? {}), machineIds: [] };
      // Noted before anything changes: an undo after a crash returns the machines to `previous`.
      await ctx.note({ fly: { previous, release: next } });
      await release(ctx, client, previous, next);
      // From here machines change: an undo has work to do.
      await ctx.note({ [TOUCHED_KEY]: true });
      const fleet = fleetFor(ctx, client);
      try {
        for (const m of staleStandby(all)) await destroyKept(fleet, m.id);
        const metrics = cfg.metrics ? prometheusMetrics(cfg.metrics, ctx.http, () => ctx.clock.now(), { minRequests: rollout.analysis.minRequests, signal: ctx.signal }) : null;
        const emit = (type: string, data: Record<string, unknown>): Promise<void> => ctx.journal.append(type as never, { deploymentId: ctx.facts.id, stage: ctx.stage, ...data } as never).then(() => undefined);
        const session = { rollout: new StoreRolloutSession(ctx.store, ctx.facts.id), id: ctx.facts.id, pollMs: SESSION_POLL_MS, emit };
        const deploy = new FlyDeploy({ fleet, clock: ctx.clock, cfg, rollout, version: ctx.facts.version, env: cfg.env ?? {}, metrics, probe: directProbeFor(cfg, ctx.facts.version, ctx), keepWarmMs: toMs(ctx.config.rollback.window), signal: ctx.signal, session, emit }, appMachines(all), previous);
        const outcome = await deploy.run();
        const summary = flySummary(outcome, previous, next);
        if (outcome.status === 'failed') throw new StageFailed(ctx.stage, outcome.reason ?? 'the rollout failed', { output: summary });
        return summary;
      } finally {
        await fleet.releaseAll();
      }
    },

    async rollback(ctx, to, from) {
      const client = clientFor(ctx);
      const all = await client.list();
      const cleared = await clearStaleLeases(client, all);
      if (cleared.length > 0) await ctx.step('leases', async () => undefined, `released the leases a stopped shipgate run left on ${cleared.join(', ')}`);
      const own = ctx.stage === 'deploy' && ctx.facts.version === from ? await ctx.outputOf(ctx.stage) : null;
      if (own !== null && own[TOUCHED_KEY] !== true) {
        await ctx.step('restore', async () => undefined, `no machine was changed by this deployment: ${to} still runs everywhere`);
        return;
      }
      const fleet = fleetFor(ctx, client);
      try {
        const standby = machinesOf(staleStandby(all), to);
        if (standby.length > 0) await ctx.step('switch', () => switchToStandby(fleet, standby, appMachines(all), to), `${to} is kept on ${standby.length} stopped machine(s): starting them and switching`);
        else await ctx.step('restore', () => restoreRelease(ctx, fleet, appMachines(all), to, from), `machines back to ${to}'s image and config`);
      } finally {
        await fleet.releaseAll();
      }
    },
  };

  /** Blue-green within the rollback window: blue started and uncordoned, then green cordoned and destroyed. */
  async function switchToStandby(fleet: Fleet, blue: FlyMachine[], others: FlyMachine[], to: string): Promise<void> {
    for (const m of blue) if (m.state !== 'started' && m.state !== 'starting') await fleet.start(m.id);
    await Promise.all(blue.map((m) => fleet.waitReady(m)));
    for (const m of blue) {
      await fleet.uncordon(m.id);
      await fleet.deleteMetadata(m.id, STANDBY_KEY);
    }
    for (const m of others.filter((x) => versionOf(x) !== to)) {
      await fleet.cordon(m.id);
      await fleet.destroy(m.id);
    }
  }

  /**
   * Every machine back on `to`'s image and config as the store kept them:
   * machines this deployment created are destroyed, the others updated; blue
   * machines a killed blue-green switch had stopped or cordoned come back.
   */
  async function restoreRelease(ctx: StageContext, fleet: Fleet, active: FlyMachine[], to: string, from: string | null): Promise<void> {
    const config = (await releaseConfigOf(ctx, to)) ?? machinesOf(active, to)[0]?.config ?? null;
    if (config === null) throw new StageFailed(ctx.stage, `the store keeps no image and config of ${to} for ${cfg.app}, and no machine runs it: deploy ${to} instead`);
    const noted = ctx.facts.version === from ? await previousOf(ctx) : null;
    const changed: FlyMachine[] = [];
    for (const m of active) {
      const createdByThisRun = noted !== null && noted.machineIds.length > 0 && !noted.machineIds.includes(m.id);
      if (createdByThisRun) await fleet.destroy(m.id);
      else if (versionOf(m) !== to || m.config.image !== config.image) changed.push(await fleet.update(m, config, { cordoned: false }));
      else if (!isReady(m)) {
        if (m.state === 'stopped') await fleet.start(m.id);
        await fleet.uncordon(m.id);
        changed.push(m);
      } else await fleet.uncordon(m.id);
    }
    await Promise.all(changed.map((m) => fleet.waitReady(m)));
  }
}

async function previousOf(ctx: StageContext): Promise<FlyRelease | null> {
  return flyOutput(await ctx.outputOf(ctx.stage))?.previous ?? null;
}

/**
 * A kept blue machine of an earlier release, destroyed as a new one goes out. Leased by
 * another holder (`shipgate serve` destroying it as its window closed) it is left to that
 * holder: it is no app machine, so the deploy does not need it gone.
 */
async function destroyKept(fleet: Fleet, id: string): Promise<void> {
  try {
    await fleet.destroy(id);
  } catch (err) {
    if (!(err instanceof FlyApiError && err.status === 409)) throw err;
  }
}
