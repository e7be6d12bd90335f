/**
 * What a plain exchange and a WebSocket tunnel share: reading the request's
 * headers, choosing a version and an instance, the head to send the instance,
 * and counting each answer (or its absence) in the version's figures, where
 * enough failures in a row eject the version (see table.ts).
 */
import type { BackendState } from './backend.js';
import { chooseVersion, whyNoRoute, type ChooseInput } from './choose.js';
import type { ClientConn } from './client.js';
import type { ProxyContext } from './context.js';
import type { RouterError } from './errors.js';
import { headerLines, pushForwarded, readRequestHeaders, type RequestHeaderInfo } from './headers.js';
import type { RequestHead } from './http1.js';
import { pickBackend, type VersionRoute } from './routing.js';

export abstract class RoutedRequest implements RequestHeaderInfo, ChooseInput {
  headers: string[] = [];
  host = '';
  forwardedFor = '';
  cookie = '';
  version = '';
  setCookie = '';
  protected route: VersionRoute | null = null;
  protected backend: BackendState | null = null;
  /** The instance a retry moved away from (named in the error if the retry fails too). */
  protected firstTried: BackendState | null = null;
  /** When the current attempt was sent (performance.now()). */
  protected started = 0;

  constructor(
    protected readonly ctx: ProxyContext,
    protected readonly conn: ClientConn,
    protected readonly head: RequestHead,
  ) {}

  /**
   * Reads the headers (an upgrade keeps Connection and Upgrade) and picks the
   * version and its first instance; returns the instance, or what to answer.
   */
  protected choose(upgrade: boolean): BackendState | RouterError {
    const { ctx } = this;
    readRequestHeaders(this.head.headers, this, upgrade);
    const route = chooseVersion(ctx.routing, this, ctx);
    const backend = route === null ? null : pickBackend(route, null);
    if (route === null || backend === null) return whyNoRoute(ctx.routing, this, ctx);
    this.route = route;
    pushForwarded(this, this.conn.remoteAddress, 'http');
    return backend;
  }

  /** `METHOD target HTTP/1.x` and the forwarded headers, for the instance. */
  protected upstreamHead(): string {
    return `${this.head.method} ${this.head.target} HTTP/1.${this.head.minor}\r\n${headerLines(this.headers)}\r\n`;
  }

  /** Another instance of the same version for a retry, or null. */
  protected otherInstance(): BackendState | null {
    return pickBackend(this.route!, this.backend);
  }

  /** An answer from the instance, in the version's figures. */
  protected countAnswer(status: number): void {
    const ring = this.route!.ring;
    ring.response(this.ctx.clock.now(), status, performance.now() - this.started);
    if (ring.streak >= this.ctx.ejectAfter) this.ctx.eject(this.route!.version);
  }

  /** A request that got no answer from its instance, in the version's figures. */
  protected countFailure(): void {
    const ring = this.route!.ring;
    ring.connError(this.ctx.clock.now());
    if (ring.streak >= this.ctx.ejectAfter) this.ctx.eject(this.route!.version);
  }
}
