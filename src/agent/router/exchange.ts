/**
 * One proxied request: choose a version and an instance, write the request
 * head and body to a keep-alive connection to the instance, read the answer's
 * head, rewrite it (hop-by-hop headers, sticky cookie, Connection) and relay
 * the body byte for byte as it arrives: no buffering, so server-sent events
 * flow chunk by chunk, and backpressure holds on both sides.
 *
 * Retries, never with a body already sent and only for idempotent methods:
 * once on another instance when the connection is refused, and once on a new
 * connection when a reused keep-alive connection turns out to be closed by
 * the instance before it answered (the race every keep-alive client has).
 *
 * All state lives on this one object, and the socket listeners stay on the
 * connections (see client.ts and upstream.ts), so a request allocates little.
 */
import { BackendState } from './backend.js';
import { BROKEN, ChunkedScanner, NEED_MORE } from './chunked.js';
import { stickyCookieHeader } from './choose.js';
import { CLOSE_LINES, Pause, type ClientConn } from './client.js';
import type { ProxyContext } from './context.js';
import { badRequest, bodyTooLarge, describeUpstreamError, HEADERS_TIMEOUT, PROTOCOL, RESET, upstreamError, upstreamFailure, type RouterError } from './errors.js';
import { responseHeaderLines } from './headers.js';
import { HEAD_END, MAX_RESPONSE_HEAD, parseResponseHead, type RequestHead, type ResponseHead } from './http1.js';
import { RoutedRequest } from './routed.js';
import type { UpstreamConn, UpstreamUser } from './upstream.js';

/** Methods a retry may repeat (RFC 9110 9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** Body bytes held while the connection to the instance opens, before reading from the client pauses. */
const PENDING_LIMIT = 64 * 1024;
/** Answers up to this size go out as one buffer with their head; larger ones as two writes. */
const COALESCE_LIMIT = 16 * 1024;

const enum Body {
  None,
  Length,
  Chunked,
  UntilClose,
}

export class Exchange extends RoutedRequest implements UpstreamUser {
  /** The sweep tick since which the instance's answer is awaited, -1 when not waiting. */
  waitingSince = -1;

  /** The connection to the instance, while this exchange uses it. */
  private up: UpstreamConn | null = null;
  /** backend.inFlight counts this exchange. */
  private holding = false;
  private upHead = '';
  private finished = false;
  private retriedStale = false;

  // The request body.
  private bodyDone: boolean;
  private bodyLeft: number;
  private readonly reqScanner: ChunkedScanner | null;
  /** Body bytes received before the request head went out (replayed on a retry). */
  private pending: Buffer[] | null = null;
  private pendingBytes = 0;
  private headSent = false;
  /** Body bytes were written to an instance: no retry from here on. */
  private bodySent = false;
  /** The whole body was in `pending` when the head went out: a new connection can be sent it again. */
  private canReplay = false;

  // The answer.
  private partialHead: Buffer | null = null;
  private responding = false;
  private gotBytes = false;
  private mode = Body.None;
  private respLeft = 0;
  private respScanner: ChunkedScanner | null = null;
  private keepClient = false;
  private reuseUpstream = false;
  private upstreamPaused = false;

  constructor(ctx: ProxyContext, conn: ClientConn, head: RequestHead) {
    super(ctx, conn, head);
    this.reqScanner = head.chunked ? new ChunkedScanner() : null;
    this.bodyLeft = head.contentLength > 0 ? head.contentLength : 0;
    this.bodyDone = !head.chunked && this.bodyLeft === 0;
  }

  /** More of the request body is expected from the client. */
  get wantsBody(): boolean {
    return !this.bodyDone && !this.finished;
  }

  /** Starts the exchange with the bytes that followed the head; returns what is left after this request's body. */
  start(rest: Buffer | null): Buffer | null {
    const { ctx, head } = this;
    if (head.contentLength > ctx.bodyLimit) {
      this.fail(bodyTooLarge(ctx.bodyLimit), false);
      return null;
    }
    const backend = this.choose(false);
    if (!(backend instanceof BackendState)) {
      this.fail(backend, this.bodyDone);
      return this.bodyDone ? rest : null; // a kept connection serves the pipelined requests that follow
    }
    this.upHead = this.upstreamHead();
    if (head.expectContinue && !this.bodyDone) this.conn.socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
    const leftover = rest === null || this.bodyDone ? rest : this.onClientBody(rest);
    if (!this.finished) this.dispatch(backend);
    return leftover;
  }

