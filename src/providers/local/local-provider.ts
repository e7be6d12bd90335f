import { CAPABILITIES } from '../capabilities.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AgentRequestFailed, type AgentClient } from '../../agent/client.js';
import type { AgentStatus, VersionSpec } from '../../agent/contract.js';
import { controlStartOptions } from '../../agent/control-endpoint.js';
import { refuseLegacyAgent } from '../../agent/legacy.js';
import { clientFor, ensureAgent } from '../../agent/lifecycle.js';
import { agentPaths, agentStateDir } from '../../agent/paths.js';
import { humanDuration, toMs } from '../../config/duration.js';
import { toArgv, type LocalProviderConfig, type RolloutConfig } from '../../config/schema/index.js';
import { StageFailed } from '../../errors.js';
import { checkRelease, describeProblems } from '../../pipeline/release-manifest.js';
import { checkReleaseRow } from '../../pipeline/releases.js';
import type { PlannedCommand, StageContext } from '../../pipeline/stage.js';
import { InstancesFailed } from '../../rollout/contract.js';
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
 * When the process driving this rollout died (or stopped as interrupted), the agent's
 * dead-man switch moved traffic back on its own; the journal learns of it here, from
 * the command that settles the deployment.
 */
async function journalDeadmanRevert(ctx: StageContext, client: AgentClient): Promise<void> {
  const r = (await client.status()).rollout;
  if (r?.id !== ctx.facts.id || r.state !== 'aborted_by_deadman') return;
  const weights = r.stable ? { [r.stable]: 100 } : {};
  const reason = `dead-man switch: no heartbeat for ${humanDuration(r.deadmanMs)} from the process driving the rollout, so the agent returned all traffic to ${r.stable ?? 'nothing'} at ${r.abortedAt ?? 'an unknown time'}`;
  await ctx.journal.append('rollout:weights', { deploymentId: ctx.facts.id, stage: ctx.stage, weights, reason });
}

/**
 * Checks a version's release against its manifest before any instance starts
 * from it (a deploy, an undo, a rollback to a kept release); once per version
 * per stage run, since hashing a release with node_modules takes a while.
 */
function releaseGuard(ctx: StageContext): (version: string) => Promise<void> {
  const verified = new Set<string>();
  return async (version) => {
    if (verified.has(version)) return;
    const dir = join(ctx.paths.releasesDir, version);
    const row = await ctx.store.getRelease(ctx.facts.app, version);
    // A store that lost its rows (deleted, replaced) leaves the folder: it is checked against its own manifest.
    const check = row?.manifestSha256 ? await checkReleaseRow({ ...row, dir }) : await checkRelease(dir, null);
    if (!row?.manifestSha256 && !check.ok && !existsSync(dir)) throw new InstancesFailed(version, `no release of ${version} was built here, so there is nothing to start its instances from (deploy ${version} to build it)`);
    if (!check.ok) throw new InstancesFailed(version, `${describeProblems(version, dir, check.problems)}; its instances were not started (deploy ${version} again to rebuild it)`);
    verified.add(version);
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
  /**
   * The agent of this environment, configured. An undo or rollback whose (changed)
   * `listen` cannot be bound goes on through the router that still serves: moving
   * the address is the deploy's business, putting traffic back is the undo's.
   */
  const connect = async (ctx: StageContext, undo = false) => {
    const dir = agentStateDir(ctx.paths.root, ctx.facts.environment);
    const { status } = await ensureAgent(dir, controlStartOptions(cfg.control, ctx.paths.root));
    const client = clientFor(agentPaths(dir));
    await client.configure(ctx.facts.app, cfg.listen, cfg.router).catch(async (err: unknown) => {
      const bindFailed = err instanceof AgentRequestFailed && err.status === 409;
      if (undo && bindFailed && (await client.status()).router.state === 'serving') return;
      throw bindFailed ? new AgentRequestFailed(409, `provider.listen: ${(err as Error).message}`) : err;
    });
    const specFor = (v: string): VersionSpec => versionSpec(cfg, ctx.paths.releasesDir, v);
    await resendSpecs(client, status, specFor);
    return { client, traffic: agentTraffic(client, specFor, releaseGuard(ctx)) };
  };
  const describe = (ctx: ProviderPlanContext, version: string): PlannedCommand => {
    const spec = versionSpec(cfg, ctx.paths.releasesDir, version);
    return { argv: spec.argv, env: { ...spec.env, PORT: '(one per instance)', SHIPGATE_VERSION: version }, cwd: spec.releaseDir, timeoutMs: spec.readiness.graceMs };
  };

  return {
    type: 'local',
    capabilities: CAPABILITIES.local!,
    health: cfg.health,
    planDeploy: (ctx) => [describe(ctx, ctx.facts.version)],
    planRollback: (ctx, to) => [describe(ctx, to)],

    /** An agent of the old layout would fight the new one for the router's address. */
    preflight: ({ root }) => refuseLegacyAgent(root),

    /** What the router sends most of the traffic to: the truth about what is live, whatever the store says. */
    async currentVersion(ctx) {
      // Only reads: a (changed) listen that cannot be bound is the deploy's business, not this question's.
      const { traffic } = await connect(ctx, true);
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
      const { client, traffic } = await connect(ctx, true);
      await journalDeadmanRevert(ctx, client);
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
