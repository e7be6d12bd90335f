import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Masker } from '../../src/runtime/secrets.js';
import { createServer, type ServeServer } from '../../src/serve/server.js';
import { openSqlStore, type NewDeployment, type SqlStore } from '../../src/store/index.js';
import { STORE_CASES } from '../support/store-cases.js';

const TOKEN = 'serve-test-token-0123456789';
const SECRET = 'hunter2-very-secret-value';
const NOW = Date.parse('2026-01-20T00:00:00.000Z');

function deployment(id: string, rest: Partial<NewDeployment>): NewDeployment {
  const t = id.slice(4, 20);
  const startedAt = `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(9, 11)}:${t.slice(11, 13)}:${t.slice(13, 15)}.000Z`;
  return {
    id, app: 'web', environment: 'production', kind: 'deploy', version: 'v1.0.0', previousVersion: null, status: 'succeeded', triggeredBy: 'alice',
    reason: null, gitSha: null, gitRef: null, rollbackOf: null, startedAt, finishedAt: new Date(Date.parse(startedAt) + 60_000).toISOString(), meta: {}, ...rest,
  };
}

/** Four production deployments (3 succeeded, 1 rolled back; each took 60 s), one in staging, one of another app. */
const ROWS: NewDeployment[] = [
  deployment('dep_20260110T100000Z_00aaa', { version: 'v1.0.0' }),
  deployment('dep_20260111T100000Z_00aab', { version: 'v1.1.0', status: 'rolled_back', error: `boom with ${SECRET}` }),
  deployment('dep_20260112T100000Z_00aac', { version: 'v1.1.1', meta: { commitAt: '2026-01-12T09:00:00.000Z' } }),
  deployment('dep_20260113T100000Z_00aad', { version: 'v1.2.0', finishedAt: '2026-01-13T10:03:00.000Z' }),
  deployment('dep_20260113T110000Z_00aae', { version: 'v1.2.0', environment: 'staging' }),
  deployment('dep_20260113T120000Z_00aaf', { app: 'other', version: 'v9' }),
];

const cases = STORE_CASES;