  private dispatch(backend: BackendState): void {
    this.backend = backend;
    backend.inFlight++;
    this.holding = true;
    this.started = performance.now();
    this.waitingSince = this.ctx.tick;
    const up = backend.acquire(this.started, this.retriedStale);
    up.user = this;
    this.up = up;
    if (up.connected) this.sendHead();
  }

  onUpstreamConnect(): void {
    if (!this.headSent) this.sendHead();
  }

  private sendHead(): void {
    const socket = this.up!.socket;
    this.headSent = true;
    const pending = this.pending;
    if (pending === null) {
      this.canReplay = this.bodyDone;
      socket.write(this.upHead, 'latin1');
      return;
    }
    socket.cork();
    socket.write(this.upHead, 'latin1');
    for (const chunk of pending) socket.write(chunk);
    socket.uncork();
    this.bodySent = this.pendingBytes > 0;
    // A complete body stays for a replay on a new connection (see onUpstreamClose).
    this.canReplay = this.bodyDone;
    if (!this.bodyDone) {
      this.pending = null;
      this.pendingBytes = 0;
    }
    this.conn.resume(Pause.pending);
    if (socket.writableNeedDrain) this.conn.pause(Pause.upstream);
  }

  /** Request body bytes from the client; returns the bytes after the body's end (the next request), or null. */
  onClientBody(chunk: Buffer): Buffer | null {
    let part = chunk;
    let leftover: Buffer | null = null;
    const scanner = this.reqScanner;
    if (scanner !== null) {
      const end = scanner.scan(chunk, 0, chunk.length);
      if (end === BROKEN) {
        this.bodyFailed(badRequest(400, `malformed chunked body: ${scanner.error}`));
        return null;
      }
      if (scanner.payload > this.ctx.bodyLimit) {
        this.bodyFailed(bodyTooLarge(this.ctx.bodyLimit));
        return null;
      }
      if (end !== NEED_MORE) {
        this.bodyDone = true;
        if (end < chunk.length) {
          part = chunk.subarray(0, end);
          leftover = chunk.subarray(end);
        }
      }
    } else if (chunk.length >= this.bodyLeft) {
      if (chunk.length > this.bodyLeft) {
        part = chunk.subarray(0, this.bodyLeft);
        leftover = chunk.subarray(this.bodyLeft);
      }
      this.bodyLeft = 0;
      this.bodyDone = true;
    } else {
      this.bodyLeft -= chunk.length;
    }
    this.forwardBody(part);
    return leftover;
  }

  private forwardBody(part: Buffer): void {
    if (part.length === 0) return;
    if (this.headSent && this.up !== null) {
      this.bodySent = true;
      if (!this.up.socket.write(part)) this.conn.pause(Pause.upstream);
      return;
    }
    (this.pending ??= []).push(part);
    this.pendingBytes += part.length;
    if (this.pendingBytes > PENDING_LIMIT) this.conn.pause(Pause.pending);
  }

  onUpstreamDrain(): void {
    this.conn.resume(Pause.upstream);
  }

  onClientDrain(): void {
    if (!this.upstreamPaused) return;
    this.upstreamPaused = false;
    this.up?.socket.resume();
  }

  onUpstreamData(chunk: Buffer): void {
    this.gotBytes = true;
    if (this.responding) this.relay(chunk, 0, false);
    else this.readHead(chunk);
  }

