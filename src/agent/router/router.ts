/**
 * The weighted router: an http.Server that proxies to the instances of the
 * routing table. It does not listen by itself; the agent calls
 * `server.listen(port, host)` or `server.listen(handle)` (a hand-over from the
 * previous agent). See proxy.ts for one request's path, table.ts for how a new
 * table replaces the old one, connections.ts for the graceful hand-over.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import type { VersionStats } from '../../rollout/contract.js';
import { systemClock, type Clock } from '../../runtime/clock.js';
import type { RouterOptions, RoutingTable } from '../contract.js';
import { Connections } from './connections.js';
import { Metrics, type MetricsOptions } from './metrics.js';
import { ProxyRequest, type ProxyContext } from './proxy.js';
import { BackendTable } from './table.js';
import { proxyUpgrade } from './upgrade.js';

/** How long an idle client connection stays open once shutdown began. */
export const DEFAULT_IDLE_GRACE_MS = 1000;

export interface Router {
  /** The http.Server. The agent calls server.listen(port, host) or server.listen(handle); the router does not listen by itself. */
  readonly server: Server;
  /** Atomically replaces weights and backends. Backends that disappear or become draining are drained (in-flight finish, pool closed gracefully). */
  setTable(table: RoutingTable): void;
  table(): RoutingTable;
  stats(version: string, windowMs: number): VersionStats;
  /** Resolves when backend `id` has no request in flight (or after timeoutMs); its pool is then closed. */
  drain(id: string, timeoutMs: number): Promise<void>;
  /** In-flight requests to `id` (upgraded connections included). */
  inFlight(id: string): number;
  /**
   * Graceful stop for handing the listening socket to a successor: stop accepting, every response from now on carries
   * `Connection: close`, idle keep-alive client connections close after `idleGraceMs` idle, in-flight requests finish;
   * resolves when no client connection remains or after timeoutMs (remaining connections are then closed).
   */
  shutdown(opts: { timeoutMs: number; idleGraceMs?: number }): Promise<void>;
  /** Applies changed settings (sticky cookie, version header, body limit, retry) to the next requests. */
  setOptions(opts: RouterOptions): void;
  /** Closes everything now: listener, client connections, instance pools. */
  close(): Promise<void>;
}

export type CreateRouterOptions = RouterOptions & {
  /** Time of the metric windows. @default systemClock */
  clock?: Clock;
  /** Bucket size and retention of the metric windows. @default 1 s buckets kept 5 minutes */
  metrics?: MetricsOptions;
};

export function createRouter(opts: CreateRouterOptions): Router {
  const clock = opts.clock ?? systemClock;
  const metrics = new Metrics(opts.metrics);
  const server = createServer();
  const backends = new BackendTable((version) => metrics.ring(version));
  const ctx: ProxyContext = {
    routing: backends.routing,
    clock,
    bodyLimit: opts.bodyLimit,
    retry: opts.retry,
    stickyCookie: opts.stickyCookie,
    versionHeader: opts.versionHeader,
    closing: false,
    connections: new Connections(server),
  };
  backends.onChange = (routing) => (ctx.routing = routing);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => new ProxyRequest(ctx, req, res).start());
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => proxyUpgrade(ctx, req, socket, head));

  return {
    server,
    setTable(table) {
      backends.set(table);
      metrics.prune(new Set([...Object.keys(table.weights), ...table.backends.map((b) => b.version)]), clock.now());
    },
    table: () => backends.table(),
    stats: (version, windowMs) => metrics.stats(version, clock.now(), windowMs),
    drain: (id, timeoutMs) => backends.drain(id, timeoutMs),
    inFlight: (id) => backends.inFlight(id),
    async shutdown({ timeoutMs, idleGraceMs = DEFAULT_IDLE_GRACE_MS }) {
      ctx.closing = true;
      stopAccepting(server);
      ctx.connections.closeIdleAfter(idleGraceMs);
      if (!(await ctx.connections.whenEmpty(timeoutMs))) ctx.connections.destroyAll();
    },
    setOptions(next) {
      Object.assign(ctx, { stickyCookie: next.stickyCookie, versionHeader: next.versionHeader, bodyLimit: next.bodyLimit, retry: next.retry });
    },
    async close() {
      ctx.closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      ctx.connections.destroyAll();
      await Promise.all([closed, backends.destroy()]);
    },
  };
}

/**
 * Closes the listener only. http.Server#close also closes idle keep-alive
 * connections at once (Node >= 19), which races a client that is reusing one
 * right now; shutdown closes them after a grace period instead.
 */
function stopAccepting(server: Server): void {
  if (server.listening) NetServer.prototype.close.call(server);
}
