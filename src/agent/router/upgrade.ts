/**
 * WebSocket (and any other `Connection: Upgrade`) pass-through. The router
 * picks the instance as for any request, opens a plain TCP connection to it,
 * writes the request head (with X-Forwarded-*), then splices the two sockets
 * both ways. The instance's answer (101 or a refusal) reaches the client
 * byte for byte. A refused connection is retried once on another instance.
 */
import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { BackendState } from './backend.js';
import { chooseVersion, whyNoRoute, type ChooseInput } from './choose.js';
import { describeUpstreamError, sendRawError, upstreamError } from './errors.js';
import { pushForwarded, readRequestHeaders, type RequestHeaderInfo } from './headers.js';
import type { ProxyContext } from './proxy.js';
import { pickBackend, type VersionRoute } from './routing.js';

type UpgradeInfo = RequestHeaderInfo & ChooseInput;

export function proxyUpgrade(ctx: ProxyContext, req: IncomingMessage, client: Socket, head: Buffer): void {
  ctx.connections.upgraded(client);
  client.on('error', () => client.destroy());
  const info: UpgradeInfo = { headers: [], host: '', forwardedFor: '', cookie: '', version: '', contentLength: -1, chunked: false, setCookie: '' };
  readRequestHeaders(req.rawHeaders, info, true);
  const route = chooseVersion(ctx.routing, info, ctx);
  const backend = route === null ? null : pickBackend(route, null);
  if (route === null || backend === null) return sendRawError(client, whyNoRoute(ctx.routing, info, ctx));
  pushForwarded(info, client.remoteAddress ?? '', 'http');
  new Tunnel(ctx, req, client, head, route, requestHead(req, info.headers)).open(backend, null);
}

/** `GET /chat HTTP/1.1\r\nName: value\r\n...\r\n\r\n` */
function requestHead(req: IncomingMessage, headers: readonly string[]): string {
  let head = `${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${head}\r\n`;
}

class Tunnel {
  private upstream: Socket | null = null;
  private started = 0;

  constructor(
    private readonly ctx: ProxyContext,
    private readonly req: IncomingMessage,
    private readonly client: Socket,
    private readonly head: Buffer,
    private readonly route: VersionRoute,
    private readonly requestHead: string,
  ) {
    client.once('close', () => this.upstream?.destroy());
  }

  open(backend: BackendState, firstTried: BackendState | null): void {
    if (this.client.destroyed) return;
    backend.inFlight++;
    this.started = performance.now();
    const upstream = connect({ host: backend.host, port: backend.port, noDelay: true });
    this.upstream = upstream;
    let connected = false;
    upstream.once('close', () => backend.done());
    upstream.once('connect', () => {
      connected = true;
      this.splice(upstream);
    });
    upstream.once('error', (err) => {
      if (connected) this.client.destroy();
      else this.connectFailed(err, backend, firstTried);
    });
  }

  private splice(upstream: Socket): void {
    const { client } = this;
    upstream.write(this.requestHead, 'latin1');
    if (this.head.length > 0) upstream.write(this.head);
    upstream.once('data', (chunk: Buffer) => this.record(chunk));
    upstream.pipe(client);
    client.pipe(upstream);
  }

  /** Counts the instance's answer (`HTTP/1.1 101 ...`) in the version's figures. */
  private record(chunk: Buffer): void {
    const status = chunk.length >= 12 ? Number(chunk.toString('latin1', 9, 12)) : NaN;
    if (Number.isInteger(status)) this.route.ring.response(this.ctx.clock.now(), status, performance.now() - this.started);
  }

  private connectFailed(err: Error, backend: BackendState, firstTried: BackendState | null): void {
    if (this.client.destroyed) return;
    const canRetry = this.ctx.retry && firstTried === null && this.req.method === 'GET' && describeUpstreamError(err).refused;
    const other = canRetry ? pickBackend(this.route, backend) : null;
    if (other !== null) return this.open(other, backend);
    this.route.ring.connError(this.ctx.clock.now());
    sendRawError(this.client, upstreamError(err, backend.label, firstTried?.label));
  }
}
