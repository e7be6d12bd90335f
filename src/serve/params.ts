/**
 * Query parameters of the monitoring API, checked before anything is read: a bad
 * one is a 400 that names it. Pure.
 */
import { DEPLOYMENT_STATUSES, type DeploymentStatus } from '../store/contract.js';
import { isDeploymentId } from '../pipeline/ids.js';

export const MONITORING_ACTIONS = ['stats', 'metrics', 'health', 'alerts'] as const;
export type MonitoringAction = (typeof MONITORING_ACTIONS)[number];
export const MONITORING_FORMATS = ['json', 'csv'] as const;
export type MonitoringFormat = (typeof MONITORING_FORMATS)[number];

/** Rows `action=metrics` and `/api/deployments` return unless `limit` says otherwise. */
export const DEFAULT_ROWS_LIMIT = 100;
export const MAX_ROWS_LIMIT = 1000;

const ENVIRONMENT_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** A query parameter is missing, unknown or malformed (answered with 400). */
export class BadParam extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(`${param}: ${message}`);
  }
}

export type Query = Record<string, unknown>;

export interface MonitoringQuery {
  environment?: string;
  action: MonitoringAction;
  format: MonitoringFormat;
  limit: number;
}

export interface DeploymentsQuery {
  environment?: string;
  statuses?: DeploymentStatus[];
  limit: number;
  before?: string;
}

function only(query: Query, allowed: readonly string[]): void {
  const unknown = Object.keys(query).find((k) => !allowed.includes(k));
  if (unknown !== undefined) throw new BadParam(unknown, `unknown query parameter (expected one of: ${allowed.join(', ')})`);
}

function text(query: Query, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new BadParam(name, 'give it once');
  return value;
}

function oneOf<T extends string>(query: Query, name: string, allowed: readonly T[], fallback?: T): T {
  const value = text(query, name) ?? fallback;
  if (value === undefined) throw new BadParam(name, `required (one of: ${allowed.join(', ')})`);
  if (!(allowed as readonly string[]).includes(value)) throw new BadParam(name, `expected one of ${allowed.join(', ')} (got "${clip(value)}")`);
  return value as T;
}

function environment(query: Query): string | undefined {
  const value = text(query, 'environment');
  if (value !== undefined && !ENVIRONMENT_RE.test(value)) throw new BadParam('environment', `not an environment name (got "${clip(value)}")`);
  return value;
}

function limit(query: Query): number {
  const value = text(query, 'limit');
  if (value === undefined) return DEFAULT_ROWS_LIMIT;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_ROWS_LIMIT) throw new BadParam('limit', `expected a whole number from 1 to ${MAX_ROWS_LIMIT} (got "${clip(value)}")`);
  return n;
}

/** Echoed input is cut short: an error message is no place for a pasted document. */
function clip(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}

const withOptional = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> => (value === undefined ? {} : ({ [key]: value } as Record<K, V>));

export function parseMonitoringQuery(query: Query): MonitoringQuery {
  only(query, ['environment', 'action', 'format', 'limit']);
  const action = oneOf(query, 'action', MONITORING_ACTIONS);
  const format = oneOf(query, 'format', MONITORING_FORMATS, 'json');
  if (format === 'csv' && action !== 'metrics') throw new BadParam('format', 'csv is for action=metrics only');
  return { action, format, limit: limit(query), ...withOptional('environment', environment(query)) };
}

export function parseDeploymentsQuery(query: Query): DeploymentsQuery {
  only(query, ['environment', 'status', 'limit', 'before']);
  const status = text(query, 'status');
  const statuses = status?.split(',').map((s) => {
    if (!(DEPLOYMENT_STATUSES as readonly string[]).includes(s)) throw new BadParam('status', `expected statuses among ${DEPLOYMENT_STATUSES.join(', ')} (got "${clip(s)}")`);
    return s as DeploymentStatus;
  });
  const before = text(query, 'before');
  if (before !== undefined && !isDeploymentId(before)) throw new BadParam('before', `not a deployment id (got "${clip(before)}")`);
  return { limit: limit(query), ...withOptional('environment', environment(query)), ...withOptional('statuses', statuses), ...withOptional('before', before) };
}

export function parseDeploymentId(id: string): string {
  if (!isDeploymentId(id)) throw new BadParam('id', `not a deployment id like dep_20260101T120000Z_0abcd (got "${clip(id)}")`);
  return id;
}

/** `after` of `/api/events` (or the `Last-Event-ID` header): the seq to resume after; undefined for live events only. */
export function parseEventsQuery(query: Query, lastEventId: string | undefined): number | undefined {
  only(query, ['after']);
  const value = text(query, 'after') ?? lastEventId;
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new BadParam('after', `expected a journal sequence number (got "${clip(value)}")`);
  return Number(value);
}
