/**
 * `shipgate serve`: the monitoring API, SSE journal stream and `/metrics`, over the
 * same store the CLI writes (SQLite or PostgreSQL). Everything but `/api/health*`
 * needs the bearer token; the token is never logged or echoed.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { buildRecord } from '../pipeline/record.js';
import type { Masker } from '../runtime/secrets.js';
import type { SqlStore, StoredEvent } from '../store/index.js';
import { LATEST_SCHEMA_VERSION } from '../store/index.js';
import { DeploymentAggregates, RecentFacts } from './aggregates.js';
import { isAuthorized } from './auth.js';
import { isDashboardAsset } from './dashboard/assets.js';
import { registerDashboard } from './dashboard/routes.js';
import { JournalTail } from './journal-tail.js';
import { ServeMetrics } from './metrics.js';
import { answerMonitoring, type MonitoringContext } from './monitoring.js';
import { monitoringPostRoute, type MonitoringPostDeps } from './monitoring-post.js';
import { BadParam, parseDeploymentId, parseDeploymentsQuery, parseEventsQuery, parseMonitoringQuery, type Query } from './params.js';
import { StageFigures } from './stage-figures.js';

export const DEFAULT_SERVE_HOST = '127.0.0.1';
export const DEFAULT_SERVE_PORT = 7420;
/** A comment line to every SSE client this often, so proxies keep the stream open. */
export const SSE_KEEPALIVE_MS = 15_000;

export interface ServeOptions {
  store: SqlStore;
  app: string;
  token: string;
  /** Masks the config's secrets in everything the API returns. */
  masker: Masker;
  /** `rollback.window` in ms, for the rollback deadline of records built from the journal. */
  rollbackWindowMs: number;
  /** shipgate's version, reported by /api/health. */
  version: string;
  /** @default Date.now */
  now?: () => number;
  /** How often the journal is read for new events. */
  pollMs?: number;
  /** Where read errors of the journal tail go (masked text). */
  onError?: (message: string) => void;
  /** A pino logger (`--log-format json`): fastify logs each request through it. @default no request log */
  logger?: Logger;
  /** Channels told when an alert is resolved through the API, and who hears of it after. */
  alerts?: Pick<MonitoringPostDeps, 'alertRoute' | 'onAlert'>;
}

export interface ServeServer {
  http: FastifyInstance;
  tail: JournalTail;
  close(): Promise<void>;
}

/** Health, and the dashboard's files (they hold no data: the page asks the API with the token). */
const isOpenPath = (url: string): boolean => {
  const path = url.split('?')[0]!;
  return path === '/api/health' || path.startsWith('/api/health/') || isDashboardAsset(path);
};

/** Builds the server and reads the journal so far (the stage histogram covers the whole history); call `http.listen`. */
export async function createServer(opts: ServeOptions): Promise<ServeServer> {
  const now = opts.now ?? Date.now;
  const figures = new StageFigures();
  const aggregates = new DeploymentAggregates(opts.store, opts.app, now);
  const facts = new RecentFacts(opts.store, opts.app, now);
  const metrics = new ServeMetrics({ store: opts.store, app: opts.app, figures, aggregates, facts, now });
  const tail = new JournalTail(opts.store, { app: opts.app, pollMs: opts.pollMs, onError: (err) => opts.onError?.(opts.masker.mask(String(err))) });
  tail.subscribe((e) => {
    const o = figures.observe(e);
    if (o) metrics.observeStage(o);
  });
  await tail.poll();
  const ctx: MonitoringContext = { store: opts.store, app: opts.app, figures, aggregates };
  const http: FastifyInstance = opts.logger ? (Fastify({ loggerInstance: opts.logger as FastifyBaseLogger }) as FastifyInstance) : Fastify({ logger: false });
  const streams = new Set<ServerResponse>();
  guard(http, opts);
  healthRoutes(http, opts, now);
  http.get('/api/monitoring/deployment', async (req, reply) => {
    const answer = await answerMonitoring(ctx, parseMonitoringQuery(req.query as Query));
    return reply.type(answer.contentType).send(answer.contentType === 'application/json' ? opts.masker.maskValue(answer.body) : opts.masker.mask(answer.body));
  });
  monitoringPostRoute(http, { store: opts.store, app: opts.app, masker: opts.masker, now, ...opts.alerts });
  deploymentRoutes(http, opts);
  registerDashboard(http, { store: opts.store, app: opts.app, masker: opts.masker, rollbackWindowMs: opts.rollbackWindowMs, now });
  http.get('/metrics', async (_req, reply) => reply.type(metrics.contentType).send(await metrics.render()));
  http.get('/api/events', (req, reply) => streamEvents(req, reply, { opts, tail, streams }));
  http.addHook('preClose', async () => {
    for (const s of streams) s.end();
  });
  tail.start();
  return {
    http,
    tail,
    close: async () => {
      await tail.stop();
      await http.close();
    },
  };
}

/** The token check, the JSON error shapes, and 404s that say nothing about what exists without the token. */
function guard(http: FastifyInstance, opts: ServeOptions): void {
  http.addHook('onRequest', async (req, reply) => {
    if (isOpenPath(req.url) || isAuthorized(req.headers.authorization, opts.token)) return;
    await reply.code(401).header('www-authenticate', 'Bearer').send({ success: false, error: 'a bearer token is required (Authorization: Bearer <token>)' });
  });
  http.setNotFoundHandler((req, reply) => reply.code(404).send({ success: false, error: `no route ${req.method} ${req.url.split('?')[0]}` }));
  http.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    if (err instanceof BadParam) return reply.code(400).send({ success: false, error: err.message, param: err.param });
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    opts.onError?.(opts.masker.mask(err.message));
    return reply.code(status).send({ success: false, error: status === 500 ? 'internal error (see the server log)' : opts.masker.mask(err.message) });
  });
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: Math.round(performance.now() - started) };
}

