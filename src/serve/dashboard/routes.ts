/**
 * The dashboard's routes: its files (open, with security headers; they hold no data) and
 * the overview it starts from (behind the token like the rest of the API). Everything
 * else the page shows comes from the API it already has: deployments, a deployment's
 * journal and the live journal stream.
 */
import type { FastifyInstance } from 'fastify';
import type { Masker } from '../../runtime/secrets.js';
import type { SqlStore } from '../../store/index.js';
import { RecentFacts } from '../aggregates.js';
import { DASHBOARD_HEADERS, loadAssets } from './assets.js';
import { readOverview } from './overview.js';

export interface DashboardOptions {
  store: SqlStore;
  app: string;
  masker: Masker;
  rollbackWindowMs: number;
  now: () => number;
  /** Where the page's files are. @default DASHBOARD_DIR */
  dir?: URL;
}

export function registerDashboard(http: FastifyInstance, opts: DashboardOptions): void {
  const assets = loadAssets(opts.dir);
  for (const [path, asset] of assets) {
    http.get(path, async (_req, reply) => reply.headers(DASHBOARD_HEADERS).type(asset.contentType).send(asset.body));
  }
  const facts = new RecentFacts(opts.store, opts.app, opts.now);
  http.get('/api/dashboard/overview', async () => ({ success: true, data: opts.masker.maskValue(await readOverview({ ...opts, facts })) }));
}
