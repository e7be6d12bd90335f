import type { FlyProviderConfig } from '../config/schema/index.js';
import { UsageError } from '../errors.js';
import { FlyApiError, FlyClient } from '../providers/fly/client.js';
import { FLY_TOKEN_ENV } from '../providers/fly/fly-provider.js';
import type { Clock } from '../runtime/clock.js';
import type { HttpClient } from '../runtime/http.js';
import type { FlyOrgApp } from './fly-prune.js';

/** A Machines API client of the preview's app (`provider.app` is already the preview's). */
export function flyPreviewClient(cfg: FlyProviderConfig, ctx: { env: NodeJS.ProcessEnv; clock: Clock; http: HttpClient }): FlyClient {
  const token = ctx.env[FLY_TOKEN_ENV];
  if (!token) throw new UsageError(`provider type fly needs a Machines API token in ${FLY_TOKEN_ENV} (flyctl tokens create org ${cfg.org}: previews create and delete apps)`);
  return new FlyClient({ apiUrl: cfg.apiUrl, app: cfg.app, token, http: ctx.http, clock: ctx.clock });
}

/**
 * The organization's apps whose names `isPreview` accepts, each with its machines' `updated_at`
 * (other apps' machines are never read). An app deleted meanwhile (a `preview down` running
 * beside this) is left out.
 */
export async function flyPreviewApps(cfg: FlyProviderConfig, ctx: { env: NodeJS.ProcessEnv; clock: Clock; http: HttpClient }, isPreview: (name: string) => boolean): Promise<FlyOrgApp[]> {
  const apps = await flyPreviewClient(cfg, ctx).listApps(cfg.org);
  const out: FlyOrgApp[] = [];
  for (const { name } of apps.filter((a) => isPreview(a.name))) {
    try {
      const machines = await flyPreviewClient({ ...cfg, app: name }, ctx).list();
      out.push({ name, machineTimes: machines.map((m) => m.updated_at) });
    } catch (err) {
      if (!(err instanceof FlyApiError && err.status === 404)) throw err;
    }
  }
  return out;
}
