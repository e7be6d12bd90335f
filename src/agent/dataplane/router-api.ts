import type { RouterOptions, RouterProcessStatus, RoutingTable } from '../contract.js';
import type { Routes } from '../daemon/control-server.js';
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

function intParam(q: URLSearchParams, name: string, min: number, max: number, fallback?: number): number {
  const raw = q.get(name);
  const value = raw === null ? fallback : Number(raw);
  if (value === undefined || !Number.isInteger(value) || value < min || value > max) throw new AgentApiError(400, `${name}: expected a whole number from ${min} to ${max} (got ${raw})`);
  return value;
}

function textParam(q: URLSearchParams, name: string): string {
  const value = q.get(name);
  if (!value) throw new AgentApiError(400, `${name}: expected a query parameter ?${name}=`);
  return value;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The body of `POST /v1/table`: only the agent sends it (the socket is 0600), so a shape check suffices; the table itself is checked by the router. */
function parseTableBody(b: unknown): { table: RoutingTable; options: RouterOptions } {
  if (!isRecord(b) || !isRecord(b.table) || !isRecord(b.options)) throw new AgentApiError(400, 'body: expected { table, options }');
  const { table, options } = b;
  if (!isRecord(table.weights) || !Array.isArray(table.backends)) throw new AgentApiError(400, 'table: expected { weights, backends }');
  for (const [i, x] of table.backends.entries()) {
    if (!isRecord(x) || typeof x.id !== 'string' || typeof x.version !== 'string' || typeof x.host !== 'string' || typeof x.port !== 'number' || typeof x.ready !== 'boolean' || typeof x.draining !== 'boolean') {
      throw new AgentApiError(400, `table.backends[${i}]: expected { id, version, host, port, ready, draining }`);
    }
  }
  if (typeof options.bodyLimit !== 'number' || typeof options.retry !== 'boolean' || typeof options.versionHeader !== 'boolean') throw new AgentApiError(400, 'options: expected router options');
  return { table: table as unknown as RoutingTable, options: options as unknown as RouterOptions };
}

/** The router process's control API, for its agent. */
export function routerRoutes(p: RouterProcessView): Routes {
  return {
    'GET /v1/status': () => p.status(),
    'POST /v1/table': async (b) => {
      const { table, options } = parseTableBody(b);
      try {
        await p.apply(table, options);
      } catch (err) {
        if (err instanceof TypeError) throw new AgentApiError(400, err.message);
        throw err;
      }
    },
    'GET /v1/stats': (_b, q) => p.router.stats(textParam(q, 'version'), intParam(q, 'windowMs', 1000, 300_000)),
    'POST /v1/drain': async (b) => {
      if (!isRecord(b) || typeof b.id !== 'string' || typeof b.timeoutMs !== 'number' || !(b.timeoutMs >= 0)) throw new AgentApiError(400, 'body: expected { id, timeoutMs }');
      await p.router.drain(b.id, b.timeoutMs);
      return { inFlight: p.router.inFlight(b.id) };
    },
    'GET /v1/events': (_b, q) => p.events.after(intParam(q, 'after', 0, Number.MAX_SAFE_INTEGER, 0), q.get('boot'), intParam(q, 'waitMs', 0, MAX_EVENTS_WAIT_MS, 0)),
  };
}
