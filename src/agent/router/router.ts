/**
 * The weighted router: a TCP server whose connections speak HTTP/1.1 to
 * clients and to the instances of the routing table, relaying bytes without
 * re-encoding them (client.ts and exchange.ts: one request's path;
 * upgrade.ts: WebSocket tunnels). It does not listen by itself; the agent
 * calls `server.listen(port, host)` or `server.listen(handle)` (a hand-over
 * from the previous agent). table.ts says how a new table replaces the old
 * one, context.ts how timeouts and the graceful hand-over work.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { VersionStats } from '../../rollout/contract.js';
import { systemClock, type Clock } from '../../runtime/clock.js';
import { openFileLimit } from '../../runtime/fd-limit.js';
import { DEFAULT_EJECT_AFTER, DEFAULT_MAX_CONNECTIONS, type RouterOptions, type RoutingTable } from '../contract.js';
import { ClientConn, keepAliveLines } from './client.js';
import { connectionBudget, ConnectionCap, MAX_REFUSING } from './connection-cap.js';
import { ClientSet, DEFAULT_TIMEOUTS, type ProxyContext, type RouterTimeouts } from './context.js';
import { Metrics, type MetricsOptions } from './metrics.js';
import { BackendTable } from './table.js';

/** How long an idle client connection stays open once shutdown began. */
export const DEFAULT_IDLE_GRACE_MS = 1000;
/** How long an ejected version stays out of weighted routing; then one failure ejects it again, one success readmits it for good. */
export const DEFAULT_EJECT_MS = 10_000;

export interface Router {
  /** The listening server. The agent calls server.listen(port, host) or server.listen(handle); the router does not listen by itself. */
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
  /** Applies changed settings (sticky cookie, version header, body limit, retry, ejection, connection cap) to the next requests and connections. */
  setOptions(opts: RouterOptions): void;
  /** Closes everything now: listener, client connections, instance connections. */
  close(): Promise<void>;
}

export type CreateRouterOptions = RouterOptions & {
  /** Time of the metric windows. @default systemClock */
  clock?: Clock;
  /** Bucket size and retention of the metric windows. @default 1 s buckets kept 5 minutes */
  metrics?: MetricsOptions;
  /** Client and instance timeouts in seconds. @default DEFAULT_TIMEOUTS */
  timeouts?: Partial<RouterTimeouts>;
  /** How long an ejected version stays out. @default DEFAULT_EJECT_MS */
  ejectMs?: number;
  /** Where the router reports ejections and a full connection cap. */
  log?: (line: string) => void;
  /** The process's open-file limit, which lowers maxConnections (connection-cap.ts); null: unknown. @default openFileLimit() */
  fdLimit?: number | null;
  /** Called when a version is ejected (the router process tells its agent, which tells the rollout's driver). */
  onEject?: (version: string) => void;
};

function ejectAfterOf(opts: RouterOptions): number {
  return opts.ejectAfter === false ? Infinity : (opts.ejectAfter ?? DEFAULT_EJECT_AFTER);
}

/** The cap within the budget, said once when the budget lowers it. */
function capOf(opts: RouterOptions, fdLimit: number | null, log?: (line: string) => void): number {
  const configured = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const max = connectionBudget(configured, fdLimit);
  if (max < configured) log?.(`router: maxConnections ${configured} lowered to ${max}: this process may open ${fdLimit} files, and keeps some for its control socket`);
  return max;
}

export function createRouter(opts: CreateRouterOptions): Router {
  const clock = opts.clock ?? systemClock;
  const metrics = new Metrics(opts.metrics);
  const backends = new BackendTable((version) => metrics.ring(version));
  const timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  const ejectMs = opts.ejectMs ?? DEFAULT_EJECT_MS;
  const stopTimers = new AbortController();
  const ctx: ProxyContext = {
    routing: backends.routing,
    clock,
    bodyLimit: opts.bodyLimit,
    retry: opts.retry,
    stickyCookie: opts.stickyCookie,
    versionHeader: opts.versionHeader,
    closing: false,
    tick: 0,
    timeouts,
    keepAliveLines: keepAliveLines(timeouts.keepAlive),
    ejectAfter: ejectAfterOf(opts),
    eject(version) {
      if (!backends.eject(version)) return;
      opts.log?.(`router: ${version} answered ${ctx.ejectAfter} times in a row with a failure; it gets no weighted traffic for ${ejectMs / 1000}s (the version header still reaches it)`);
      opts.onEject?.(version);
      clock.sleep(ejectMs, stopTimers.signal).then(
        () => backends.readmit(version),
        () => undefined,
      );
    },
    conns: new ClientSet(() => ++ctx.tick),
  };
  backends.onChange = (routing) => (ctx.routing = routing);
  const fdLimit = opts.fdLimit === undefined ? openFileLimit() : opts.fdLimit;
  let configuredMax = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const cap = new ConnectionCap(capOf(opts, fdLimit, opts.log), ctx.conns, clock, opts.log);
  // allowHalfOpen: the connection decides what a client's FIN means (see ClientConn.onEnd), not Node.
  const server = createServer({ noDelay: true, allowHalfOpen: true }, (socket: Socket) => {
    if (cap.admits()) ctx.conns.add(new ClientConn(ctx, socket));
    else cap.refuse(socket);
  });
  // A backstop in the kernel's accept path: beyond it Node closes a connection at once.
  server.maxConnections = cap.max + MAX_REFUSING;

  return {
    server,
    setTable(table) {
      backends.set(table);
      metrics.prune(new Set([...Object.keys(table.weights), ...table.backends.map((b) => b.version)]), clock.now());
    },
    table: () => backends.table(),
    stats: (version, windowMs) => ({ ...metrics.stats(version, clock.now(), windowMs), ejected: backends.isEjected(version) }),
    drain: (id, timeoutMs) => backends.drain(id, timeoutMs),
    inFlight: (id) => backends.inFlight(id),
    async shutdown({ timeoutMs, idleGraceMs = DEFAULT_IDLE_GRACE_MS }) {
      ctx.closing = true;
      if (server.listening) server.close();
      ctx.conns.closeIdleAfter(idleGraceMs);
      if (!(await ctx.conns.whenEmpty(timeoutMs))) ctx.conns.destroyAll();
    },
    setOptions(next) {
      Object.assign(ctx, { stickyCookie: next.stickyCookie, versionHeader: next.versionHeader, bodyLimit: next.bodyLimit, retry: next.retry, ejectAfter: ejectAfterOf(next) });
      const max = next.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
      if (max !== configuredMax) {
        configuredMax = max;
        cap.max = capOf(next, fdLimit, opts.log);
        server.maxConnections = cap.max + MAX_REFUSING;
      }
    },
    async close() {
      ctx.closing = true;
      stopTimers.abort();
      const closed = server.listening ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
      ctx.conns.destroyAll();
      await Promise.all([closed, backends.destroy()]);
    },
  };
}
