/** `POST /api/monitoring/deployment`: record a metric, or resolve an alert (its channels are told through the outbox). */
import type { FastifyInstance } from 'fastify';
import type { AlertEvent, AlertRoute } from '../notify/alert-facts.js';
import type { Masker } from '../runtime/secrets.js';
import type { AlertRow, SqlStore } from '../store/index.js';
import { parseMonitoringPost, type MetricInput } from './monitoring-body.js';

/** Who resolved an alert through the API when the body does not say. */
export const DEFAULT_RESOLVED_BY = 'api';

export interface MonitoringPostDeps {
  store: SqlStore;
  app: string;
  masker: Masker;
  now: () => number;
  /** Channels to tell about a resolved alert; none when unset. */
  alertRoute?: AlertRoute;
  /** Told after an alert changed (the outbox has rows to send). */
  onAlert?: (alert: AlertRow, event: AlertEvent) => void;
}

function recordOf(app: string, m: MetricInput, received: string, masker: Masker): Parameters<SqlStore['recordMetric']>[0] {
  const at = m.timestamp ?? received;
  const data = masker.maskValue(Object.fromEntries(Object.entries({ ...m, timestamp: at }).filter(([, v]) => v !== null)));
  return { app, environment: m.environment, at, deploymentId: m.deploymentId, phase: m.phase, status: m.status, durationMs: m.duration === null ? null : Math.round(m.duration), requests: m.requests, errors: m.errors, data };
}

export function monitoringPostRoute(http: FastifyInstance, deps: MonitoringPostDeps): void {
  http.post('/api/monitoring/deployment', async (req, reply) => {
    const post = parseMonitoringPost(req.body);
    const at = new Date(deps.now()).toISOString();
    if (post.action === 'metric') {
      const record = recordOf(deps.app, post.metric, at, deps.masker);
      await deps.store.recordMetric(record);
      return reply.code(201).send({ success: true, data: { recorded: record.data } });
    }
    const known = await deps.store.getAlert(post.id);
    if (!known || known.app !== deps.app) return reply.code(404).send({ success: false, error: `no alert ${post.id} of ${deps.app}` });
    const resolution = { at, by: deps.masker.mask(post.resolvedBy ?? DEFAULT_RESOLVED_BY), resolution: post.resolution === null ? null : deps.masker.mask(post.resolution) };
    const done = await deps.store.resolveAlert(post.id, resolution, (a) => deps.alertRoute?.('alert_resolved', a.environment) ?? []);
    if (!done) return reply.code(404).send({ success: false, error: `no alert ${post.id} of ${deps.app}` });
    if (done.changed) deps.onAlert?.(done.alert, 'alert_resolved');
    return { success: true, data: { alert: deps.masker.maskValue(done.alert), changed: done.changed } };
  });
}
