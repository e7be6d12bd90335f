/**
 * One client connection to the router: reads request heads off the socket,
 * runs one exchange at a time (pipelined requests wait in the buffer, as
 * HTTP/1.1 requires answers in order), keeps the connection while both sides
 * want it, and closes it gracefully otherwise. Upgrade requests turn the
 * connection into a tunnel.
 */
import type { Socket } from 'node:net';
import type { ProxyContext, Swept } from './context.js';
import { badRequest, errorResponse, type RouterError } from './errors.js';
import { Exchange } from './exchange.js';
import { HEAD_END, MAX_REQUEST_HEAD, parseRequestHead } from './http1.js';
import { Tunnel } from './upgrade.js';

/** Header lines that keep a connection (Node's wording, so clients read the timeout). */
export function keepAliveLines(seconds: number): string {
  return `connection: keep-alive\r\nkeep-alive: timeout=${seconds}\r\n`;
}
export const CLOSE_LINES = 'connection: close\r\n';

/** Why reading from the client is paused (a bit each; reading resumes when none is left). */
export const Pause = { upstream: 1, pending: 2, pipeline: 4 } as const;

/** Pipelined bytes buffered while an exchange runs, before reading pauses. */
const PIPELINE_LIMIT = 64 * 1024;
/** Empty lines tolerated before a request line (RFC 9112 2.2 asks for at least one). */
const MAX_EMPTY_LINES = 64;

const enum State {
  Open,
  Tunnel,
  Closing,
  Closed,
}

/** An LF without its CR in a head that is still arriving: it can never end in CRLFCRLF the way the router reads it. */
function hasBareLf(buf: Buffer): boolean {
  for (let at = buf.indexOf(10); at >= 0; at = buf.indexOf(10, at + 1)) if (at === 0 || buf[at - 1] !== 13) return true;
  return false;
}

export class ClientConn implements Swept {
  exchange: Exchange | null = null;
  /** The client's address, read once (each read is a system call). */
  readonly remoteAddress: string;
  private state = State.Open;
  /** Received and not yet consumed: a partial head, or pipelined requests. */
  private buf: Buffer | null = null;
  private parsing = false;
  private paused = 0;
  private lastTick: number;
  private headTick = -1;
  private closingTick = 0;
  /** Empty lines skipped before the next request line. */
  private emptyLines = 0;

  constructor(
    private readonly ctx: ProxyContext,
    readonly socket: Socket,
  ) {
    this.remoteAddress = socket.remoteAddress ?? '';
    this.lastTick = ctx.tick;
    socket.on('data', this.onData);
    socket.on('end', () => this.onEnd());
    socket.on('drain', () => this.exchange?.onClientDrain());
    socket.on('error', () => undefined); // 'close' follows
    socket.once('close', () => this.onClose());
    if (ctx.closing) ctx.conns.becameIdle(this); // accepted during a shutdown: same grace as the others
  }

  get idle(): boolean {
    return this.state === State.Open && this.exchange === null && this.buf === null;
  }

  get unsent(): number {
    return this.socket.writableLength;
  }