function healthRoutes(http: FastifyInstance, opts: ServeOptions, now: () => number): void {
  const stamp = (): string => new Date(now()).toISOString();
  const down = (reply: FastifyReply, err: unknown, extra: Record<string, unknown>): FastifyReply =>
    reply.code(503).send({ status: 'error', timestamp: stamp(), error: opts.masker.mask(String(err instanceof Error ? err.message : err)), ...extra });
  http.get('/api/health', async (_req, reply) => {
    try {
      await opts.store.ping();
      return { status: 'ok', timestamp: stamp(), app: opts.app, version: opts.version, database: 'connected' };
    } catch (err) {
      return down(reply, err, { app: opts.app, version: opts.version, database: 'disconnected' });
    }
  });
  http.get('/api/health/database', async (_req, reply) => {
    try {
      const ping = await timed(() => opts.store.ping());
      const query = await timed(() => opts.store.countDeployments(opts.app));
      return { status: 'ok', timestamp: stamp(), database: { connected: true, dialect: opts.store.dialect, connectionTime: `${ping.ms}ms`, queryTime: `${query.ms}ms`, deployments: query.value } };
    } catch (err) {
      return down(reply, err, { database: { connected: false, dialect: opts.store.dialect } });
    }
  });
  http.get('/api/health/migrations', async (_req, reply) => {
    try {
      const executed = await opts.store.schemaVersion();
      const valid = executed <= LATEST_SCHEMA_VERSION;
      const migrations = { total: LATEST_SCHEMA_VERSION, executed, pending: Math.max(0, LATEST_SCHEMA_VERSION - executed), valid };
      return reply.code(valid ? 200 : 503).send({ status: valid ? 'ok' : 'error', timestamp: stamp(), migrations });
    } catch (err) {
      return down(reply, err, {});
    }
  });
}

function deploymentRoutes(http: FastifyInstance, opts: ServeOptions): void {
  http.get('/api/deployments', async (req) => {
    const q = parseDeploymentsQuery(req.query as Query);
    const rows = await opts.store.listDeployments({
      app: opts.app,
      limit: q.limit,
      ...(q.environment === undefined ? {} : { environment: q.environment }),
      ...(q.statuses === undefined ? {} : { statuses: q.statuses }),
      ...(q.before === undefined ? {} : { beforeId: q.before }),
    });
    return { success: true, data: opts.masker.maskValue(rows) };
  });
  http.get('/api/deployments/:id', async (req, reply) => {
    const id = parseDeploymentId((req.params as { id: string }).id);
    const row = await opts.store.getDeployment(id);
    if (!row || row.app !== opts.app) return reply.code(404).send({ success: false, error: `no deployment ${id} of ${opts.app}` });
    const events = await opts.store.listEvents(id);
    const record = (await opts.store.getRecord(id)) ?? buildRecord({ row, events, rollbackWindowMs: opts.rollbackWindowMs, services: [row.app] });
    return { success: true, data: opts.masker.maskValue({ deployment: row, record, events }) };
  });
}

interface StreamDeps {
  opts: ServeOptions;
  tail: JournalTail;
  streams: Set<ServerResponse>;
}

/**
 * `GET /api/events`: the journal as server-sent events (`id` is the seq). With `?after=SEQ`
 * or `Last-Event-ID` it first replays what came after that seq, then goes live without a gap
 * or a repeat; without either it sends only new events.
 */
async function streamEvents(req: FastifyRequest, reply: FastifyReply, deps: StreamDeps): Promise<void> {
  const header = req.headers['last-event-id'];
  const after = parseEventsQuery(req.query as Query, typeof header === 'string' ? header : undefined);
  const raw = reply.raw;
  reply.hijack();
  raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  raw.write(': shipgate journal\n\n');
  let sent = after ?? deps.tail.lastSeq;
  let live = false;
  const queue: StoredEvent[] = [];
  const send = (e: StoredEvent): void => {
    if (e.seq <= sent) return;
    sent = e.seq;
    raw.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(deps.opts.masker.maskValue(e))}\n\n`);
  };
  const unsubscribe = deps.tail.subscribe((e) => (live ? send(e) : queue.push(e)));
  const keepalive = setInterval(() => raw.write(': keepalive\n\n'), SSE_KEEPALIVE_MS);
  deps.streams.add(raw);
  raw.on('close', () => {
    unsubscribe();
    clearInterval(keepalive);
    deps.streams.delete(raw);
  });
  for (let page = await replay(deps, sent); page.length > 0; page = await replay(deps, sent)) page.forEach(send);
  live = true;
  queue.splice(0).forEach(send);
}

/** A page of the journal after `seq`, up to what the tail has handed out (the tail sends the rest). */
async function replay(deps: StreamDeps, seq: number): Promise<StoredEvent[]> {
  if (seq >= deps.tail.lastSeq) return [];
  return (await deps.opts.store.listEventsAfter(seq, { app: deps.opts.app, limit: 500 })).filter((e) => e.seq <= deps.tail.lastSeq);
}
