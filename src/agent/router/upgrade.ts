/**
 * WebSocket (and any other `Connection: Upgrade`) pass-through. The router
 * picks the instance as for any request, opens a connection of its own to it
 * (outside the keep-alive pool), writes the request head (with X-Forwarded-*)
 * and whatever followed it, then relays bytes both ways with backpressure.
 * The instance's answer (101 or a refusal) reaches the client byte for byte.
 * A refused connection is retried once on another instance.
 */
import { BackendState } from './backend.js';
import type { ClientConn } from './client.js';
import type { ProxyContext } from './context.js';
import { describeUpstreamError, upstreamError, type RouterError } from './errors.js';
import type { RequestHead } from './http1.js';
import { RoutedRequest } from './routed.js';
import type { UpstreamConn, UpstreamUser } from './upstream.js';

export class Tunnel extends RoutedRequest implements UpstreamUser {
  private up: UpstreamConn | null = null;
  private requestHead = '';
  private answered = false;

  constructor(
    ctx: ProxyContext,
    conn: ClientConn,
    head: RequestHead,
    /** Bytes that followed the head (the first frames, if the client did not wait). */
    private rest: Buffer | null,
  ) {
    super(ctx, conn, head);
  }

  start(): void {
    const client = this.conn.socket;
    client.pause(); // nothing may be read before the instance's side is open
    client.on('data', (chunk: Buffer) => {
      if (this.up !== null && !this.up.socket.write(chunk)) client.pause();
    });
    client.on('drain', () => this.up?.socket.resume());
    client.on('end', () => this.up?.socket.end());
    client.once('close', () => this.up?.socket.destroy());
    const backend = this.choose(true);
    if (!(backend instanceof BackendState)) return this.refuse(backend);
    this.requestHead = this.upstreamHead();
    this.open(backend);
  }

  private open(backend: BackendState): void {
    this.backend = backend;
    backend.inFlight++;
    this.started = performance.now();
    const up = backend.open();
    up.user = this;
    this.up = up;
  }

  onUpstreamConnect(): void {
    const socket = this.up!.socket;
    socket.write(this.requestHead, 'latin1');
    if (this.rest !== null) socket.write(this.rest);
    this.rest = null;
    this.conn.socket.resume();
  }

  onUpstreamData(chunk: Buffer): void {
    if (!this.answered) this.record(chunk);
    if (!this.conn.socket.write(chunk)) this.up!.socket.pause();
  }

  onUpstreamDrain(): void {
    this.conn.socket.resume();
  }

  /** Counts the instance's answer (`HTTP/1.1 101 ...`) in the version's figures. */
  private record(chunk: Buffer): void {
    this.answered = true;
    const status = chunk.length >= 12 ? Number(chunk.toString('latin1', 9, 12)) : NaN;
    if (Number.isInteger(status)) this.countAnswer(status);
  }

  onUpstreamClose(error: NodeJS.ErrnoException | null): void {
    const up = this.up!;
    this.up = null;
    this.backend!.done();
    if (up.connected) {
      if (error !== null || !this.answered) this.conn.socket.destroy();
      else this.conn.socket.end();
      return;
    }
    if (this.conn.socket.destroyed) return;
    const canRetry = this.ctx.retry && this.firstTried === null && this.head.method === 'GET' && describeUpstreamError(error).refused;
    const other = canRetry ? this.otherInstance() : null;
    if (other !== null) {
      this.firstTried = this.backend;
      return this.open(other);
    }
    this.countFailure();
    this.refuse(upstreamError(error, this.backend!.label, this.firstTried?.label));
  }

  private refuse(error: RouterError): void {
    this.conn.answer(error, false);
    this.conn.closeGracefully();
  }
}
