import { CAPABILITIES } from '../capabilities.js';
import { isAbsolute, resolve } from 'node:path';
import { toMs } from '../../config/duration.js';
import { toArgv, type CommandProviderConfig } from '../../config/schema/index.js';
import type { PlannedCommand } from '../../pipeline/stage.js';
import { releaseDirFor } from '../../pipeline/releases.js';
import type { Provider, ProviderPlanContext } from '../contract.js';

export interface ScriptEnvValues {
  app: string;
  environment: string;
  version: string | null;
  previous: string | null;
  deploymentId: string | null;
  releaseDir: string | null;
}

/** The documented environment of user scripts (absent values are empty). The version travels only here, never in argv. */
export function scriptEnvOf(v: ScriptEnvValues): Record<string, string> {
  return {
    SHIPGATE_APP: v.app,
    SHIPGATE_ENV: v.environment,
    SHIPGATE_VERSION: v.version ?? '',
    SHIPGATE_PREVIOUS_VERSION: v.previous ?? '',
    SHIPGATE_DEPLOYMENT_ID: v.deploymentId ?? '',
    SHIPGATE_RELEASE_DIR: v.releaseDir ?? '',
  };
}

/** {@link scriptEnvOf} for a step of deployment `ctx`. */
export function scriptEnv(ctx: ProviderPlanContext, version: string, previous: string | null): Record<string, string> {
  return scriptEnvOf({ app: ctx.facts.app, environment: ctx.facts.environment, version, previous, deploymentId: ctx.facts.id, releaseDir: releaseDirFor(ctx, version) ?? null });
}

/** Where the scripts run: `provider.cwd` (relative to the config file's folder `root`), or `root`. */
export function scriptCwd(cfg: Pick<CommandProviderConfig, 'cwd'>, root: string): string {
  return cfg.cwd ? (isAbsolute(cfg.cwd) ? cfg.cwd : resolve(root, cfg.cwd)) : root;
}

export function createCommandProvider(cfg: CommandProviderConfig): Provider {
  const command = (ctx: ProviderPlanContext, argv: string[], version: string, previous: string | null): PlannedCommand => ({
    argv,
    env: { ...(cfg.env ?? {}), ...scriptEnv(ctx, version, previous) },
    cwd: scriptCwd(cfg, ctx.paths.root),
    timeoutMs: toMs(cfg.timeout),
  });

  return {
    type: 'command',
    capabilities: CAPABILITIES.command!,
    health: cfg.health,
    planDeploy: (ctx) => [command(ctx, toArgv(cfg.deploy), ctx.facts.version, ctx.facts.previousVersion)],
    planRollback: (ctx, to, from) => [command(ctx, toArgv(cfg.rollback ?? cfg.deploy), to, from)],
    async deploy(ctx) {
      await ctx.exec('deploy', command(ctx, toArgv(cfg.deploy), ctx.facts.version, ctx.facts.previousVersion));
    },
    async rollback(ctx, to, from) {
      await ctx.exec('rollback', command(ctx, toArgv(cfg.rollback ?? cfg.deploy), to, from));
    },
  };
}