  /** Collects the answer's head (skipping interim 1xx answers), then starts the answer. */
  private readHead(chunk: Buffer): void {
    let buf = this.partialHead === null ? chunk : Buffer.concat([this.partialHead, chunk]);
    for (;;) {
      const end = buf.indexOf(HEAD_END);
      if (end < 0) {
        if (buf.length > MAX_RESPONSE_HEAD) return this.upstreamBroken(`a response head over ${MAX_RESPONSE_HEAD} bytes`);
        this.partialHead = buf;
        return;
      }
      const head = parseResponseHead(buf.toString('latin1', 0, end));
      if (head.error) return this.upstreamBroken(head.reason);
      const bodyAt = end + 4;
      if (head.status >= 200) {
        this.partialHead = null;
        return this.respond(head, buf, bodyAt);
      }
      if (head.status < 100) return this.upstreamBroken(`a status of ${head.status}`);
      if (head.status === 101) return this.upstreamBroken('101 Switching Protocols to a request that did not ask for it');
      // 100 Continue was answered by the router already; other interim answers (103 Early Hints) reach HTTP/1.1 clients.
      if (head.status !== 100 && this.head.minor === 1) this.conn.socket.write(`HTTP/1.1 ${head.status} ${head.reason}\r\n${responseHeaderLines(head.headers, false)}\r\n`, 'latin1');
      if (bodyAt >= buf.length) {
        this.partialHead = null;
        return;
      }
      buf = buf.subarray(bodyAt);
    }
  }

  private respond(head: ResponseHead, buf: Buffer, bodyAt: number): void {
    const ctx = this.ctx;
    this.responding = true;
    this.waitingSince = -1;
    const noBody = this.head.method === 'HEAD' || head.status === 204 || head.status === 304;
    this.mode = noBody ? Body.None : head.chunked ? Body.Chunked : head.otherCoding || head.contentLength < 0 ? Body.UntilClose : Body.Length;
    if (this.mode === Body.Chunked) this.respScanner = new ChunkedScanner();
    this.respLeft = head.contentLength;
    this.up!.setReuseHint(head.keepAliveHintMs);
    this.reuseUpstream = head.keepAlive && this.mode !== Body.UntilClose;
    // An HTTP/1.0 client cannot read chunked framing; such an answer (to a request sent as HTTP/1.0) ends with the connection.
    const framedForClient = this.mode !== Body.UntilClose && (this.head.minor === 1 || this.mode !== Body.Chunked);
    this.keepClient = this.head.keepAlive && framedForClient && this.bodyDone && !ctx.closing;
    let out = `HTTP/1.1 ${head.status} ${head.reason}\r\n${responseHeaderLines(head.headers, head.chunked || head.otherCoding)}`;
    if (this.setCookie !== '' && ctx.stickyCookie !== false) out += `set-cookie: ${stickyCookieHeader(ctx.stickyCookie, this.setCookie)}\r\n`;
    out += this.keepClient ? `${ctx.keepAliveLines}\r\n` : `${CLOSE_LINES}\r\n`;
    this.relay(buf, bodyAt, true, out);
    if (this.responding) this.countAnswer(head.status); // not when the first body bytes were already broken (counted as a failure)
  }

  /** Relays answer bytes `buf[from..]` (after `head` when given); finishes the exchange at the body's end. */
  private relay(buf: Buffer, from: number, first: boolean, head = ''): void {
    let to = buf.length;
    let complete = false;
    switch (this.mode) {
      case Body.None:
        to = from;
        complete = true;
        break;
      case Body.Length:
        if (to - from >= this.respLeft) {
          to = from + this.respLeft;
          complete = true;
        }
        this.respLeft -= to - from;
        break;
      case Body.Chunked: {
        const end = this.respScanner!.scan(buf, from, to);
        if (end === BROKEN) {
          if (!first) return this.abortClient();
          this.responding = false; // nothing went to the client yet: the router answers instead
          return this.upstreamBroken(`malformed chunked body: ${this.respScanner!.error}`);
        }
        if (end !== NEED_MORE) {
          to = end;
          complete = true;
        }
        break;
      }
      case Body.UntilClose:
        break;
    }
    if (to < buf.length) this.reuseUpstream = false; // more than the answer: the connection is out of step
    const ok = first ? writeWithHead(this.conn.socket, head, buf, from, to) : to === from || this.conn.socket.write(from === 0 && to === buf.length ? buf : buf.subarray(from, to));
    if (complete) return this.finish();
    if (!ok && !this.upstreamPaused) {
      this.upstreamPaused = true;
      this.up?.socket.pause();
    }
  }

  private finish(): void {
    this.finished = true;
    this.letGo(this.reuseUpstream && this.bodyDone);
    this.conn.exchangeDone(this.keepClient);
  }

