/**
 * What every connection and exchange of one router shares: the routing, the
 * settings, and the set of client connections with its one-second sweep
 * (keep-alive idle timeout, slow request heads, instances that never answer,
 * lingering closes). A coarse tick instead of a timer per request keeps
 * timeouts off the hot path.
 */
import type { Clock } from '../../runtime/clock.js';
import type { ChooseOptions } from './choose.js';
import type { Routing } from './routing.js';

/** The router's timeouts, in whole seconds (the sweep's resolution). */
export interface RouterTimeouts {
  /** A keep-alive client connection may idle this long; announced as `Keep-Alive: timeout=N`, closed within a second after. */
  keepAlive: number;
  /** A client may take this long to send a request head once it began (Node's default headersTimeout), or pause this long within a request body: else 408. */
  head: number;
  /** An instance may take this long to start its answer (undici's default headersTimeout): else 504. */
  response: number;
  /** A closing connection waits this long for the client to close its side. */
  linger: number;
}

export const DEFAULT_TIMEOUTS: RouterTimeouts = { keepAlive: 5, head: 60, response: 300, linger: 2 };
const SWEEP_MS = 1000;

/** A client connection as the sweep sees it. */
export interface Swept {
  /** Called once per sweep with the current tick. */
  sweep(tick: number): void;
  /** No request in progress and nothing buffered. */
  readonly idle: boolean;
  /** Closes it now. */
  destroy(): void;
  /** Bytes accepted for the client but not yet sent. */
  readonly unsent: number;
}

export interface ProxyContext extends ChooseOptions {
  routing: Routing;
  readonly clock: Clock;
  bodyLimit: number;
  retry: boolean;
  /** Shutdown has begun: every answer carries `Connection: close`. */
  closing: boolean;
  /** Seconds since the router started, advanced by the sweep. */
  tick: number;
  readonly timeouts: RouterTimeouts;
  /** The header lines that keep a client connection (they announce the keep-alive timeout). */
  readonly keepAliveLines: string;
  /** Failed answers in a row after which a version is ejected (Infinity: never). */
  ejectAfter: number;
  /** Takes a version that keeps failing out of weighted routing for a while (see table.ts). */
  eject(version: string): void;
  readonly conns: ClientSet;
}

/** The open client connections: the sweep, the graceful close of a shutdown, and which one has idled longest (connection-cap.ts). */
export class ClientSet {
  private readonly all = new Set<Swept>();
  /**
   * Connections that went idle, longest idle first (a Set keeps insertion
   * order). Kept loosely: one that got busy again without saying so (the
   * first bytes of a head) is skipped when met.
   */
  private readonly idleOrder = new Set<Swept>();
  private timer: NodeJS.Timeout | null = null;
  private emptyWaiters: (() => void)[] = [];
  /** Set by {@link closeIdleAfter}: connections idle from then on close after this long. */
  private idleGraceMs: number | null = null;
  private readonly graceTimers = new Map<Swept, NodeJS.Timeout>();

  /** `advance` moves the shared tick on by one and returns it. */
  constructor(private readonly advance: () => number) {}

  get size(): number {
    return this.all.size;
  }

  add(conn: Swept): void {
    this.all.add(conn);
    this.idleOrder.add(conn); // nothing sent yet: idle
    if (this.timer === null) {
      this.timer = setInterval(() => this.sweep(), SWEEP_MS);
      this.timer.unref();
    }
  }

  delete(conn: Swept): void {
    this.all.delete(conn);
    this.idleOrder.delete(conn);
    this.clearGrace(conn);
    if (this.all.size > 0) return;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    const waiters = this.emptyWaiters;
    this.emptyWaiters = [];
    for (const wake of waiters) wake();
  }

  private sweep(): void {
    const tick = this.advance();
    for (const conn of this.all) conn.sweep(tick);
  }

  /**
   * From now on, close every connection that stays idle for `graceMs`
   * (counted from now for connections idle already). The grace lets a client
   * that is about to reuse the connection send its request and get an answer
   * with `Connection: close`, instead of racing a closing socket.
   */
  closeIdleAfter(graceMs: number): void {
    this.idleGraceMs = graceMs;
    for (const conn of this.all) if (conn.idle) this.becameIdle(conn);
  }

  /** A connection went idle (its exchange ended, it stays open). */
  becameIdle(conn: Swept): void {
    this.idleOrder.delete(conn);
    this.idleOrder.add(conn);
    if (this.idleGraceMs === null || this.graceTimers.has(conn)) return;
    const timer = setTimeout(() => {
      this.graceTimers.delete(conn);
      if (!conn.idle) return;
      // The last answer may still be on its way to a slow client: look again later.
      if (conn.unsent > 0) this.becameIdle(conn);
      else conn.destroy();
    }, this.idleGraceMs);
    this.graceTimers.set(conn, timer);
  }

  /** A request arrived on the connection: no idle close. */
  busy(conn: Swept): void {
    this.idleOrder.delete(conn);
    if (this.graceTimers.size > 0) this.clearGrace(conn);
  }

  /** Closes the connection idle longest to make room for a new one; false when none is idle. */
  closeOldestIdle(): boolean {
    let draining: Swept[] | null = null;
    let closed = false;
    for (const conn of this.idleOrder) {
      this.idleOrder.delete(conn);
      if (!conn.idle) continue; // busy again: back in the order when it next goes idle
      if (conn.unsent > 0) {
        (draining ??= []).push(conn); // its last answer is still on the way: not a candidate yet
        continue;
      }
      conn.destroy();
      closed = true;
      break;
    }
    if (draining !== null) for (const conn of draining) this.idleOrder.add(conn);
    return closed;
  }

  private clearGrace(conn: Swept): void {
    const timer = this.graceTimers.get(conn);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.graceTimers.delete(conn);
  }

  /** Resolves when no connection is left, or after `timeoutMs` (false then). */
  whenEmpty(timeoutMs: number): Promise<boolean> {
    if (this.all.size === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.emptyWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  destroyAll(): void {
    for (const conn of this.all) conn.destroy();
  }
}