describe.each(cases)('shipgate serve over a %s store', (_name, makeStore) => {
  let store: SqlStore;
  let server: ServeServer;
  let base: string;
  let done: () => Promise<void>;
  const auth = { authorization: `Bearer ${TOKEN}` };
  const get = (path: string, headers: Record<string, string> = auth): Promise<Response> => fetch(`${base}${path}`, { headers });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked by shape in each test
  const body = async (path: string): Promise<any> => (await get(path)).json();

  beforeEach(async () => {
    const made = await makeStore();
    done = made.done;
    store = await openSqlStore(made.url, { root: '/' });
    await store.insertDeployments(ROWS);
    for (const [stage, ms] of [['build', 2000], ['migrate', 3000]] as const) {
      await store.appendEvent({ deploymentId: ROWS[0]!.id, at: ROWS[0]!.startedAt, type: 'stage:finished', stage, step: null, data: { deploymentId: ROWS[0]!.id, stage, durationMs: ms } });
    }
    await store.appendEvent({ deploymentId: ROWS[2]!.id, at: ROWS[2]!.startedAt, type: 'stage:finished', stage: 'migrate', step: null, data: { deploymentId: ROWS[2]!.id, stage: 'migrate', durationMs: 5000 } });
    await store.tryAcquireLock({ app: 'web', environment: 'staging', deploymentId: ROWS[4]!.id, holder: 'bob', pid: 1, host: 'h', processStart: null, acquiredAt: ROWS[4]!.startedAt, heartbeatAt: ROWS[4]!.startedAt });
    server = await createServer({ store, app: 'web', token: TOKEN, masker: new Masker([SECRET]), rollbackWindowMs: 3_600_000, version: '0.1.0', now: () => NOW, pollMs: 20 });
    base = await server.http.listen({ host: '127.0.0.1', port: 0 });
  });

  afterEach(async () => {
    await server.close();
    await store.close();
    await done();
  });

  it('answers /api/health* without a token, in seed 003 shapes', async () => {
    expect(await (await get('/api/health', {})).json()).toEqual({ status: 'ok', timestamp: '2026-01-20T00:00:00.000Z', app: 'web', version: '0.1.0', database: 'connected' });
    const db = (await (await get('/api/health/database', {})).json()) as { database: { connectionTime: string } };
    expect(db).toMatchObject({ status: 'ok', database: { connected: true, dialect: store.dialect, deployments: 5 } });
    expect(db.database.connectionTime).toMatch(/^\d+ms$/);
    expect(await (await get('/api/health/migrations', {})).json()).toMatchObject({ status: 'ok', migrations: { executed: await store.schemaVersion(), pending: 0, valid: true } });
  });

  it('says so when the store stops answering: 503 on health, a 500 without internals elsewhere', async () => {
    await store.close();
    const health = await get('/api/health', {});
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'error', database: 'disconnected' });
    expect((await get('/api/health/database', {})).status).toBe(503);
    const stats = await get('/api/monitoring/deployment?action=stats');
    expect(stats.status).toBe(500);
    expect(await stats.json()).toEqual({ success: false, error: 'internal error (see the server log)' });
  });

  it('refuses everything else without the right bearer token, and never echoes a token', async () => {
    for (const path of ['/api/deployments', '/metrics', '/api/monitoring/deployment?action=stats', '/api/events', '/nope']) {
      const res = await get(path, {});
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
    const wrong = await get('/api/deployments', { authorization: 'Bearer not-the-token-at-all' });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain('not-the-token');
  });

  it('stats: counts, success rate, mean durations and the last deployment, per environment or all', async () => {
    expect(await body('/api/monitoring/deployment?action=stats&environment=production')).toEqual({
      success: true,
      data: {
        environment: 'production', deploymentCount: 4, successfulDeployments: 3, successRate: 0.75,
        averageDeploymentTime: 90_000, // (60 + 60 + 60 + 180) s / 4
        averageMigrationTime: 4000, // (3000 + 5000) / 2
        totalAlerts: 0, activeAlerts: 0, lastDeployment: '2026-01-13T10:00:00.000Z',
      },
    });
    expect((await body('/api/monitoring/deployment?action=stats')).data).toMatchObject({ environment: null, deploymentCount: 5, successfulDeployments: 4 });
  });

  it('stats stay right while old deployments finish and new ones arrive (the kept aggregates move on)', async () => {
    const stats = async () => (await body('/api/monitoring/deployment?action=stats&environment=production')).data as { deploymentCount: number; successfulDeployments: number; averageDeploymentTime: number };
    const failureRatio = async () => Number(/^shipgate_dora_change_failure_ratio\{environment="production"\} (\S+)$/m.exec(await (await get('/metrics')).text())?.[1]);
    // A run that crashed six days ago and was never recovered: everything after it is read fresh.
    const stuck = deployment('dep_20260114T100000Z_00aba', { status: 'running', finishedAt: null });
    await store.createDeployment(stuck);
    expect(await stats()).toMatchObject({ deploymentCount: 5, successfulDeployments: 3, averageDeploymentTime: 90_000 });
    expect(await failureRatio()).toBe(0.25);
    await store.updateDeployment(stuck.id, { status: 'succeeded', finishedAt: '2026-01-14T10:05:00.000Z' });
    expect(await stats()).toMatchObject({ deploymentCount: 5, successfulDeployments: 4, averageDeploymentTime: 132_000 }); // (360 + 300) s / 5
    expect(await failureRatio()).toBe(0.2); // 1 of 5 changes
    await store.createDeployment(deployment('dep_20260119T233000Z_00abb', { status: 'failed' })); // younger than the settled part
    expect(await stats()).toMatchObject({ deploymentCount: 6, successfulDeployments: 4, averageDeploymentTime: 120_000 });
    expect(await failureRatio()).toBeCloseTo(2 / 6);
  });

  it('metrics as JSON and CSV: one row per deployment, newest first, secrets masked', async () => {
    const json = await body('/api/monitoring/deployment?action=metrics&environment=production&limit=2');
    expect(json.data.metrics).toEqual([
      { timestamp: '2026-01-13T10:00:00.000Z', environment: 'production', deploymentId: ROWS[3]!.id, version: 'v1.2.0', kind: 'deploy', phase: 'deployment', status: 'succeeded', duration: 180_000, requests: null, errors: null },
      { timestamp: '2026-01-12T10:00:00.000Z', environment: 'production', deploymentId: ROWS[2]!.id, version: 'v1.1.1', kind: 'deploy', phase: 'deployment', status: 'succeeded', duration: 60_000, requests: null, errors: null },
    ]);
    const csv = await get('/api/monitoring/deployment?action=metrics&format=csv&environment=production');
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe('timestamp,environment,deploymentId,version,kind,phase,status,duration,requests,errors');
    expect(lines).toHaveLength(5);
    expect(lines[3]).toBe(`2026-01-11T10:00:00.000Z,production,${ROWS[1]!.id},v1.1.0,deploy,deployment,rolled_back,60000,,`);
  });

  it('health per environment: live version, lock, status', async () => {
    expect((await body('/api/monitoring/deployment?action=health&environment=staging')).data).toMatchObject({
      environment: 'staging', status: 'healthy', liveVersion: 'v1.2.0', lock: { held: true, deploymentId: ROWS[4]!.id },
    });
    expect((await body('/api/monitoring/deployment?action=health')).data.environments.map((e: { environment: string }) => e.environment)).toEqual(['production', 'staging']);
  });

  it('a bad query parameter is a 400 that names it', async () => {
    const bad: [string, string, string][] = [
      ['/api/monitoring/deployment', 'action', 'action: required (one of: stats, metrics, health, alerts)'],
      ['/api/monitoring/deployment?action=graph', 'action', 'action: expected one of stats, metrics, health, alerts (got "graph")'],
      ['/api/monitoring/deployment?action=stats&format=csv', 'format', 'format: csv is for action=metrics only'],
      ['/api/monitoring/deployment?action=metrics&limit=0', 'limit', 'limit: expected a whole number from 1 to 1000 (got "0")'],
      ['/api/monitoring/deployment?action=stats&environment=%3Bdrop', 'environment', 'environment: not an environment name (got ";drop")'],
      ['/api/monitoring/deployment?action=stats&action=metrics', 'action', 'action: give it once'],
      ['/api/monitoring/deployment?action=stats&envronment=x', 'envronment', 'envronment: unknown query parameter (expected one of: environment, action, format, limit)'],
      ['/api/deployments?status=done', 'status', expect.stringContaining('status: expected statuses among running,') as unknown as string],
      ['/api/deployments/42', 'id', 'id: not a deployment id like dep_20260101T120000Z_0abcd (got "42")'],
      ['/api/events?after=-1', 'after', 'after: expected a journal sequence number (got "-1")'],
    ];
    for (const [path, param, error] of bad) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(await res.json(), path).toEqual({ success: false, param, error });
    }
  });

  it('lists deployments and shows one with its record and journal, secrets masked', async () => {
    const list = await body('/api/deployments?environment=production&status=succeeded,rolled_back&limit=10');
    expect(list.data.map((d: { id: string }) => d.id)).toEqual([ROWS[3]!.id, ROWS[2]!.id, ROWS[1]!.id, ROWS[0]!.id]);
    const one = await get(`/api/deployments/${ROWS[1]!.id}`);
    const text = await one.text();
    expect(text).not.toContain(SECRET);
    expect(JSON.parse(text).data).toMatchObject({ deployment: { id: ROWS[1]!.id, status: 'rolled_back' }, record: { deployment_id: ROWS[1]!.id }, events: [] });
    expect((await body(`/api/deployments/${ROWS[0]!.id}`)).data.events.map((e: { stage: string }) => e.stage)).toEqual(['build', 'migrate']);
    expect((await get(`/api/deployments/${ROWS[5]!.id}`)).status).toBe(404); // another app's
  });

  it('/metrics: deployments by result, rollbacks, stage histogram, lock, live version and DORA', async () => {
    const res = await get('/metrics');
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    for (const line of [
      'shipgate_deployments_total{environment="production",kind="deploy",result="succeeded"} 3',
      'shipgate_deployments_total{environment="production",kind="deploy",result="rolled_back"} 1',
      'shipgate_rollbacks_total{environment="production",trigger="automatic"} 1',
      'shipgate_stage_duration_seconds_count{environment="production",stage="migrate",result="succeeded"} 2',
      'shipgate_stage_duration_seconds_sum{environment="production",stage="migrate",result="succeeded"} 8',
      'shipgate_lock_held{environment="staging"} 1',
      'shipgate_lock_held{environment="production"} 0',
      'shipgate_live_version_info{environment="production",version="v1.2.0"} 1',
      // 30-day window: 3 succeeded deploys / 30 days; one failed change of 4; restored when its undo ended (60 s)
      'shipgate_dora_deployment_frequency_per_day{environment="production"} 0.1',
      'shipgate_dora_change_failure_ratio{environment="production"} 0.25',
      'shipgate_dora_time_to_restore_seconds{environment="production"} 60',
      'shipgate_dora_lead_time_seconds{environment="production"} 3660',
    ]) expect(text).toContain(line);
    expect(text).not.toContain('other');
  });

  it('/api/events: replays after a seq, then streams new journal events live', async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}/api/events?after=1`, { headers: auth, signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = '';
    const until = async (text: string): Promise<void> => {
      while (!received.includes(text)) received += (await reader.read()).value ?? '';
    };
    await until('id: 3\n');
    expect(received).not.toContain('id: 1\n');
    expect(received).toContain('id: 2\nevent: stage:finished\n');
    await store.appendEvent({ deploymentId: ROWS[3]!.id, at: ROWS[3]!.startedAt, type: 'deploy:warning', stage: null, step: null, data: { deploymentId: ROWS[3]!.id, message: `leaked ${SECRET}` } });
    await until('event: deploy:warning');
    await until('\n\n');
    expect(received).toContain('"message":"leaked ***"');
    expect(received).not.toContain(SECRET);
    controller.abort();
  });
});
