/**
 * One proxied request: choose a version and an instance, hand the request to
 * the instance's undici Pool with this object as the dispatch handler, and
 * write the answer straight into the ServerResponse as it arrives (no
 * buffering: server-sent events flow chunk by chunk). Retries once on another
 * instance of the same version when the connection is refused, for idempotent
 * methods whose body has not been read. All state lives on this one object;
 * the handler methods are on the prototype, so a request allocates little.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Clock } from '../../runtime/clock.js';
import type { BackendState } from './backend.js';
import { limitedBody, type BodyProgress } from './body.js';
import { chooseVersion, stickyCookieHeader, whyNoRoute, type ChooseInput, type ChooseOptions } from './choose.js';
import type { Connections, Exchange } from './connections.js';
import { bodyTooLarge, describeUpstreamError, sendError, upstreamError } from './errors.js';
import { copyResponseHeaders, pushForwarded, readRequestHeaders, type RequestHeaderInfo } from './headers.js';
import { pickBackend, type Routing, type VersionRoute } from './routing.js';

/** What every request of one router shares. */
export interface ProxyContext extends ChooseOptions {
  routing: Routing;
  readonly clock: Clock;
  bodyLimit: number;
  retry: boolean;
  /** Shutdown has begun: every answer carries `Connection: close`. */
  closing: boolean;
  readonly connections: Connections;
}

function flushHead(p: ProxyRequest): void {
  p.flushHeadIfIdle();
}

/** Methods a retry may repeat (RFC 9110 9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

class ClientGone extends Error {
  constructor() {
    super('client closed the connection');
  }
}

export class ProxyRequest implements RequestHeaderInfo, ChooseInput, BodyProgress, Exchange, Dispatcher.DispatchHandler {
  headers: string[] = [];
  host = '';
  forwardedFor = '';
  cookie = '';
  version = '';
  contentLength = -1;
  chunked = false;
  setCookie = '';
  bodyStarted = false;
  bodyTooLarge = false;

  private route: VersionRoute | null = null;
  private backend: BackendState | null = null;
  /** The instance a retry moved away from (named in the error if the retry fails too). */
  private firstTried: BackendState | null = null;
  private started = 0;
  private abortUpstream: ((err: Error) => void) | null = null;
  private resumeUpstream: (() => void) | null = null;
  /** The exchange with the instance is over (answered, failed, or never started). */
  private finished = false;
  /** Set by the first body chunk (see flushHeadIfIdle). */
  private wroteBody = false;
  private clientGone = false;
  /** The connection no longer counts this request (see Connections). */
  private released = false;
  private readonly socket: Socket;

  constructor(
    private readonly ctx: ProxyContext,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {
    this.socket = req.socket;
  }

  start(): void {
    const { ctx, req, res } = this;
    ctx.connections.requestStarted(this.socket, this);
    if (ctx.closing) res.shouldKeepAlive = false;
    readRequestHeaders(req.rawHeaders, this, false);
    if (this.contentLength > ctx.bodyLimit) return this.fail(bodyTooLarge(ctx.bodyLimit), true);
    const route = chooseVersion(ctx.routing, this, ctx);
    const backend = route === null ? null : pickBackend(route, null);
    if (route === null || backend === null) return this.fail(whyNoRoute(ctx.routing, this, ctx), false);
    this.route = route;
    pushForwarded(this, this.socket.remoteAddress ?? '', (this.socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http');
    this.dispatch(backend);
  }

  private dispatch(backend: BackendState): void {
    this.backend = backend;
    this.finished = false;
    backend.inFlight++;
    const hasBody = this.chunked || this.contentLength > 0;
    this.started = performance.now();
    // undici reads async iterables too, though its types only list streams and buffers.
    const body = hasBody ? (limitedBody(this.req, this.ctx.bodyLimit, this) as unknown as Readable) : null;
    backend.dispatcher().dispatch({ path: this.req.url ?? '/', method: this.req.method ?? 'GET', headers: this.headers, body }, this);
  }

  // undici's dispatch handler (the raw-header form: no header objects are built).

  onConnect(abort: (err?: Error) => void): void {
    if (this.clientGone) abort(new ClientGone());
    else this.abortUpstream = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true; // 1xx: Node answered 100-continue to the client already
    const { res, ctx } = this;
    this.route!.ring.response(ctx.clock.now(), statusCode, performance.now() - this.started);
    const headers: string[] = [];
    const sized = copyResponseHeaders(rawHeaders, headers);
    if (this.setCookie !== '' && ctx.stickyCookie !== false) headers.push('set-cookie', stickyCookieHeader(ctx.stickyCookie, this.setCookie));
    if (ctx.closing) res.shouldKeepAlive = false;
    this.resumeUpstream = resume;
    res.writeHead(statusCode, statusText || undefined, headers);
    // Node sends the head with the first body chunk. A streamed answer (server-sent
    // events) may wait for that chunk, so its head goes out on its own unless the
    // first chunk came in the same read.
    if (!sized) process.nextTick(flushHead, this);
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.wroteBody = true;
    if (this.res.write(chunk)) return true;
    this.res.once('drain', this.resumeUpstream!);
    return false;
  }

  onComplete(): void {
    this.endUpstream();
    this.res.end();
    this.release();
  }

  onError(err: Error): void {
    this.endUpstream();
    if (this.clientGone) return;
    const { res } = this;
    if (this.bodyTooLarge && !res.headersSent) return this.fail(bodyTooLarge(this.ctx.bodyLimit), true);
    if (res.headersSent) {
      res.destroy(); // the answer broke off: cutting the connection is the only honest signal left
      return this.release();
    }
    if (this.retryOn(err)) return;
    this.route!.ring.connError(this.ctx.clock.now());
    this.fail(upstreamError(err, this.backend!.label, this.firstTried?.label), false);
  }

  /** Sends the head of a streamed answer whose first chunk did not come with it. */
  flushHeadIfIdle(): void {
    if (!this.wroteBody && !this.finished && !this.clientGone) this.res.flushHeaders();
  }

  /** Dispatches once more on another instance when that is safe; true when it did. */
  private retryOn(err: Error): boolean {
    if (!this.ctx.retry || this.firstTried !== null || this.bodyStarted) return false;
    if (!describeUpstreamError(err).refused || !IDEMPOTENT.has(this.req.method ?? 'GET')) return false;
    const other = pickBackend(this.route!, this.backend);
    if (other === null) return false;
    this.firstTried = this.backend;
    this.abortUpstream = null;
    this.dispatch(other);
    return true;
  }

  private endUpstream(): void {
    if (this.finished) return;
    this.finished = true;
    this.backend!.done();
  }

  private fail(error: Parameters<typeof sendError>[1], close: boolean): void {
    this.finished = true;
    sendError(this.res, error, close || this.ctx.closing);
    this.release();
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.ctx.connections.requestEnded(this.socket, this);
  }

  /** The client connection closed before the answer was complete. */
  clientClosed(): void {
    this.release();
    this.clientGone = true;
    if (!this.finished) this.abortUpstream?.(new ClientGone());
  }
}
