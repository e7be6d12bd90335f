/**
 * The client connections of the router's server: which requests each one
 * carries (so that a closed connection aborts them, with one listener per
 * connection instead of one per request), and, for a graceful hand-over,
 * which are busy (a request in progress, or an upgraded WebSocket) and which
 * are idle keep-alive connections. Idle timers only start once shutdown began.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

const kConn = Symbol('shipgate.connection');

/** A request in progress on a connection. */
export interface Exchange {
  /** The client connection closed before the exchange ended. */
  clientClosed(): void;
}

interface ConnState {
  /** Requests not answered yet. */
  active: number;
  /** The request in progress (the usual case), and any pipelined behind it. */
  current: Exchange | null;
  others: Set<Exchange> | null;
  upgraded: boolean;
  /** Pending idle close (shutdown only). */
  idleTimer: NodeJS.Timeout | null;
}

type TrackedSocket = Socket & { [kConn]: ConnState };

export class Connections {
  private readonly sockets = new Set<TrackedSocket>();
  private emptyWaiters: (() => void)[] = [];
  /** Set by {@link closeIdleAfter}: connections going idle from now on are closed after this long. */
  private idleGraceMs: number | null = null;

  constructor(server: Server) {
    server.on('connection', (socket: Socket) => this.add(socket as TrackedSocket));
  }

  get size(): number {
    return this.sockets.size;
  }

  private add(socket: TrackedSocket): void {
    const state: ConnState = { active: 0, current: null, others: null, upgraded: false, idleTimer: null };
    socket[kConn] = state;
    this.sockets.add(socket);
    socket.once('close', () => {
      if (state.idleTimer !== null) clearTimeout(state.idleTimer);
      this.sockets.delete(socket);
      state.current?.clientClosed();
      state.others?.forEach((ex) => ex.clientClosed());
      if (this.sockets.size === 0) this.wakeEmpty();
    });
    if (this.idleGraceMs !== null) this.scheduleIdleClose(socket);
  }

  requestStarted(socket: Socket, ex: Exchange): void {
    const state = (socket as TrackedSocket)[kConn];
    if (state === undefined) return;
    state.active++;
    if (state.current === null) state.current = ex;
    else (state.others ??= new Set()).add(ex);
    if (state.idleTimer !== null) {
      clearTimeout(state.idleTimer);
      state.idleTimer = null;
    }
  }

  /** The exchange answered (or gave up); call once per requestStarted. */
  requestEnded(socket: Socket, ex: Exchange): void {
    const state = (socket as TrackedSocket)[kConn];
    if (state === undefined) return;
    if (state.current === ex) state.current = null;
    else state.others?.delete(ex);
    if (--state.active === 0 && this.idleGraceMs !== null) this.scheduleIdleClose(socket as TrackedSocket);
  }

  /** The socket now carries a WebSocket (or other upgraded protocol): busy until it closes. */
  upgraded(socket: Socket): void {
    const state = (socket as TrackedSocket)[kConn];
    if (state !== undefined) state.upgraded = true;
  }

  /**
   * From now on, close every connection that stays idle for `graceMs`
   * (counted from now for connections idle already). The grace lets a client
   * that is about to reuse the connection send its request and get an answer
   * with `Connection: close`, instead of racing a closing socket.
   */
  closeIdleAfter(graceMs: number): void {
    this.idleGraceMs = graceMs;
    for (const socket of this.sockets) this.scheduleIdleClose(socket);
  }

  private scheduleIdleClose(socket: TrackedSocket): void {
    const state = socket[kConn];
    if (state.active > 0 || state.upgraded || state.idleTimer !== null || socket.destroyed) return;
    state.idleTimer = setTimeout(() => {
      state.idleTimer = null;
      if (state.active > 0 || state.upgraded) return;
      // The last answer may still be on its way to a slow client: look again later.
      if (socket.writableLength > 0) this.scheduleIdleClose(socket);
      else socket.destroy();
    }, this.idleGraceMs ?? 0);
  }

  /** Resolves when no connection is left, or after `timeoutMs` (false then). */
  whenEmpty(timeoutMs: number): Promise<boolean> {
    if (this.sockets.size === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.emptyWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private wakeEmpty(): void {
    const waiters = this.emptyWaiters;
    this.emptyWaiters = [];
    for (const wake of waiters) wake();
  }

  destroyAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }
}
