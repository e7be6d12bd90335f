import { readConfigDocument } from '../config/document.js';
import { resolveConfigPath, resolveDocument, type LoadedConfig } from '../config/load.js';
import { environmentNames } from '../config/environments.js';
import { UsageError } from '../errors.js';
import type { Clock } from '../runtime/clock.js';
import type { HttpClient } from '../runtime/http.js';
import { previewDocument } from './document.js';
import { previewAppName, previewEnvironment, previewPrOf } from './name.js';
import { flyPreviewApps, flyPreviewClient } from './fly.js';
import { environmentApps, planFlyPrune } from './fly-prune.js';
import { listPreviews, readPreview, removePreview, writePreview, type PreviewRecord } from './records.js';
import { planRecordPrune, type PruneEntry, type PrunePlan } from './prune.js';
import { removeLocalPreview } from './local.js';

/** The environment a preview copies when none is named: `preview`, else `staging`, else the only one. */
export const PREVIEW_BASES = ['preview', 'staging'] as const;

export interface PreviewContext {
  /** `--config`, else shipgate.yaml in `cwd` or a parent folder. */
  configPath?: string;
  /** @default process.cwd() */
  cwd?: string;
  /** `--env`: the environment the preview is made from. */
  base?: string;
  env: NodeJS.ProcessEnv;
  clock: Clock;
  http: HttpClient;
  /** A free port for a local preview's router. */
  allocatePort: () => Promise<number>;
}

/** Runs the normal pipeline's deploy for the preview's config; true when it succeeded. */
export type PreviewDeploy = (loaded: LoadedConfig, version: string) => Promise<boolean>;

export interface PreviewUpResult {
  record: PreviewRecord;
  ok: boolean;
}

/** Pure: which environment a preview is made from. */
export function previewBase(names: readonly string[], requested: string | undefined): string {
  if (requested !== undefined) {
    if (!names.includes(requested)) throw new UsageError(`unknown environment "${requested}" (expected one of ${names.join(', ')})`);
    return requested;
  }
  const named = PREVIEW_BASES.find((n) => names.includes(n));
  if (named) return named;
  if (names.length === 1) return names[0]!;
  throw new UsageError(`choose the environment previews are made from with --env (one of ${names.join(', ')})`);
}

interface Base {
  doc: Record<string, unknown>;
  path: string;
  base: string;
  loaded: LoadedConfig;
}

/** The config document and the environment previews copy, loaded and validated. */
function loadBase(ctx: PreviewContext): Base {
  const path = resolveConfigPath({ configPath: ctx.configPath, cwd: ctx.cwd });
  const doc = readConfigDocument(path);
  const base = previewBase(environmentNames(doc), ctx.base);
  return { doc, path, base, loaded: resolveDocument(doc, base, path, ctx.env) };
}

/** The preview's config: the base environment with the preview's own Fly.io app, or its own port. */
async function previewConfig(ctx: PreviewContext, b: Base, pr: number, knownPort: number | undefined): Promise<{ loaded: LoadedConfig; app?: string; port?: number }> {
  const name = previewEnvironment(pr);
  const provider = b.loaded.config.provider;
  // A preview's version is a pre-release by nature (v0.0.0-pr.<n>.<sha>): the semver gate, when on, lets it through.
  const gates = b.loaded.config.gates.semver ? { gates: { semver: { allowPrerelease: true } } } : {};
  const load = (extra: Record<string, unknown>): LoadedConfig => resolveDocument(previewDocument(b.doc, b.base, name, { ...gates, provider: extra }), name, b.path, ctx.env);
  if (provider.type === 'fly') {
    const app = previewAppName(provider.previewApp, provider.app, pr);
    return { loaded: load({ app }), app };
  }
  if (provider.type === 'local') {
    const port = knownPort ?? (await ctx.allocatePort());
    return { loaded: load({ listen: `127.0.0.1:${port}` }), port };
  }
  throw new UsageError(`previews need provider type fly or local (environment "${b.base}" has ${provider.type})`);
}