  /** Returns the instance connection (pooled or closed) and the in-flight count. */
  private letGo(reusable: boolean): void {
    const up = this.up;
    if (up !== null) {
      this.up = null;
      if (this.upstreamPaused) up.socket.resume();
      this.backend!.release(up, reusable, performance.now());
    }
    if (this.holding) {
      this.holding = false;
      this.backend!.done();
    }
  }

  onUpstreamClose(error: NodeJS.ErrnoException | null): void {
    if (this.finished) return;
    const up = this.up!;
    this.up = null;
    if (this.responding) {
      if (this.mode === Body.UntilClose && error === null) return this.finish();
      return this.abortClient(); // the answer broke off: cutting the connection is the only honest signal left
    }
    this.letGo(false);
    const err = error ?? upstreamFailure(RESET, 'the connection closed');
    if (!up.connected) return this.connectFailed(err);
    const replayable = up.reused && !this.gotBytes && !this.retriedStale && this.canReplay && IDEMPOTENT.has(this.head.method);
    if (replayable) {
      this.retriedStale = true;
      this.headSent = false;
      this.bodySent = false;
      return this.dispatch(this.backend!);
    }
    this.countFailure();
    this.fail(upstreamError(err, this.backend!.label, this.firstTried?.label), this.bodyDone);
  }

  /** Connecting failed: once more on another instance when that is safe, else 502. */
  private connectFailed(err: NodeJS.ErrnoException): void {
    const backend = this.backend!;
    if (this.ctx.retry && this.firstTried === null && !this.bodySent && IDEMPOTENT.has(this.head.method) && describeUpstreamError(err).refused) {
      const other = this.otherInstance();
      if (other !== null) {
        this.firstTried = backend;
        this.headSent = false;
        return this.dispatch(other);
      }
    }
    this.countFailure();
    this.fail(upstreamError(err, backend.label, this.firstTried?.label), this.bodyDone);
  }

  /** The instance sent something the router cannot relay faithfully (before any of the answer went out). */
  private upstreamBroken(reason: string): void {
    this.letGo(false);
    this.countFailure();
    this.fail(upstreamError(upstreamFailure(PROTOCOL, reason), this.backend!.label), this.bodyDone);
  }

  /** Sweep: the instance did not start its answer in time. */
  responseTimedOut(): void {
    if (this.finished || this.responding) return;
    this.letGo(false);
    this.countFailure();
    this.fail(upstreamError(upstreamFailure(HEADERS_TIMEOUT, 'no response in time'), this.backend!.label), this.bodyDone);
  }

  /** Sweep: the client stopped sending the request body. */
  bodyTimedOut(seconds: number): void {
    if (this.wantsBody) this.bodyFailed(badRequest(408, `no request body bytes for ${seconds} s`));
  }

  /** The request body broke the rules (too large, bad framing). */
  private bodyFailed(error: RouterError): void {
    this.bodyDone = true; // nothing more is read for it
    if (this.responding) return this.abortClient();
    this.letGo(false);
    this.fail(error, false);
  }

  /** The router's own answer; the client connection stays open only when `keep` (the request was read completely). */
  private fail(error: RouterError, keep: boolean): void {
    this.finished = true;
    this.waitingSince = -1;
    const stay = keep && this.head.keepAlive;
    this.conn.answer(error, stay, this.head.method === 'HEAD');
    this.conn.exchangeDone(stay);
  }

  private abortClient(): void {
    this.finished = true;
    this.letGo(false);
    this.conn.socket.destroy();
  }

  /** The client connection closed before the exchange ended. */
  clientClosed(): void {
    if (this.finished) return;
    this.finished = true;
    this.letGo(false);
  }
}

/** Writes an answer's head and its first body bytes, as one buffer when small. */
function writeWithHead(socket: ClientConn['socket'], head: string, body: Buffer, from: number, to: number): boolean {
  const n = to - from;
  if (n === 0) return socket.write(head, 'latin1');
  if (n > COALESCE_LIMIT) {
    socket.cork();
    socket.write(head, 'latin1');
    const ok = socket.write(body.subarray(from, to));
    socket.uncork();
    return ok;
  }
  const out = Buffer.allocUnsafe(head.length + n);
  out.write(head, 0, 'latin1');
  body.copy(out, head.length, from, to);
  return socket.write(out);
}
