/** The answers of `GET /api/monitoring/deployment` (seed 003's shapes), read from the store. */
import type { DeploymentRow, MetricRecord, SqlStore } from '../store/index.js';
import type { DeploymentAggregates } from './aggregates.js';
import { toCsv } from './csv.js';
import type { MonitoringQuery } from './params.js';
import type { StageFigures } from './stage-figures.js';

export interface MonitoringContext {
  store: SqlStore;
  app: string;
  figures: StageFigures;
  aggregates: DeploymentAggregates;
}

export type Answer = { contentType: 'application/json'; body: unknown } | { contentType: 'text/csv; charset=utf-8'; body: string };

export async function statsOf(ctx: MonitoringContext, environment: string | undefined): Promise<unknown> {
  const [groups, lastDeployment, alerts] = await Promise.all([ctx.aggregates.current(), ctx.store.lastStartedAt(ctx.app, environment), ctx.store.countAlerts(ctx.app, environment)]);
  const mine = groups.filter((g) => environment === undefined || g.environment === environment);
  const sum = (f: (g: (typeof mine)[number]) => number): number => mine.reduce((n, g) => n + f(g), 0);
  const s = { count: sum((g) => g.count), succeeded: sum((g) => (g.status === 'succeeded' ? g.count : 0)), finished: sum((g) => g.finished), durationMs: sum((g) => g.durationMs) };
  return {
    success: true,
    data: {
      environment: environment ?? null,
      deploymentCount: s.count,
      successfulDeployments: s.succeeded,
      successRate: s.count === 0 ? null : s.succeeded / s.count,
      averageDeploymentTime: s.finished === 0 ? null : Math.round(s.durationMs / s.finished),
      averageMigrationTime: ctx.figures.averageMs('migrate', environment),
      totalAlerts: alerts.total,
      activeAlerts: alerts.active,
      lastDeployment,
    },
  };
}

export const METRIC_COLUMNS = ['timestamp', 'environment', 'deploymentId', 'version', 'kind', 'phase', 'status', 'duration', 'requests', 'errors'] as const;
export type MetricRow = Record<(typeof METRIC_COLUMNS)[number], string | number | null>;

/** One row per deployment, newest first, in the shape of seed 003's recorded metric (phase "deployment"). */
export function metricRow(d: DeploymentRow): MetricRow {
  return {
    timestamp: d.startedAt,
    environment: d.environment,
    deploymentId: d.id,
    version: d.version,
    kind: d.kind,
    phase: 'deployment',
    status: d.status,
    duration: d.finishedAt === null ? null : Date.parse(d.finishedAt) - Date.parse(d.startedAt),
    requests: null,
    errors: null,
  };
}

/** A metric recorded through `POST` (kind "metric"), in the same columns. */
export function recordedRow(m: MetricRecord): MetricRow {
  return { timestamp: m.at, environment: m.environment, deploymentId: m.deploymentId, version: null, kind: 'metric', phase: m.phase, status: m.status, duration: m.durationMs, requests: m.requests, errors: m.errors };
}

/** Deployments and recorded metrics, newest first, at most `q.limit` in all. */
export async function metricsOf(ctx: MonitoringContext, q: MonitoringQuery): Promise<Answer> {
  const filter = { app: ctx.app, limit: q.limit, ...(q.environment === undefined ? {} : { environment: q.environment }) };
  const [deployments, recorded] = await Promise.all([ctx.store.listDeployments(filter), ctx.store.listMetrics(filter)]);
  const rows = [...deployments.map(metricRow), ...recorded.map(recordedRow)].sort((a, b) => String(b.timestamp).localeCompare(String(a.timestamp))).slice(0, q.limit);
  if (q.format === 'csv') return { contentType: 'text/csv; charset=utf-8', body: toCsv(METRIC_COLUMNS, rows) };
  return { contentType: 'application/json', body: { success: true, data: { environment: q.environment ?? null, metrics: rows } } };
}

type Health = 'healthy' | 'degraded' | 'unhealthy' | 'unknown';

/** Pure: an environment's health from its newest deployment and unacknowledged failed rollbacks. */
export function healthStatus(last: DeploymentRow | undefined, unacknowledgedFailures: number): Health {
  if (unacknowledgedFailures > 0) return 'unhealthy';
  if (last === undefined) return 'unknown';
  return last.status === 'succeeded' || last.status === 'running' || last.status === 'awaiting_approval' || last.status === 'blocked' ? 'healthy' : 'degraded';
}

async function environmentHealth(ctx: MonitoringContext, environment: string): Promise<Record<string, unknown>> {
  const [last, live, lock, failures] = await Promise.all([
    ctx.store.listDeployments({ app: ctx.app, environment, limit: 1 }),
    ctx.store.lastSucceeded(ctx.app, environment),
    ctx.store.getLock(ctx.app, environment),
    ctx.store.listUnacknowledgedFailures(ctx.app, environment),
  ]);
  return {
    environment,
    status: healthStatus(last[0], failures.length),
    liveVersion: live?.version ?? null,
    lastDeployment: last[0] ? { id: last[0].id, version: last[0].version, status: last[0].status, startedAt: last[0].startedAt, finishedAt: last[0].finishedAt } : null,
    lock: lock ? { held: true, deploymentId: lock.deploymentId, holder: lock.holder, heartbeatAt: lock.heartbeatAt } : { held: false },
    unacknowledgedFailedRollbacks: failures.map((f) => f.id),
  };
}

export async function healthOf(ctx: MonitoringContext, environment: string | undefined): Promise<unknown> {
  if (environment !== undefined) return { success: true, data: await environmentHealth(ctx, environment) };
  const environments = await ctx.store.listEnvironments(ctx.app);
  return { success: true, data: { environments: await Promise.all(environments.map((e) => environmentHealth(ctx, e))) } };
}

/** The alerts of the monitor rules, newest first: those still firing and those resolved. */
export async function alertsOf(ctx: MonitoringContext, q: MonitoringQuery): Promise<unknown> {
  const [alerts, counts] = await Promise.all([ctx.store.listAlerts({ app: ctx.app, limit: q.limit, ...(q.environment === undefined ? {} : { environment: q.environment }) }), ctx.store.countAlerts(ctx.app, q.environment)]);
  return {
    success: true,
    data: { environment: q.environment ?? null, totalAlerts: counts.total, activeAlerts: counts.active, active: alerts.filter((a) => a.status === 'firing'), resolved: alerts.filter((a) => a.status === 'resolved') },
  };
}

export async function answerMonitoring(ctx: MonitoringContext, q: MonitoringQuery): Promise<Answer> {
  if (q.action === 'metrics') return metricsOf(ctx, q);
  if (q.action === 'alerts') return { contentType: 'application/json', body: await alertsOf(ctx, q) };
  const body = q.action === 'stats' ? await statsOf(ctx, q.environment) : await healthOf(ctx, q.environment);
  return { contentType: 'application/json', body };
}