  private readonly onData = (chunk: Buffer): void => {
    this.lastTick = this.ctx.tick;
    if (this.state !== State.Open) return; // closing: read and drop what the client still sends
    const ex = this.exchange;
    if (ex !== null && ex.wantsBody) {
      const rest = ex.onClientBody(chunk);
      if (rest === null || this.state !== State.Open) return;
      chunk = rest;
    }
    this.buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.exchange === null) this.next();
    else if (this.buf.length > PIPELINE_LIMIT) this.pause(Pause.pipeline);
  };

  /** Starts exchanges for the complete heads in the buffer, one at a time. */
  private next(): void {
    if (this.parsing) return;
    this.parsing = true;
    while (this.exchange === null && this.state === State.Open && this.buf !== null) {
      const buf = this.skipEmptyLines(this.buf);
      if (buf === null) break;
      const end = buf.indexOf(HEAD_END);
      if (end < 0 || end > MAX_REQUEST_HEAD) {
        if (buf.length > MAX_REQUEST_HEAD) this.refuse(badRequest(431, `request head over ${MAX_REQUEST_HEAD} bytes`));
        else if (hasBareLf(buf)) this.refuse(badRequest(400, 'a control character or a bare CR/LF in the request head'));
        else if (this.headTick < 0) this.headTick = this.ctx.tick;
        break;
      }
      this.buf = end + 4 < buf.length ? buf.subarray(end + 4) : null;
      this.headTick = -1;
      this.emptyLines = 0;
      const head = parseRequestHead(buf.toString('latin1', 0, end));
      if (head.error) {
        this.refuse(badRequest(head.status, head.reason));
        break;
      }
      this.ctx.conns.busy(this);
      const rest = this.buf;
      this.buf = null;
      if (head.upgrade) {
        this.state = State.Tunnel;
        this.socket.off('data', this.onData);
        new Tunnel(this.ctx, this, head, rest).start();
        break;
      }
      const ex = new Exchange(this.ctx, this, head);
      this.exchange = ex;
      const leftover = ex.start(rest);
      if (leftover !== null) this.buf = this.buf === null ? leftover : Buffer.concat([this.buf, leftover]);
    }
    this.parsing = false;
    if (this.state !== State.Open) return;
    // The buffer was handed on (a new exchange may be waiting for the rest of its body): read again.
    if (this.buf === null || this.buf.length <= PIPELINE_LIMIT) this.resume(Pause.pipeline);
    if (this.exchange === null && this.buf === null) this.ctx.conns.becameIdle(this);
  }

  /**
   * Drops the empty lines before a request line from the buffer (so they are
   * never scanned twice); null when nothing else is left, or when there were
   * too many (the connection is then refused).
   */
  private skipEmptyLines(buf: Buffer): Buffer | null {
    let start = 0;
    while (start + 1 < buf.length && buf[start] === 13 && buf[start + 1] === 10) start += 2;
    if (start === 0) return buf;
    this.emptyLines += start / 2;
    if (this.emptyLines > MAX_EMPTY_LINES) {
      this.refuse(badRequest(400, `more than ${MAX_EMPTY_LINES} empty lines before a request line`));
      return null;
    }
    this.buf = start < buf.length ? buf.subarray(start) : null;
    return this.buf;
  }

  /** The exchange is over; `keep`: the connection stays open for the next request. */
  exchangeDone(keep: boolean): void {
    this.exchange = null;
    this.lastTick = this.ctx.tick;
    this.resume(Pause.upstream | Pause.pending);
    if (!keep || this.ctx.closing) this.closeGracefully();
    else this.next();
  }

  /** Writes the router's own answer; the connection stays open when `keep`; `headOnly` for a HEAD request. */
  answer(error: RouterError, keep: boolean, headOnly = false): void {
    const close = !keep || this.ctx.closing;
    this.socket.write(errorResponse(error, close ? CLOSE_LINES : this.ctx.keepAliveLines, headOnly));
  }

  /** A request the router cannot read or forward: answer and close. */
  private refuse(error: RouterError): void {
    this.buf = null;
    this.answer(error, false);
    this.closeGracefully();
  }

  pause(reason: number): void {
    if (this.paused === 0) this.socket.pause();
    this.paused |= reason;
  }

  resume(reasons: number): void {
    if (this.paused === 0) return;
    this.paused &= ~reasons;
    if (this.paused !== 0) return;
    this.socket.resume();
    this.lastTick = this.ctx.tick; // the client's silence while paused was the router's doing
  }

  /** Ends the connection after what was written, reading and dropping what still comes for a moment (so the client reads the answer instead of a reset). */
  closeGracefully(): void {
    if (this.state === State.Closing || this.state === State.Closed) return;
    this.state = State.Closing;
    this.closingTick = this.ctx.tick;
    this.buf = null;
    this.paused = 0;
    this.socket.resume();
    this.socket.end();
  }

  /**
   * The client sent FIN. Idle: close our side too. During an exchange: the
   * client is gone, as Node's HTTP server also reads it (no half-open HTTP).
   */
  private onEnd(): void {
    if (this.state === State.Tunnel) return;
    if (this.idle) this.closeGracefully();
    else this.destroy();
  }

  private onClose(): void {
    this.state = State.Closed;
    this.ctx.conns.delete(this);
    const ex = this.exchange;
    this.exchange = null;
    ex?.clientClosed();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Applies the timeouts; a tick is a second, and a span counts as over once it is more than N ticks old (N to N + 1 s). */
  sweep(tick: number): void {
    const limits = this.ctx.timeouts;
    switch (this.state) {
      case State.Closing:
        if (tick - this.closingTick > limits.linger) this.destroy();
        return;
      case State.Open:
        if (this.exchange !== null) {
          // (Not while the router itself holds the body back: reading is paused then.)
          if (this.exchange.wantsBody && this.paused === 0 && tick - this.lastTick > limits.head) this.exchange.bodyTimedOut(limits.head);
          else if (this.exchange.waitingSince >= 0 && tick - this.exchange.waitingSince > limits.response) this.exchange.responseTimedOut();
        } else if (this.headTick >= 0) {
          if (tick - this.headTick > limits.head) this.refuse(badRequest(408, `no complete request head within ${limits.head} s`));
        } else if (tick - this.lastTick > limits.keepAlive) {
          this.destroy();
        }
        return;
    }
  }
}
