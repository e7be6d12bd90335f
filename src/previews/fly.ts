import type { FlyProviderConfig } from '../config/schema/index.js';
import { UsageError } from '../errors.js';
import { FlyClient } from '../providers/fly/client.js';
import { FLY_TOKEN_ENV } from '../providers/fly/fly-provider.js';
import type { Clock } from '../runtime/clock.js';
import type { HttpClient } from '../runtime/http.js';

/** A Machines API client of the preview's app (`provider.app` is already the preview's). */
export function flyPreviewClient(cfg: FlyProviderConfig, ctx: { env: NodeJS.ProcessEnv; clock: Clock; http: HttpClient }): FlyClient {
  const token = ctx.env[FLY_TOKEN_ENV];
  if (!token) throw new UsageError(`provider type fly needs a Machines API token in ${FLY_TOKEN_ENV} (flyctl tokens create org ${cfg.org}: previews create and delete apps)`);
  return new FlyClient({ apiUrl: cfg.apiUrl, app: cfg.app, token, http: ctx.http, clock: ctx.clock });
}
