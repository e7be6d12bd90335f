import { allocatePort } from '../../agent/supervisor/ports.js';
import { UsageError } from '../../errors.js';
import { parsePr, previewVersion } from '../../previews/name.js';
import { previewDown, previewPrune, previewUp, type PreviewContext } from '../../previews/preview.js';
import type { PruneEntry } from '../../previews/prune.js';
import { resolveActor } from '../../runtime/actor.js';
import { systemClock } from '../../runtime/clock.js';
import { fetchHttp } from '../../runtime/http.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalOptions, Output } from '../output.js';
import { gitFacts } from '../pipeline-context.js';
import { runPipeline } from '../run-pipeline.js';
import { durationFlag } from './deploy.js';

export interface PreviewFlags extends GlobalOptions {
  pr?: string;
  version?: string;
  sha?: string;
  olderThan?: string;
  dryRun?: boolean;
}

function context(flags: PreviewFlags): PreviewContext {
  return { configPath: flags.config, base: flags.env, env: process.env, clock: systemClock, http: fetchHttp, allocatePort: () => allocatePort(new Set()) };
}

/** `shipgate preview up --pr N`: the pull request's own app (fly) or port (local), deployed; its URL printed. */
export async function previewUpCommand(flags: PreviewFlags, out: Output): Promise<number> {
  const pr = parsePr(flags.pr);
  let code: number = EXIT.ok;
  const { record, ok } = await previewUp(context(flags), pr, await versionOf(flags, pr), async (loaded, version) => {
    out.masker = loaded.masker;
    const { gitSha, gitRef } = await gitFacts(loaded.root, { sha: flags.sha ?? process.env.HEAD_SHA }, process.env);
    const request = { version, actor: resolveActor(undefined), reason: `preview of pull request ${pr}`, gitSha, gitRef };
    // Under --json the pipeline's own document is replaced by the preview's, below.
    code = await runPipeline(loaded, out.json ? quiet(out) : out, {}, (p, control) => p.deploy(request, control));
    return code === EXIT.ok;
  });
  if (out.json) out.result({ ok, pr, environment: record.environment, provider: record.provider, url: record.url, version: record.version, ...(record.app ? { app: record.app } : {}), ...(record.port ? { port: record.port } : {}) });
  else out.line(ok ? `preview of pull request ${pr}: ${record.url}` : `preview of pull request ${pr} did not deploy; ${record.url} is not serving ${record.version}`);
  return code;
}

/** `shipgate preview down --pr N`. */
export async function previewDownCommand(flags: PreviewFlags, out: Output): Promise<number> {
  const pr = parsePr(flags.pr);
  const { environment, removed } = await previewDown(context(flags), pr);
  if (out.json) out.result({ pr, environment, removed });
  else out.line(removed ? `preview of pull request ${pr} is down (${removed} removed)` : `preview of pull request ${pr}: nothing was running`);
  return EXIT.ok;
}

/** `shipgate preview prune --older-than 7d [--dry-run]`: every preview removed or kept, with why; exit 1 when one could not be removed. */
export async function previewPruneCommand(flags: PreviewFlags, out: Output): Promise<number> {
  const ms = durationFlag('older-than', flags.olderThan);
  if (ms === undefined) throw new UsageError('--older-than is required, e.g. --older-than 7d');
  const dryRun = flags.dryRun === true;
  const { removed, kept, failed } = await previewPrune(context(flags), ms, { dryRun });
  const json = (e: PruneEntry): Record<string, unknown> => ({ pr: e.pr, environment: e.environment, ...(e.app !== undefined ? { app: e.app } : {}), last_activity: e.lastActivity, reason: e.reason });
  if (out.json) out.result({ ...(dryRun ? { dry_run: true } : {}), removed: removed.map(json), kept: kept.map(json), failed: failed.map(json) });
  else {
    const what = (e: PruneEntry): string => `pull request ${e.pr} (${e.app !== undefined ? `Fly.io app ${e.app}` : e.environment}): ${e.reason}`;
    for (const e of removed) out.line(`${dryRun ? 'would remove' : 'removed'} ${what(e)}`);
    for (const e of kept) out.line(`kept ${what(e)}`);
    for (const e of failed) out.err(out.paint('red', `not removed: ${what(e)}`));
    if (removed.length + kept.length + failed.length === 0) out.line('no previews found');
    else if (removed.length + failed.length === 0) out.line(`no preview older than ${flags.olderThan}`);
  }
  return failed.length > 0 ? EXIT.failed : EXIT.ok;
}

async function versionOf(flags: PreviewFlags, pr: number): Promise<string> {
  if (flags.version !== undefined) return flags.version;
  const sha = flags.sha ?? process.env.HEAD_SHA ?? process.env.GITHUB_SHA ?? null;
  return previewVersion(pr, sha);
}

/** The same output without the pipeline's result document (the preview prints its own). */
function quiet(out: Output): Output {
  return Object.assign(Object.create(out) as Output, { result: () => undefined });
}
