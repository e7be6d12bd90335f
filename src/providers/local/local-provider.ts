import { join } from 'node:path';
import { AgentRequestFailed, type AgentClient } from '../../agent/client.js';
import type { AgentStatus, VersionSpec } from '../../agent/contract.js';
import { refuseLegacyAgent } from '../../agent/legacy.js';
import { clientFor, ensureAgent } from '../../agent/lifecycle.js';
import { agentPaths, agentStateDir } from '../../agent/paths.js';
import { toMs } from '../../config/duration.js';
import { toArgv, type LocalProviderConfig, type RolloutConfig } from '../../config/schema/index.js';
import { StageFailed } from '../../errors.js';
import type { PlannedCommand, StageContext } from '../../pipeline/stage.js';
import { planRollout, runRollout, stableOf, type RolloutOutcome } from '../../rollout/index.js';
import type { Provider, ProviderPlanContext } from '../contract.js';
import { agentTraffic } from './agent-traffic.js';
import { DEFAULT_ROLLOUT } from './defaults.js';

/** How one version runs under the agent. */
export function versionSpec(cfg: LocalProviderConfig, releasesDir: string, version: string): VersionSpec {
  return {
    version,
    releaseDir: join(releasesDir, version),
    argv: toArgv(cfg.command),
    env: { ...(cfg.env ?? {}) },
    readiness: {
      path: cfg.readiness.path,
      intervalMs: toMs(cfg.readiness.interval),
      timeoutMs: toMs(cfg.readiness.timeout),
      graceMs: toMs(cfg.readiness.grace),
      ...(cfg.readiness.expect ? { expect: cfg.readiness.expect } : {}),
    },
    stopTimeoutMs: toMs(cfg.stopTimeout),
  };
}

/** Summary of a rollout for the stage output (and so for the record). */
export function rolloutSummary(o: RolloutOutcome, strategy: string): Record<string, unknown> {
  return {
    rollout: {
      strategy,
      status: o.status,
      reason: o.reason,
      steps: o.steps,
      revertedAt: o.revertedAt === null ? null : new Date(o.revertedAt).toISOString(),
      evaluations: o.evaluations.length,
    },
  };
}

/**
 * After an agent crash, a new agent adopts the instances from its state file,
 * which holds no environment values: it cannot restart them if they exit. Every
 * command that talks to the agent with the whole config sends those specs again.
 */
async function resendSpecs(client: AgentClient, status: AgentStatus, specFor: (v: string) => VersionSpec): Promise<void> {
  for (const v of status.versions) if (v.specMissing) await client.rememberSpec(specFor(v.version));
}

export function createLocalProvider(cfg: LocalProviderConfig, rolloutCfg: RolloutConfig | undefined): Provider {
  const rollout = rolloutCfg ?? DEFAULT_ROLLOUT;
  const connect = async (ctx: StageContext) => {
    const dir = agentStateDir(ctx.paths.root, ctx.facts.environment);
    const { status } = await ensureAgent(dir, cfg.control ? { controlListen: cfg.control.listen, controlToken: cfg.control.token } : {});
    const client = clientFor(agentPaths(dir));
    await client.configure(ctx.facts.app, cfg.listen, cfg.router);
    const specFor = (v: string): VersionSpec => versionSpec(cfg, ctx.paths.releasesDir, v);
    await resendSpecs(client, status, specFor);
    return { client, traffic: agentTraffic(client, specFor) };
  };
  const describe = (ctx: ProviderPlanContext, version: string): PlannedCommand => {
    const spec = versionSpec(cfg, ctx.paths.releasesDir, version);
    return { argv: spec.argv, env: { ...spec.env, PORT: '(one per instance)', SHIPGATE_VERSION: version }, cwd: spec.releaseDir, timeoutMs: spec.readiness.graceMs };
  };

  return {
    type: 'local',
    health: cfg.health,
    planDeploy: (ctx) => [describe(ctx, ctx.facts.version)],
    planRollback: (ctx, to) => [describe(ctx, to)],

    /** An agent of the old layout would fight the new one for the router's address. */
    preflight: ({ root }) => refuseLegacyAgent(root),

    /** What the router sends most of the traffic to: the truth about what is live, whatever the store says. */
    async currentVersion(ctx) {
      const { traffic } = await connect(ctx);
      return stableOf(await traffic.currentWeights());
    },

    /** The rollout, step by step, under analysis; a failing verdict moves traffic back in the same tick. */
    async deploy(ctx, start) {
      const { traffic } = await connect(ctx);
      const stable = start ? start.startedFrom : stableOf(await traffic.currentWeights());
      const plan = planRollout(rollout, { stable, candidate: ctx.facts.version, instances: cfg.instances });
      const outcome = await runRollout(plan, {
        traffic,
        clock: ctx.clock,
        analysis: rollout.analysis,
        rolloutId: ctx.facts.id,
        deadmanMs: toMs(cfg.deadman),
        signal: ctx.signal,
        instances: cfg.instances,
        keepWarmMs: toMs(ctx.config.rollback.window),
        onEvent: ({ type, ...rest }) => ctx.journal.append(type, { deploymentId: ctx.facts.id, stage: ctx.stage, ...rest } as never),
      });
      const summary = rolloutSummary(outcome, plan.strategy);
      if (outcome.status === 'failed') throw new StageFailed(ctx.stage, outcome.reason ?? 'the rollout failed', { output: summary });
      return summary;
    },

    /** Back to `to`: instantly when its instances are warm, else after starting them from the kept release. */
    async rollback(ctx, to, from) {
      const { client, traffic } = await connect(ctx);
      await client.endRollout(ctx.facts.id).catch((err: unknown) => {
        if (!(err instanceof AgentRequestFailed && err.status === 404)) throw err;
      });
      const ready = (await traffic.instances(to)).filter((i) => i.state === 'ready').length;
      await ctx.step('switch', async () => {
        if (ready === 0) await traffic.ensureInstances(to, cfg.instances);
        await traffic.setWeights({ [to]: 100 });
      }, ready > 0 ? `${to} is warm: switching at once` : `starting ${to} from its release, then switching`);
      if (from && from !== to && (await traffic.instances(from)).length > 0) await ctx.step('stop', () => traffic.stopVersion(from), `stop ${from}`);
    },
  };
}
