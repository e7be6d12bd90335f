/**
 * Alerts and the monitoring POST actions over SQLite and PostgreSQL: a monitor rule probing a real
 * HTTP target opens one alert with its outbox rows; the API lists it, resolves it (404 for an unknown
 * id, idempotent for a resolved one); recorded metrics feed the error-rate rule and the metrics answer.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { probeOnce } from '../../src/health/probe.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { createAlertRoute } from '../../src/notify/alert-facts.js';
import { systemClock } from '../../src/runtime/clock.js';
import { fetchHttp } from '../../src/runtime/http.js';
import { Masker } from '../../src/runtime/secrets.js';
import { createServer, type ServeServer } from '../../src/serve/server.js';
import { openSqlStore, type SqlStore } from '../../src/store/index.js';
import type { MonitorRuleConfig } from '../../src/config/schema/monitor.js';
import type { Duration } from '../../src/config/duration.js';
import { startTarget, type Target } from '../support/http-target.js';
import { STORE_CASES } from '../support/store-cases.js';

const TOKEN = 'alerts-test-token-0123456789';
const SECRET = 'hunter2-alert-secret-value';
const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const d = (s: string): Duration => s as Duration;

const cases = STORE_CASES;

const route = createAlertRoute([{ type: 'webhook', name: 'hook', url: 'http://127.0.0.1:9/x', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', on: ['alert_firing'], timeout: d('1s') }]);

describe.each(cases)('alerts and monitoring POST over a %s store', (_name, makeStore) => {
  let store: SqlStore;
  let server: ServeServer;
  let base: string;
  let target: Target;
  let done: () => Promise<void>;
  let now = NOW;
  const masker = new Masker([SECRET]);
  const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const post = (body: unknown, headers: Record<string, string> = auth): Promise<Response> => fetch(`${base}/api/monitoring/deployment`, { method: 'POST', headers, body: JSON.stringify(body) });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked by shape
  const get = async (query: string): Promise<any> => (await fetch(`${base}/api/monitoring/deployment?${query}`, { headers: auth })).json();
  const monitor = (rules: MonitorRuleConfig[]): Monitor =>
    new Monitor({
      store, app: 'web', environment: 'production', rules, intervalMs: 1000, route, masker, now: () => now,
      probe: async (url, timeoutMs, expect) => {
        const r = await probeOnce(url, timeoutMs, expect, { http: fetchHttp, clock: systemClock });
        return { ok: r.healthy, reason: r.reason };
      },
    });

  beforeEach(async () => {
    const made = await makeStore();
    done = made.done;
    now = NOW;
    store = await openSqlStore(made.url, { root: '/' });
    target = await startTarget({ '/health': 200 });
    server = await createServer({ store, app: 'web', token: TOKEN, masker, rollbackWindowMs: 3_600_000, version: '0.1.0', now: () => now, pollMs: 50, alerts: { alertRoute: route } });
    base = await server.http.listen({ host: '127.0.0.1', port: 0 });
  });

  afterEach(async () => {
    await server.close();
    await store.close();
    await target.close();
    await done();
  });

  it('a failing health URL opens one alert with its outbox row; the API lists it and resolves it once', async () => {
    const m = monitor([{ type: 'health', name: 'api-health', url: `${target.url}/health`, timeout: d('2s'), failures: 2, successes: 1 }]);
    expect(await m.evaluateRule('api-health')).toBe(null);
    target.status.set('/health', 503);
    expect([await m.evaluateRule('api-health'), await m.evaluateRule('api-health'), await m.evaluateRule('api-health')]).toEqual([null, 'fire', null]);
    const listed = await get('action=alerts&environment=production');
    expect(listed.data).toMatchObject({ totalAlerts: 1, activeAlerts: 1, resolved: [] });
    const alert = listed.data.active[0];
    expect(alert).toMatchObject({ rule: 'api-health', kind: 'health', status: 'firing', summary: `${target.url}/health failed 2 probes in a row (last: HTTP 503 from ${target.url}/health)` });
    expect((await store.listNotifications({ limit: 10 })).map((n) => [n.id, n.alertId, n.deploymentId, n.channel, n.event, n.status])).toEqual([[`ntf_${alert.id}_alert_firing_hook`, alert.id, null, 'hook', 'alert_firing', 'pending']]);
    expect((await get('action=stats')).data).toMatchObject({ totalAlerts: 1, activeAlerts: 1 });

    now += 60_000;
    const resolved = await post({ action: 'resolve-alert', alertId: alert.id, resolvedBy: 'alice', resolution: `fixed the pool (${SECRET})` });
    expect(resolved.status).toBe(200);
    expect(((await resolved.json()) as { data: unknown }).data).toMatchObject({ changed: true, alert: { status: 'resolved', resolvedBy: 'alice', resolution: 'fixed the pool (***)', resolvedAt: '2026-03-01T12:01:00.000Z' } });
    const again = await post({ action: 'resolve-alert', id: alert.id });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { data: unknown }).data).toMatchObject({ changed: false, alert: { resolvedBy: 'alice' } });
    expect((await store.listNotifications({ limit: 10 })).map((n) => n.event).sort()).toEqual(['alert_firing', 'alert_resolved']);
    expect((await post({ action: 'resolve-alert', alertId: 'alr_20260301T120000Z_abcdef' })).status).toBe(404);

    // Still failing after a person resolved it: no new alert until the URL has recovered.
    expect(await m.evaluateRule('api-health')).toBe(null);
    target.status.set('/health', 200);
    expect(await m.evaluateRule('api-health')).toBe(null);
    target.status.set('/health', 500);
    await m.evaluateRule('api-health');
    expect(await m.evaluateRule('api-health')).toBe('fire');
    target.status.set('/health', 200);
    expect(await m.evaluateRule('api-health')).toBe('resolve');
    expect((await get('action=alerts')).data).toMatchObject({ totalAlerts: 2, activeAlerts: 0 });
    expect((await get('action=alerts')).data.resolved.map((a: { resolvedBy: string }) => a.resolvedBy)).toEqual(['monitor', 'alice']);
  });

  it('recorded metrics: validated, listed with the deployments, and read by the error-rate rule', async () => {
    const m = monitor([{ type: 'error-rate', name: 'errors', threshold: 1, window: d('5m'), minRequests: 100 }]);
    const record = async (data: Record<string, unknown>): Promise<number> => (await post({ action: 'metric', data })).status;
    expect(await record({ environment: 'production', phase: 'deployment', status: 'success', duration: 120000, deploymentId: 'deploy-production-20250112-1200' })).toBe(201);
    expect(await record({ environment: 'production', phase: 'traffic', requests: 500, errors: 4 })).toBe(201);
    expect(await m.evaluateRule('errors')).toBe(null);
    now += 1000;
    expect(await record({ environment: 'production', phase: 'traffic', requests: 500, errors: 9 })).toBe(201);
    expect(await record({ environment: 'staging', phase: 'traffic', requests: 500, errors: 500 })).toBe(201);
    expect(await m.evaluateRule('errors')).toBe('fire');
    expect((await get('action=alerts')).data.active[0]).toMatchObject({ rule: 'errors', kind: 'error-rate', summary: 'error rate 1.3% (13 of 1000 requests) is above 1%' });
    // The window moves past the bad minutes: the alert resolves itself.
    now += 6 * 60_000;
    expect(await record({ environment: 'production', phase: 'traffic', requests: 1000, errors: 1 })).toBe(201);
    expect(await m.evaluateRule('errors')).toBe('resolve');

    const metrics = (await get('action=metrics&environment=production&limit=10')).data.metrics;
    expect(metrics).toHaveLength(4);
    expect(metrics[3]).toEqual({ timestamp: '2026-03-01T12:00:00.000Z', environment: 'production', deploymentId: 'deploy-production-20250112-1200', version: null, kind: 'metric', phase: 'deployment', status: 'success', duration: 120000, requests: null, errors: null });
    const csv = await (await fetch(`${base}/api/monitoring/deployment?action=metrics&format=csv&environment=staging`, { headers: auth })).text();
    expect(csv.trimEnd().split('\r\n')[1]).toBe('2026-03-01T12:00:01.000Z,staging,,,metric,traffic,,,500,500');
  });

  it('a bad body is a 400 naming the field; without the token a 401', async () => {
    const cases: [unknown, string][] = [
      [[1, 2], 'body'],
      [{ action: 'graph' }, 'action'],
      [{ action: 'metric' }, 'data'],
      [{ action: 'metric', data: { phase: 'deployment' } }, 'data.environment'],
      [{ action: 'metric', data: { environment: 'production', phase: 'deployment', duration: -1 } }, 'data.duration'],
      [{ action: 'metric', data: { environment: 'production', phase: 'x', requests: 10, errors: 11 } }, 'data.errors'],
      [{ action: 'metric', data: { environment: 'production', phase: 'x', colour: 'red' } }, 'data.colour'],
      [{ action: 'metric', data: { environment: 'production', phase: 'x', timestamp: 'yesterday' } }, 'data.timestamp'],
      [{ action: 'resolve-alert' }, 'alertId'],
      [{ action: 'resolve-alert', alertId: '../etc' }, 'alertId'],
    ];
    for (const [body, param] of cases) {
      const res = await post(body);
      expect([res.status, ((await res.json()) as { param: string }).param]).toEqual([400, param]);
    }
    const bad = await post({ action: 'metric', data: { environment: 'production', phase: 'deployment', duration: 'long' } });
    expect(await bad.json()).toEqual({ success: false, error: 'data.duration: expected a number >= 0 (got "long")', param: 'data.duration' });
    expect((await post({ action: 'metric', data: { environment: 'production', phase: 'deployment' } }, { 'content-type': 'application/json' })).status).toBe(401);
    expect(await store.listMetrics({ app: 'web', limit: 10 })).toEqual([]);
  });
});
