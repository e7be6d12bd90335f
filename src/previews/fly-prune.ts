import { environmentNames, environmentOverlay } from '../config/environments.js';
import { isPlainObject } from '../config/merge.js';
import { previewEnvironment, previewPrOf } from './name.js';
import { ageReason, type PruneEntry, type PrunePlan } from './prune.js';
import type { PreviewRecord } from './records.js';

/**
 * An app of the organization as prune sees it: its name, and the `updated_at` of each machine it
 * has now (the spec's `App` and `ListApp` carry no time of their own, a machine does).
 */
export interface FlyOrgApp {
  name: string;
  machineTimes: readonly (string | undefined)[];
}

export interface FlyPruneInput {
  /** `provider.previewApp`, e.g. `{app}-pr-{pr}`. */
  template: string;
  /** `provider.app`: what `{app}` stands for. */
  app: string;
  /** Never touched, whatever their names: the app itself and every environment's app. */
  protectedApps: readonly string[];
  /** The organization's apps (`GET /apps?org_slug=`), other apps' included. */
  apps: readonly FlyOrgApp[];
  /** This host's records, if it has any: their time counts too, and a record whose app is gone goes. */
  records: readonly PreviewRecord[];
  now: number;
  olderThanMs: number;
}

/**
 * Pure: which of the organization's apps are previews of `app` (names the template gives, read
 * back to their pull request) and which of those are stale. A preview's age is its newest sign
 * of life: its machines' newest `updated_at`, or this host's record of its last `preview up` when
 * that is newer. An app with no machines and no record has no age: it is kept (a preview whose
 * first deploy is still building looks the same), and `preview down --pr N` removes it.
 */
export function planFlyPrune(input: FlyPruneInput): PrunePlan {
  const plan: PrunePlan = { remove: [], keep: [] };
  const records = input.records.filter((r) => r.provider === 'fly');
  const found = new Set<number>();
  for (const a of input.apps) {
    const pr = previewPrOf(input.template, input.app, a.name);
    if (pr === null || input.protectedApps.includes(a.name)) continue;
    found.add(pr);
    const { stale, entry } = decideApp(a, pr, records.find((r) => r.pr === pr), input);
    (stale ? plan.remove : plan.keep).push(entry);
  }
  for (const r of records.filter((x) => !found.has(x.pr))) {
    plan.remove.push({ pr: r.pr, environment: r.environment, ...(r.app !== undefined ? { app: r.app } : {}), lastActivity: null, reason: `its Fly.io app is gone already; only this host's record is removed` });
  }
  const byPr = (x: PruneEntry, y: PruneEntry): number => x.pr - y.pr;
  return { remove: plan.remove.sort(byPr), keep: plan.keep.sort(byPr) };
}

function decideApp(a: FlyOrgApp, pr: number, record: PreviewRecord | undefined, input: FlyPruneInput): { stale: boolean; entry: PruneEntry } {
  const base = { pr, environment: previewEnvironment(pr), app: a.name };
  const machines = newest(a.machineTimes);
  const recorded = newest([record?.updatedAt]);
  if (machines === null && recorded === null) {
    return { stale: false, entry: { ...base, lastActivity: null, reason: `no machines and no record on this host: its age is unknown (a first deploy may still be running); shipgate preview down --pr ${pr} removes it` } };
  }
  const fromMachines = machines !== null && (recorded === null || machines >= recorded);
  const at = fromMachines ? machines : recorded!;
  const what = fromMachines ? 'its machines last changed' : 'last brought up from this host';
  return { stale: input.now - at > input.olderThanMs, entry: { ...base, lastActivity: new Date(at).toISOString(), reason: ageReason(what, at, input.now, input.olderThanMs) } };
}

/** The newest of the times that can be read (ms), null when none can. */
function newest(times: readonly (string | undefined)[]): number | null {
  const ms = times.map((t) => (t === undefined ? NaN : Date.parse(t))).filter((t) => !Number.isNaN(t));
  return ms.length === 0 ? null : Math.max(...ms);
}

/** Pure: the Fly.io apps the config's own environments name (`provider.app` at the top and in each environment). */
export function environmentApps(doc: Record<string, unknown>): string[] {
  const appOf = (block: unknown): unknown => (isPlainObject(block) && isPlainObject(block.provider) ? block.provider.app : undefined);
  const apps = [appOf(doc), ...environmentNames(doc).map((env) => appOf(environmentOverlay(doc, env).overlay))];
  return [...new Set(apps.filter((a): a is string => typeof a === 'string'))];
}
