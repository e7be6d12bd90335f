/**
 * One keep-alive TCP connection from the router to an instance. Its socket
 * listeners are attached once and hand every event to the exchange that
 * currently uses the connection (none while it idles in its backend's pool).
 * Data or a close while idle simply ends it: the pool never hands out a
 * connection the instance has given up.
 */
import { connect, type Socket } from 'node:net';

/** How long a connection may take to open. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** How long an idle connection is reused when the instance gives no `Keep-Alive: timeout` (undici's default). */
export const DEFAULT_IDLE_REUSE_MS = 4_000;
/** Stop reusing a connection this long before the instance's announced keep-alive timeout. */
export const IDLE_REUSE_MARGIN_MS = 1_000;

/** What a connection reports to the exchange using it. */
export interface UpstreamUser {
  onUpstreamConnect(): void;
  onUpstreamData(chunk: Buffer): void;
  onUpstreamDrain(): void;
  /** The connection closed; `error` is what broke it, null for a clean end. */
  onUpstreamClose(error: NodeJS.ErrnoException | null): void;
}

/** Where a connection goes back to (the backend's pool). */
export interface UpstreamOwner {
  forget(conn: UpstreamConn): void;
}

export class UpstreamConn {
  readonly socket: Socket;
  user: UpstreamUser | null = null;
  connected = false;
  /** Served a request before: the instance may have closed it in the meantime. */
  reused = false;
  idleSince = 0;
  /** How long it may idle and still be reused. */
  reuseMs = DEFAULT_IDLE_REUSE_MS;
  private error: NodeJS.ErrnoException | null = null;

  constructor(
    host: string,
    port: number,
    private readonly owner: UpstreamOwner,
    /** The pool generation it belongs to (a closed pool's connections are never reused). */
    readonly generation: number,
  ) {
    const socket = connect({ host, port, noDelay: true });
    this.socket = socket;
    socket.setTimeout(CONNECT_TIMEOUT_MS);
    socket.on('timeout', () => this.onTimeout());
    socket.once('connect', () => this.onConnect());
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.user?.onUpstreamDrain());
    socket.on('error', (err: NodeJS.ErrnoException) => (this.error ??= err));
    socket.once('close', () => this.onClose());
  }

  private onConnect(): void {
    this.connected = true;
    this.socket.setTimeout(0);
    this.user?.onUpstreamConnect();
  }

  private onTimeout(): void {
    if (this.connected) return;
    const err: NodeJS.ErrnoException = new Error('connect timed out');
    err.code = 'ETIMEDOUT';
    this.socket.destroy(err);
  }

  private onData(chunk: Buffer): void {
    if (this.user !== null) this.user.onUpstreamData(chunk);
    else this.socket.destroy(); // nothing was asked: the connection is out of step
  }

  private onClose(): void {
    this.owner.forget(this);
    const user = this.user;
    this.user = null;
    user?.onUpstreamClose(this.error);
  }

  /** Sets how long it may idle, from the instance's `Keep-Alive: timeout` (ms, -1 when none). */
  setReuseHint(hintMs: number): void {
    this.reuseMs = hintMs < 0 ? DEFAULT_IDLE_REUSE_MS : Math.max(0, hintMs - IDLE_REUSE_MARGIN_MS);
  }
}