/** Brings a pull request's preview up: its app or port, deployed with the normal pipeline, and its bookkeeping. */
export async function previewUp(ctx: PreviewContext, pr: number, version: string, deploy: PreviewDeploy): Promise<PreviewUpResult> {
  const b = loadBase(ctx);
  const known = readPreview(b.loaded.root, pr);
  const { loaded, app, port } = await previewConfig(ctx, b, pr, known?.port);
  const provider = loaded.config.provider;
  if (provider.type === 'fly') {
    const client = flyPreviewClient(provider, ctx);
    if (!(await client.hasApp())) await client.createApp(provider.org);
  }
  const url = app !== undefined ? `https://${app}.fly.dev` : `http://127.0.0.1:${port}`;
  const now = new Date(ctx.clock.now()).toISOString();
  const record: PreviewRecord = { pr, environment: loaded.environment, base: b.base, provider: provider.type, url, version, ...(app ? { app } : {}), ...(port ? { port } : {}), createdAt: known?.createdAt ?? now, updatedAt: now };
  // Written before the deploy: a preview that failed half-way is still found by down and prune.
  writePreview(loaded.root, record);
  return { record, ok: await deploy(loaded, version) };
}

/** Takes a pull request's preview down: the Fly.io app deleted, or the local agent and its instances stopped. */
export async function previewDown(ctx: PreviewContext, pr: number): Promise<{ environment: string; removed: string | null }> {
  const b = loadBase(ctx);
  const root = b.loaded.root;
  const environment = previewEnvironment(pr);
  const provider = b.loaded.config.provider;
  let removed: string | null = null;
  if (provider.type === 'fly') {
    const app = previewAppName(provider.previewApp, provider.app, pr);
    const client = flyPreviewClient({ ...provider, app }, ctx);
    if (await client.hasApp()) {
      await client.deleteApp();
      removed = `Fly.io app ${app}`;
    }
  } else if (provider.type === 'local') {
    if (await removeLocalPreview(root, environment, ctx.clock)) removed = `local agent of ${environment}`;
  } else throw new UsageError(`previews need provider type fly or local (environment "${b.base}" has ${provider.type})`);
  removePreview(root, pr);
  return { environment, removed };
}

export interface PreviewPruneOptions {
  /** Decide and report, remove nothing. @default false */
  dryRun?: boolean;
}

export interface PreviewPruneResult {
  /** Taken down (with `dryRun`: would be). */
  removed: PruneEntry[];
  kept: PruneEntry[];
  /** Stale, but taking it down failed: `reason` says why. */
  failed: PruneEntry[];
}

/**
 * Takes down every preview with no sign of life for more than `olderThanMs`; the others stay.
 * On Fly.io the previews are found on the platform (the organization's apps the template names),
 * so any host prunes what CI runners brought up; elsewhere they are this host's records.
 */
export async function previewPrune(ctx: PreviewContext, olderThanMs: number, opts: PreviewPruneOptions = {}): Promise<PreviewPruneResult> {
  const plan = await prunePlan(ctx, loadBase(ctx), olderThanMs);
  const result: PreviewPruneResult = { removed: [], kept: plan.keep, failed: [] };
  for (const entry of plan.remove) {
    try {
      if (opts.dryRun !== true) await previewDown(ctx, entry.pr);
      result.removed.push(entry);
    } catch (err) {
      // One app that cannot be deleted does not stop the others; the caller reports it and fails.
      result.failed.push({ ...entry, reason: `${entry.reason}; taking it down failed: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
  return result;
}

async function prunePlan(ctx: PreviewContext, b: Base, olderThanMs: number): Promise<PrunePlan> {
  const records = listPreviews(b.loaded.root);
  const provider = b.loaded.config.provider;
  if (provider.type !== 'fly') return planRecordPrune(records, ctx.clock.now(), olderThanMs);
  const isPreview = (name: string): boolean => previewPrOf(provider.previewApp, provider.app, name) !== null;
  const apps = await flyPreviewApps(provider, ctx, isPreview);
  const protectedApps = [provider.app, ...environmentApps(b.doc)];
  return planFlyPrune({ template: provider.previewApp, app: provider.app, protectedApps, apps, records, now: ctx.clock.now(), olderThanMs });
}
