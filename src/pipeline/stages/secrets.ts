import { GateBlocked } from '../../errors.js';
import type { SecretScanFacts } from '../../gates/contract.js';
import { createSecretsGate, evaluateGates, type SecretsGateConfig } from '../../gates/index.js';
import { knownSecrets } from '../../secrets/known.js';
import { discardRelease, releaseDirFor } from '../releases.js';
import type { Stage, StageContext } from '../stage.js';
import { gateContext } from './gates.js';
import { SecretsStageOutputSchema, type SecretsStageOutput } from './secrets-output.js';

/** What the secrets gate scans in a running deployment: the release the build stage made or reused, and the commits since the live version. */
async function scanFacts(ctx: StageContext): Promise<SecretScanFacts> {
  const built = (await ctx.outputOf('build'))?.dir;
  const releaseDir = typeof built === 'string' ? built : releaseDirFor(ctx, ctx.facts.version);
  const live = await ctx.store.lastSucceeded(ctx.facts.app, ctx.facts.environment);
  return {
    releaseDir,
    noRelease: releaseDir ? null : 'no release folder (no build step)',
    root: ctx.paths.root,
    live: live ? { version: live.version, sha: live.gitSha } : null,
    known: knownSecrets(ctx.loaded, process.env),
  };
}

/**
 * A release this deployment built with a secret in it is not kept: deleted (folder
 * and row), so the next deploy of the version builds it again. A release built
 * earlier (perhaps live, or a rollback target) stays. Returns what to add to the reason.
 */
async function discardBuilt(ctx: StageContext): Promise<string> {
  const build = await ctx.outputOf('build');
  if (build?.reused !== false || typeof build.dir !== 'string') return '';
  const dir = build.dir;
  const refused = await ctx.step('discard', () => discardRelease(ctx.store, ctx.facts.app, ctx.facts.version, dir, ctx.paths.releasesDir), `delete release ${ctx.facts.version}: it holds a secret`);
  return refused === null ? `; release ${ctx.facts.version} was deleted (the next deploy builds it again)` : `; release ${ctx.facts.version} was kept: ${dir} is ${refused}`;
}

/**
 * The secrets gate, right after the build: the release it made is what ships.
 * Its result joins the other gates' in the journal and the record; a block stops
 * the deployment (exit 3) before any database or instance is touched.
 */
export function createSecretsStage(cfg: SecretsGateConfig): Stage {
  return {
    name: 'secrets',
    output: SecretsStageOutputSchema,
    plan: (ctx) => [
      {
        step: 'scan',
        detail: `scan ${releaseDirFor(ctx, ctx.facts.version) ?? 'nothing (no build step)'} for secrets (secretlint's recommended rules and the configured secrets' values)${cfg.commits ? ', and what the commits since the live version added' : ''}`,
      },
    ],
    async run(ctx) {
      const gate = createSecretsGate(cfg);
      const facts = await scanFacts(ctx);
      const [result] = await ctx.step('scan', () => evaluateGates([gate], { ...gateContext(ctx, undefined), secretScan: facts }, { stopOnBlock: true }));
      await ctx.journal.append('gate:evaluated', { deploymentId: ctx.facts.id, gate: result! });
      const details = (result!.details ?? {}) as Partial<SecretsStageOutput>;
      const output: SecretsStageOutput = { result: result!.result, scanned: details.scanned ?? [], skipped: details.skipped ?? [], findings: details.findings ?? [], allowed: details.allowed ?? [] };
      if (result!.result === 'block') {
        await ctx.note(output);
        throw new GateBlocked('secrets', `${result!.reason}${await discardBuilt(ctx)}`);
      }
      return output;
    },
  };
}
