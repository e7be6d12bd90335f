/**
 * Bodies of `POST /api/monitoring/deployment` (seed 003): `{action: "metric", data}` and
 * `{action: "resolve-alert", alertId}`. Checked field by field before anything is written;
 * a bad one is a 400 that names it. Pure.
 */
import { BadParam } from './params.js';

export const MONITORING_POST_ACTIONS = ['metric', 'resolve-alert'] as const;

export const ALERT_ID_RE = /^alr_\d{8}T\d{6}Z_[0-9a-f]{6}$/;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const REF_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const MAX_TEXT = 500;

export interface MetricInput {
  environment: string;
  phase: string;
  deploymentId: string | null;
  status: string | null;
  /** ms */
  duration: number | null;
  requests: number | null;
  errors: number | null;
  /** ISO-8601; null: when it was received. */
  timestamp: string | null;
}

export type MonitoringPost = { action: 'metric'; metric: MetricInput } | { action: 'resolve-alert'; id: string; resolvedBy: string | null; resolution: string | null };

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function only(obj: Obj, prefix: string, allowed: readonly string[]): void {
  const unknown = Object.keys(obj).find((k) => !allowed.includes(k));
  if (unknown !== undefined) throw new BadParam(`${prefix}${unknown}`, `unknown field (expected: ${allowed.join(', ')})`);
}

function str(obj: Obj, prefix: string, key: string, re: RegExp | null, what: string): string | null {
  const v = obj[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || (re !== null && !re.test(v)) || v.length > MAX_TEXT) throw new BadParam(`${prefix}${key}`, `expected ${what}`);
  return v;
}

function required<T>(value: T | null, param: string, what: string): T {
  if (value === null) throw new BadParam(param, `required (${what})`);
  return value;
}

function num(obj: Obj, key: string, whole: boolean): number | null {
  const v = obj[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (whole && !Number.isSafeInteger(v))) throw new BadParam(`data.${key}`, `expected a ${whole ? 'whole ' : ''}number >= 0 (got ${JSON.stringify(v)?.slice(0, 40)})`);
  return v;
}

function timestamp(obj: Obj): string | null {
  const v = str(obj, 'data.', 'timestamp', null, 'an ISO-8601 time like 2025-01-12T12:00:00Z');
  if (v === null) return null;
  const ms = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(ms)) throw new BadParam('data.timestamp', 'expected an ISO-8601 time like 2025-01-12T12:00:00Z');
  return new Date(ms).toISOString();
}

const METRIC_FIELDS = ['environment', 'deploymentId', 'phase', 'status', 'duration', 'requests', 'errors', 'timestamp'] as const;

function parseMetric(data: unknown): MetricInput {
  if (!isObject(data)) throw new BadParam('data', 'expected an object like {"environment": "staging", "phase": "deployment", "status": "success", "duration": 120000}');
  only(data, 'data.', METRIC_FIELDS);
  const requests = num(data, 'requests', true);
  const errors = num(data, 'errors', true);
  if (errors !== null && requests === null) throw new BadParam('data.requests', 'required with data.errors');
  if (errors !== null && requests !== null && errors > requests) throw new BadParam('data.errors', `expected at most data.requests (${requests}), got ${errors}`);
  return {
    environment: required(str(data, 'data.', 'environment', NAME_RE, 'an environment name'), 'data.environment', 'an environment name'),
    phase: required(str(data, 'data.', 'phase', NAME_RE, 'a phase name like "deployment" or "migration"'), 'data.phase', 'a phase name like "deployment" or "migration"'),
    deploymentId: str(data, 'data.', 'deploymentId', REF_RE, 'a deployment id of letters, digits, ".", "_", ":" or "-"'),
    status: str(data, 'data.', 'status', NAME_RE, 'a status like "success" or "failure"'),
    duration: num(data, 'duration', false),
    requests,
    errors,
    timestamp: timestamp(data),
  };
}

function parseResolve(body: Obj): MonitoringPost {
  only(body, '', ['action', 'alertId', 'id', 'resolvedBy', 'resolution']);
  if (body.alertId !== undefined && body.id !== undefined) throw new BadParam('alertId', 'give alertId or id, not both');
  const key = body.alertId !== undefined ? 'alertId' : 'id';
  const id = required(str(body, '', key, ALERT_ID_RE, 'an alert id like alr_20250112T120000Z_0a1b2c'), 'alertId', 'the id of the alert to resolve');
  return { action: 'resolve-alert', id, resolvedBy: str(body, '', 'resolvedBy', /^[^\r\n]{1,100}$/, 'a name of at most 100 characters'), resolution: str(body, '', 'resolution', /^[^\0]{1,500}$/, 'a note of at most 500 characters') };
}

export function parseMonitoringPost(body: unknown): MonitoringPost {
  if (!isObject(body)) throw new BadParam('body', 'expected a JSON object like {"action": "metric", "data": {…}}');
  const action = body.action;
  if (typeof action !== 'string' || !(MONITORING_POST_ACTIONS as readonly string[]).includes(action)) {
    throw new BadParam('action', `expected one of ${MONITORING_POST_ACTIONS.join(', ')}${action === undefined ? '' : ` (got ${JSON.stringify(action)?.slice(0, 40)})`}`);
  }
  if (action === 'resolve-alert') return parseResolve(body);
  only(body, '', ['action', 'data']);
  return { action: 'metric', metric: parseMetric(body.data) };
}
