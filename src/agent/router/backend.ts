/**
 * One instance as the router tracks it: its keep-alive pool, its in-flight
 * count, and whether it may take new requests. The pool is created on first
 * use and closed gracefully (in-flight requests finish, idle sockets close)
 * when the backend drains or leaves the table.
 */
import { Pool } from 'undici';
import type { Backend } from '../contract.js';

/** undici Pool settings for instances on this host. */
export const POOL_OPTIONS: Pool.Options = {
  // One request per connection at a time: HTTP/1.1 pipelining is unsafe with arbitrary apps.
  pipelining: 1,
  // Server-sent events and long polls may stay quiet for long; the client side decides when to give up.
  bodyTimeout: 0,
  connectTimeout: 5_000,
};

export class BackendState {
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
  private pool: Pool | null = null;
  private idleWaiters: (() => void)[] | null = null;

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

  dispatcher(): Pool {
    return (this.pool ??= new Pool(`http://${hostPort(this.host, this.port)}`, POOL_OPTIONS));
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
      const timer = Number.isFinite(timeoutMs) ? setTimeout(resolve, Math.max(0, timeoutMs)) : null;
      (this.idleWaiters ??= []).push(() => {
        if (timer !== null) clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Closes the pool: idle keep-alive sockets close now, busy ones after their
   * request. Resolves when it is closed. A later dispatcher() opens a new pool.
   */
  async closePool(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    if (pool !== null) await pool.close();
  }

  /** Closes every socket of the pool at once (router close). */
  async destroyPool(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    if (pool !== null) await pool.destroy();
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
