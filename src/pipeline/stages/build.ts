import { toMs } from '../../config/duration.js';
import { toArgv, type BuildConfig } from '../../config/schema/index.js';
import { scriptEnv } from '../../providers/command/command-provider.js';
import { describeProblems } from '../release-manifest.js';
import { checkReleaseRow, collectRelease, releaseDirFor } from '../releases.js';
import type { PlanContext, Stage, StageContext } from '../stage.js';

/** Builds a version once and keeps its artifacts as a release with a sha256 manifest. */
export function createBuildStage(build: BuildConfig): Stage {
  const command = (ctx: PlanContext) => ({
    argv: toArgv(build.command),
    env: { ...(build.env ?? {}), ...scriptEnv(ctx, ctx.facts.version, ctx.facts.previousVersion) },
    cwd: ctx.paths.root,
    timeoutMs: toMs(build.timeout),
  });
  return {
    name: 'build',
    plan: (ctx) => [
      { step: 'build', detail: 'build the version (skipped when its release already exists)', command: command(ctx) },
      { step: 'collect', detail: `copy ${build.artifacts.join(', ') || 'nothing'} to ${releaseDirFor(ctx, ctx.facts.version)} with a sha256 manifest` },
    ],
    async run(ctx: StageContext) {
      const { app, version } = ctx.facts;
      const existing = await ctx.store.getRelease(app, version);
      const check = existing ? await checkReleaseRow(existing, { strict: true }) : null;
      if (existing && check?.ok) {
        await ctx.step('build', async () => undefined, `release ${version} already built at ${existing.dir}: skipped`);
        return { dir: existing.dir, reused: true };
      }
      // A kept release that no longer matches its manifest is built again; the journal says why.
      if (existing && check && !check.ok) {
        await ctx.step('verify', async () => undefined, `${describeProblems(version, existing.dir ?? '?', check.problems)}: building it again`);
      }
      await ctx.exec('build', command(ctx));
      const nowIso = new Date(ctx.clock.now()).toISOString();
      const release = await ctx.step('collect', () => collectRelease(ctx.paths.root, ctx.paths.releasesDir, version, build.artifacts, nowIso));
      await ctx.store.upsertRelease({ app, version, createdAt: nowIso, dir: release.dir, manifestSha256: release.manifestSha256, start: {}, artifacts: build.artifacts });
      return { dir: release.dir, reused: false, files: release.manifest.files.length };
    },
  };
}
