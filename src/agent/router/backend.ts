/**
 * One instance as the router tracks it: its keep-alive connections, its
 * in-flight count, and whether it may take new requests. Connections are
 * opened on demand, one request at a time each (no pipelining: unsafe with
 * arbitrary apps), and kept while the instance keeps them. Closing the pool
 * (the backend drains or leaves the table) closes idle connections at once and
 * busy ones after their exchange.
 */
import type { Backend } from '../contract.js';
import { setLongTimeout } from '../../runtime/long-timer.js';
import { UpstreamConn, type UpstreamOwner } from './upstream.js';

/** The generation of tunnel connections: never pooled, and closing the pool does not wait for them. */
const TUNNEL = -1;

export class BackendState implements UpstreamOwner {
  readonly id: string;
  readonly version: string;
  readonly host: string;
  readonly port: number;
  /** `v1.2.0/instance 2 (127.0.0.1:41234)`: how error messages name it. */
  readonly label: string;
  ready: boolean;
  /** The table says it drains. */
  draining: boolean;
  /** The router drains it (drain() or removed from the table): never available again. */
  retired = false;
  inFlight = 0;
  /** Every open connection; `idle` holds the reusable ones, most recently used last. */
  private readonly conns = new Set<UpstreamConn>();
  private readonly idle: UpstreamConn[] = [];
  /** Bumped by closePool: connections of older generations are never reused. */
  private generation = 0;
  private idleWaiters: (() => void)[] | null = null;
  private closedWaiters: (() => void)[] | null = null;

  constructor(b: Backend) {
    this.id = b.id;
    this.version = b.version;
    this.host = b.host;
    this.port = b.port;
    this.label = `${b.version}/instance ${instanceName(b.id, b.version)} (${hostPort(b.host, b.port)})`;
    this.ready = b.ready;
    this.draining = b.draining;
  }

  /** May take new requests. */
  get available(): boolean {
    return this.ready && !this.draining && !this.retired;
  }

  /** Same instance (id and address) as `b`. */
  sameAs(b: Backend): boolean {
    return b.id === this.id && b.host === this.host && b.port === this.port && b.version === this.version;
  }

  /** A connection for one exchange: the freshest idle one still worth reusing (unless `fresh`), or a new one. */
  acquire(nowMs: number, fresh = false): UpstreamConn {
    const idle = this.idle;
    while (!fresh && idle.length > 0) {
      const conn = idle.pop()!;
      if (nowMs - conn.idleSince < conn.reuseMs && !conn.socket.destroyed) return conn;
      conn.socket.destroy();
    }
    const conn = new UpstreamConn(this.host, this.port, this, this.generation);
    this.conns.add(conn);
    return conn;
  }

  /** A plain connection outside the pool (a WebSocket tunnel); counted until it closes. */
  open(): UpstreamConn {
    const conn = new UpstreamConn(this.host, this.port, this, TUNNEL);
    this.conns.add(conn);
    return conn;
  }

  /** Back from an exchange: pooled when `reusable` and the pool was not closed since, else closed. */
  release(conn: UpstreamConn, reusable: boolean, nowMs: number): void {
    conn.user = null;
    if (!reusable || conn.generation !== this.generation || this.retired || conn.socket.destroyed) {
      conn.socket.destroy();
      return;
    }
    conn.reused = true;
    conn.idleSince = nowMs;
    this.idle.push(conn);
  }

  /** A connection closed (UpstreamOwner). */
  forget(conn: UpstreamConn): void {
    this.conns.delete(conn);
    const at = this.idle.indexOf(conn);
    if (at >= 0) this.idle.splice(at, 1);
    if (this.closedWaiters !== null && this.oldConnsGone()) {
      const waiters = this.closedWaiters;
      this.closedWaiters = null;
      for (const wake of waiters) wake();
    }
  }

  private oldConnsGone(): boolean {
    for (const conn of this.conns) if (conn.generation !== TUNNEL && conn.generation !== this.generation) return false;
    return true;
  }

  /** Called when a request (or an upgraded connection) to this backend ends. */
  done(): void {
    if (--this.inFlight === 0 && this.idleWaiters !== null) {
      const waiters = this.idleWaiters;
      this.idleWaiters = null;
      for (const wake of waiters) wake();
    }
  }

  /** Resolves when nothing is in flight, or after `timeoutMs`. */
  whenIdle(timeoutMs: number): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = Number.isFinite(timeoutMs) ? setLongTimeout(resolve, timeoutMs) : null;
      (this.idleWaiters ??= []).push(() => {
        timer?.clear();
        resolve();
      });
    });
  }

  /**
   * Closes the pool: idle keep-alive connections close now, busy ones after
   * their exchange. Resolves when they are all closed. Later requests (if the
   * backend becomes available again) open new connections.
   */
  closePool(): Promise<void> {
    this.generation++;
    for (const conn of this.idle.splice(0)) conn.socket.destroy();
    if (this.oldConnsGone()) return Promise.resolve();
    return new Promise<void>((resolve) => (this.closedWaiters ??= []).push(resolve));
  }

  /** Closes every connection at once (router close). */
  destroyPool(): Promise<void> {
    const closed = this.closePool();
    for (const conn of this.conns) conn.socket.destroy();
    return closed;
  }
}

/** `2` for id `v1.2.0-2` of version `v1.2.0`; the id itself otherwise. */
function instanceName(id: string, version: string): string {
  if (id.startsWith(version) && id.length > version.length) {
    const rest = id.slice(version.length).replace(/^[-_/.:#]+/, '');
    if (rest !== '') return rest;
  }
  return id;
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
