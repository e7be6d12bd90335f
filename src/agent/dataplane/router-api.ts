import type { RouterOptions, RouterProcessStatus, RoutingTable } from '../contract.js';
import { z } from 'zod';
import { RouterSchema } from '../../config/schema/local.js';
import { MAX_TIMER_MS, StatsQuery, VersionName } from '../daemon/api-schemas.js';
import { route, type Routes } from '../daemon/control-server.js';
import { AgentApiError } from '../daemon/errors.js';
import type { Router } from '../router/index.js';
import type { EventLog } from './events.js';

/** The longest long-poll of `GET /v1/events`. */
export const MAX_EVENTS_WAIT_MS = 60_000;

/** What the router process's control API reaches. */
export interface RouterProcessView {
  readonly router: Router;
  readonly events: EventLog;
  status(): RouterProcessStatus;
  /** Applies a table and options, and writes them to disk before answering. */
  apply(table: RoutingTable, options: RouterOptions): Promise<void>;
}

const WholeText = (max: number) => z.string().regex(new RegExp(`^\\d{1,${String(max).length}}$`), { error: `expected a whole number from 0 to ${max}` }).transform(Number).pipe(z.number().max(max, { error: `expected a whole number from 0 to ${max}` }));

const BackendBody = z.strictObject({
  id: z.string().min(1).max(200),
  version: VersionName,
  host: z.string().min(1).max(255),
  port: z.number().int().min(1).max(65_535),
  ready: z.boolean(),
  draining: z.boolean(),
});

/** `POST /v1/table`: only the agent sends it (the socket is 0600), and still every field is checked; the router checks the table again. */
const TableBody = z.strictObject({
  table: z.strictObject({ weights: z.record(VersionName, z.number().min(0).max(100)), backends: z.array(BackendBody).max(1024) }),
  options: RouterSchema,
});
const DrainBody = z.strictObject({ id: z.string().min(1).max(200), timeoutMs: z.number().int().min(0).max(MAX_TIMER_MS) });
const EventsQuery = z.strictObject({ after: WholeText(Number.MAX_SAFE_INTEGER).optional(), boot: z.string().max(100).optional(), waitMs: WholeText(MAX_EVENTS_WAIT_MS).optional() });

/** The router process's control API, for its agent. */
export function routerRoutes(p: RouterProcessView): Routes {
  return {
    'GET /v1/status': route({}, () => p.status()),
    'POST /v1/table': route({ body: TableBody }, async ({ table, options }) => {
      try {
        await p.apply(table, options);
      } catch (err) {
        if (err instanceof TypeError) throw new AgentApiError(400, err.message);
        throw err;
      }
    }),
    'GET /v1/stats': route({ query: StatsQuery }, (_b, q) => p.router.stats(q.version, q.windowMs)),
    'POST /v1/drain': route({ body: DrainBody }, async ({ id, timeoutMs }) => {
      await p.router.drain(id, timeoutMs);
      return { inFlight: p.router.inFlight(id) };
    }),
    'GET /v1/events': route({ query: EventsQuery }, (_b, q) => p.events.after(q.after ?? 0, q.boot ?? null, q.waitMs ?? 0)),
  };
}
