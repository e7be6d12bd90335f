import { afterEach, describe, expect, it } from 'vitest';
import { startFakeMachinesApi, type FakeMachinesApi, type FakeMachinesOptions } from '../support/fly/fake-machines-api.js';
import { startFakePrometheus, type FakePrometheus } from '../support/fly/fake-prometheus.js';

// The fakes the Fly.io provider will be tested against: they must behave as the published
// OpenAPI description and the documented Prometheus API say, or the provider's tests prove nothing.

let fake: FakeMachinesApi | undefined;
let prom: FakePrometheus | undefined;
afterEach(async () => {
  await fake?.close();
  await prom?.close();
  fake = undefined;
  prom = undefined;
});

async function start(opts: FakeMachinesOptions = {}): Promise<FakeMachinesApi> {
  fake = await startFakeMachinesApi({ token: 'tok-secret-123', ...opts });
  fake.addApp('hotdash');
  return fake;
}

interface Answer {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function call(f: FakeMachinesApi, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(f.url + path, {
    method,
    headers: { authorization: `Bearer ${f.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const GOOD_MACHINE = {
  name: 'web-1',
  region: 'ams',
  config: {
    image: 'registry.fly.io/hotdash:v2',
    guest: { cpu_kind: 'shared', cpus: 1, memory_mb: 256 },
    env: { PORT: '8080' },
    services: [{ protocol: 'tcp', internal_port: 8080, ports: [{ port: 443, handlers: ['tls', 'http'] }], checks: [{ type: 'http', port: 8080, path: '/healthz', interval: '5s', timeout: '2s' }] }],
    checks: { alive: { type: 'tcp', port: 8080, interval: '5s' } },
    restart: { policy: 'always' },
  },
};

async function createMachine(f: FakeMachinesApi, body: unknown = GOOD_MACHINE): Promise<Answer> {
  const res = await call(f, 'POST', '/apps/hotdash/machines', body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res;
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('fake Fly.io Machines API', () => {
  it('rejects a body that does not pass the spec schema (400 naming the fields) and records it; accepts a good one', async () => {
    const f = await start();
    const bad = await call(f, 'POST', '/apps/hotdash/machines', {
      region: 7,
      skip_service_registation: true,
      config: { image: 'registry.fly.io/hotdash:v2', guest: { cpus: '1' }, restart: { policy: 'sometimes' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('body.region: must be string');
    expect(bad.body.error).toContain('unknown property "skip_service_registation"');
    expect(bad.body.error).toContain('body.config.guest.cpus: must be integer');
    expect(bad.body.error).toContain('body.config.restart.policy: must be one of ["no","always","on-failure"]');
    expect(f.rejected).toHaveLength(1);
    expect(f.rejected[0]).toMatchObject({ method: 'POST', path: '/v1/apps/hotdash/machines', operationId: 'Machines_create' });
    expect(f.machines('hotdash')).toHaveLength(0);

    const badQuery = await call(f, 'GET', '/apps/hotdash/machines/x/wait?state=running');
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.error).toContain('state=running must be one of ["started","stopped","destroyed"]');
    const noBody = await call(f, 'POST', '/apps/hotdash/machines/x/lease');
    expect(noBody.status).toBe(400);
    expect(noBody.body.error).toContain('the request body is required');
    expect(f.rejected).toHaveLength(3);

    f.rejected.length = 0;
    const good = await createMachine(f);
    expect(good.body.state).toBe('created');
    expect(f.rejected).toEqual([]);
    // The fake's own answers pass the spec's response schemas.
    expect(f.spec.checkComponent('Machine', good.body)).toEqual([]);
    const shown = await call(f, 'GET', `/apps/hotdash/machines/${good.body.id as string}`);
    expect(f.spec.checkComponent('Machine', shown.body)).toEqual([]);
    expect(f.spec.checkComponent('App', (await call(f, 'GET', '/apps/hotdash')).body)).toEqual([]);
    expect(f.spec.checkComponent('ListAppsResponse', (await call(f, 'GET', '/apps?org_slug=personal')).body)).toEqual([]);
  });

  it('answers 401 without the token, 404 for an unknown path, 405 for an unknown method, and logs requests without the token', async () => {
    const f = await start();
    const anon = await fetch(`${f.url}/apps/hotdash`);
    expect(anon.status).toBe(401);
    const wrong = await call(f, 'GET', '/apps/hotdash', undefined, { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect((await call(f, 'GET', '/apps/hotdash/nothing')).status).toBe(404);
    const put = await call(f, 'PUT', '/apps/hotdash');
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, DELETE');
    expect((await call(f, 'GET', '/apps/ghost')).status).toBe(404);
    expect(f.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /v1/apps/hotdash 401',
      'GET /v1/apps/hotdash 401',
      'GET /v1/apps/hotdash/nothing 404',
      'PUT /v1/apps/hotdash 405',
      'GET /v1/apps/ghost 404',
    ]);
    expect(JSON.stringify(f.requests)).not.toContain('tok-secret-123');
    expect(f.requests[2]?.headers.authorization).toBeUndefined();
  });

  it('creates, lists and deletes apps', async () => {
    const f = await start();
    expect((await call(f, 'POST', '/apps', { app_name: 'hotdash-pr-7', org_slug: 'personal' })).status).toBe(201);
    expect((await call(f, 'POST', '/apps', { app_name: 'hotdash-pr-7', org_slug: 'personal' })).status).toBe(409);
    expect((await call(f, 'GET', '/apps/hotdash-pr-7')).body).toMatchObject({ name: 'hotdash-pr-7', organization: { slug: 'personal' } });
    const list = await call(f, 'GET', '/apps?org_slug=personal');
    expect(list.body.apps.map((a: { name: string }) => a.name)).toEqual(['hotdash', 'hotdash-pr-7']);
    expect((await call(f, 'DELETE', '/apps/hotdash-pr-7')).status).toBe(202);
    expect((await call(f, 'GET', '/apps/hotdash-pr-7')).status).toBe(404);
  });

  it('lists only the apps of the org asked for, in the spec\'s ListAppsResponse; org_slug is required', async () => {
    const f = await start();
    f.addApp('hotdash-pr-3', 'other-team');
    expect((await call(f, 'POST', '/apps', { app_name: 'hotdash-pr-4', org_slug: 'other-team' })).status).toBe(201);
    expect((await call(f, 'GET', '/apps/hotdash-pr-4')).body).toMatchObject({ organization: { slug: 'other-team' } });
    const personal = await call(f, 'GET', '/apps?org_slug=personal');
    expect(personal.body).toMatchObject({ total_apps: 1, apps: [{ name: 'hotdash', machine_count: 0 }] });
    expect(f.spec.checkComponent('ListAppsResponse', personal.body)).toEqual([]);
    const other = await call(f, 'GET', '/apps?org_slug=other-team');
    expect(other.body.apps.map((a: { name: string }) => a.name)).toEqual(['hotdash-pr-3', 'hotdash-pr-4']);
    const missing = await call(f, 'GET', '/apps');
    expect(missing.status).toBe(400);
    expect(missing.body.error).toContain('org_slug is required');
  });

  it('reports machine times from the clock it is given (to age an app), while states still change on real timers', async () => {
    const f = await start({ now: () => Date.parse('2026-03-01T12:00:00Z') });
    const created = await createMachine(f);
    expect(created.body).toMatchObject({ created_at: '2026-03-01T12:00:00.000Z', updated_at: '2026-03-01T12:00:00.000Z' });
    await until('started', () => f.machine(created.body.id)?.state === 'started');
    expect((await call(f, 'GET', `/apps/hotdash/machines/${created.body.id}`)).body.updated_at).toBe('2026-03-01T12:00:00.000Z');
  });

  it('moves machine states in time: created → starting → started → stopping → stopped → destroying → destroyed', async () => {
    const delays = { create: 40, start: 60, stop: 50, destroy: 30 };
    const f = await start({ delays });
    // Timed from before the create: its delay starts inside the call, and a loaded machine may answer late.
    const t0 = Date.now();
    const created = await createMachine(f);
    const id = created.body.id as string;
    expect(created.body.state).toBe('created');
    const started = await call(f, 'GET', `/apps/hotdash/machines/${id}/wait?state=started&timeout=5&instance_id=${created.body.instance_id as string}`);
    expect(started.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(delays.create + delays.start - 5);
    expect((await call(f, 'DELETE', `/apps/hotdash/machines/${id}`)).status).toBe(412); // still running, no force

    expect((await call(f, 'POST', `/apps/hotdash/machines/${id}/stop`, { signal: 'SIGTERM', timeout: '5s' })).status).toBe(200);
    expect((await call(f, 'GET', `/apps/hotdash/machines/${id}/wait?state=stopped&timeout=5`)).status).toBe(200);
    expect((await call(f, 'DELETE', `/apps/hotdash/machines/${id}`)).status).toBe(200);
    expect((await call(f, 'GET', `/apps/hotdash/machines/${id}/wait?state=destroyed&timeout=5`)).status).toBe(200);

    const history = f.machine(id)?.history ?? [];
    expect(history.map((h) => h.state)).toEqual(['created', 'starting', 'started', 'stopping', 'stopped', 'destroying', 'destroyed']);
    const gap = (from: string, to: string): number => (history.find((h) => h.state === to)?.at ?? 0) - (history.find((h) => h.state === from)?.at ?? 0);
    expect(gap('created', 'starting')).toBeGreaterThanOrEqual(delays.create - 2);
    expect(gap('starting', 'started')).toBeGreaterThanOrEqual(delays.start - 2);
    expect(gap('stopping', 'stopped')).toBeGreaterThanOrEqual(delays.stop - 2);
    expect(gap('destroying', 'destroyed')).toBeGreaterThanOrEqual(delays.destroy - 2);

    expect((await call(f, 'GET', '/apps/hotdash/machines')).body).toEqual([]);
    const all = await call(f, 'GET', '/apps/hotdash/machines?include_deleted=true');
    expect(all.body.map((m: { state: string }) => m.state)).toEqual(['destroyed']);
    const events = (await call(f, 'GET', `/apps/hotdash/machines/${id}/events`)).body as { type: string }[];
    expect(events.map((e) => e.type)).toEqual(['destroy', 'stop', 'start', 'launch']);
  });

  it('update replaces the config with a new instance that starts again; cordon, uncordon and metadata', async () => {
    const f = await start();
    const id = (await createMachine(f, { ...GOOD_MACHINE, skip_service_registration: true })).body.id as string;
    expect(f.machine(id)?.cordoned).toBe(true);
    expect((await call(f, 'GET', `/apps/hotdash/machines/${id}/wait?state=started&timeout=5`)).status).toBe(200);
    expect((await call(f, 'POST', `/apps/hotdash/machines/${id}/uncordon`)).status).toBe(200);
    expect(f.machine(id)?.cordoned).toBe(false);
    expect((await call(f, 'POST', `/apps/hotdash/machines/${id}/cordon`)).status).toBe(200);
    expect(f.machine(id)?.cordoned).toBe(true);

    const updated = await call(f, 'POST', `/apps/hotdash/machines/${id}`, { config: { ...GOOD_MACHINE.config, image: 'registry.fly.io/hotdash:v3' } });
    expect(updated.status).toBe(200);
    expect(updated.body.state).toBe('replacing');
    const waited = await call(f, 'GET', `/apps/hotdash/machines/${id}/wait?state=started&timeout=5&instance_id=${updated.body.instance_id as string}`);
    expect(waited.status).toBe(200);
    expect((await call(f, 'GET', `/apps/hotdash/machines/${id}`)).body.image_ref).toMatchObject({ repository: 'registry.fly.io/hotdash', tag: 'v3' });

    expect((await call(f, 'POST', `/apps/hotdash/machines/${id}/metadata/shipgate_release`, { value: 'r42' })).status).toBe(204);
    expect((await call(f, 'GET', `/apps/hotdash/machines/${id}/metadata`)).body).toEqual({ shipgate_release: 'r42' });
    expect((await call(f, 'DELETE', `/apps/hotdash/machines/${id}/metadata/shipgate_release`)).status).toBe(204);
    expect((await call(f, 'GET', `/apps/hotdash/machines/${id}/metadata`)).body).toEqual({});
    expect(f.rejected).toEqual([]);
  });

  it('leases: a second holder gets 409, mutations need the nonce, release frees the machine', async () => {
    const f = await start();
    const id = (await createMachine(f)).body.id as string;
    const lease = await call(f, 'POST', `/apps/hotdash/machines/${id}/lease`, { ttl: 60, description: 'shipgate deploy' });
    expect(lease.status).toBe(200);
    expect(f.spec.checkComponent('Lease', lease.body)).toEqual([]);
    const nonce = lease.body.nonce as string;
    expect(nonce).toMatch(/\S/);

    const second = await call(f, 'POST', `/apps/hotdash/machines/${id}/lease`, { ttl: 60 });
    expect(second.status).toBe(409);
    expect(second.body.error).toContain('lease currently held');
    expect((await call(f, 'POST', `/apps/hotdash/machines/${id}/cordon`)).status).toBe(409);
    expect((await call(f, 'POST', `/apps/hotdash/machines/${id}/cordon`, undefined, { 'fly-machine-lease-nonce': 'wrong' })).status).toBe(409);
    expect((await call(f, 'POST', `/apps/hotdash/machines/${id}/cordon`, undefined, { 'fly-machine-lease-nonce': nonce })).status).toBe(200);
    // The holder refreshes its lease with the nonce.
    expect((await call(f, 'POST', `/apps/hotdash/machines/${id}/lease`, { ttl: 60 }, { 'fly-machine-lease-nonce': nonce })).body.nonce).toBe(nonce);

    expect((await call(f, 'DELETE', `/apps/hotdash/machines/${id}/lease`)).status).toBe(409);
    expect((await call(f, 'DELETE', `/apps/hotdash/machines/${id}/lease`, undefined, { 'fly-machine-lease-nonce': nonce })).status).toBe(200);
    expect((await call(f, 'GET', `/apps/hotdash/machines/${id}/lease`)).status).toBe(404);
    expect((await call(f, 'POST', `/apps/hotdash/machines/${id}/uncordon`)).status).toBe(200);
    expect((await call(f, 'POST', `/apps/hotdash/machines/${id}/lease`, { ttl: 60 })).status).toBe(200);
  });

  it('wait answers 408 when a machine never starts', async () => {
    const f = await start({ secondMs: 100 });
    f.neverStart({ image: 'registry.fly.io/hotdash:v2' });
    const id = (await createMachine(f)).body.id as string;
    const t0 = Date.now();
    const waited = await call(f, 'GET', `/apps/hotdash/machines/${id}/wait?state=started&timeout=2`);
    expect(waited.status).toBe(408);
    expect(waited.body.error).toContain('did not reach started within 2s (it is starting)');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2 * 100 - 5);
    expect(f.machine(id)?.state).toBe('starting');
  });

  it('checks pass once the machine has started, and go critical when the test says, now or later', async () => {
    const f = await start({ delays: { checks: 20 } });
    const id = (await createMachine(f, { ...GOOD_MACHINE, skip_launch: true })).body.id as string;
    const statuses = async (): Promise<string[]> => ((await call(f, 'GET', `/apps/hotdash/machines/${id}`)).body.checks as { status: string }[]).map((c) => c.status);
    expect(await statuses()).toEqual(['critical', 'critical']); // not started yet
    expect((await call(f, 'POST', `/apps/hotdash/machines/${id}/start`)).status).toBe(200);
    await until('checks passing', async () => (await statuses()).every((s) => s === 'passing'));
    expect(((await call(f, 'GET', `/apps/hotdash/machines/${id}`)).body.checks as { name: string }[]).map((c) => c.name)).toEqual(['alive', 'servicecheck-00-0-http-8080']);

    f.setChecks(id, 'critical');
    expect(await statuses()).toEqual(['critical', 'critical']);
    f.setChecks({ image: 'registry.fly.io/hotdash:v2' }, 'passing');
    expect(await statuses()).toEqual(['passing', 'passing']);
    f.setChecks(id, 'critical', { afterMs: 150, output: 'HTTP GET: 503' });
    expect(f.checksOf(f.machine(id)!).map((c) => c.status)).toEqual(['passing', 'passing']); // not yet
    await until('checks critical', async () => (await statuses()).every((s) => s === 'critical'));
    expect(f.checksOf(f.machine(id)!)[0]?.output).toBe('HTTP GET: 503');
  });

  it('answers a 429 burst with Retry-After, then injected 5xx, then normally', async () => {
    const f = await start();
    f.rateLimit(2, 3);
    const first = await call(f, 'GET', '/apps/hotdash');
    const second = await call(f, 'GET', '/apps/hotdash');
    expect([first.status, second.status]).toEqual([429, 429]);
    expect(first.headers.get('retry-after')).toBe('3');
    f.failNext(1, 503, { method: 'POST' });
    expect((await call(f, 'GET', '/apps/hotdash')).status).toBe(200);
    expect((await call(f, 'POST', '/apps/hotdash/machines', GOOD_MACHINE)).status).toBe(503);
    expect(f.machines('hotdash')).toHaveLength(0);
    expect((await call(f, 'POST', '/apps/hotdash/machines', GOOD_MACHINE)).status).toBe(200);
  });

  it('a release_command machine runs, records an exit event with its exit code, and destroys itself', async () => {
    const f = await start();
    const release = (cmd: string): unknown => ({
      region: 'ams',
      config: { image: 'registry.fly.io/hotdash:v2', init: { cmd: ['sh', '-c', cmd] }, env: { RELEASE_COMMAND: '1' }, auto_destroy: true, restart: { policy: 'no' } },
    });
    const exitCode = async (id: string): Promise<number | undefined> => {
      expect((await call(f, 'GET', `/apps/hotdash/machines/${id}/wait?state=destroyed&timeout=5`)).status).toBe(200);
      const events = (await call(f, 'GET', `/apps/hotdash/machines/${id}/events`)).body as { type: string; request?: { exit_event?: { exit_code: number } } }[];
      for (const e of events) expect(f.spec.checkComponent('MachineEvent', e)).toEqual([]);
      return events.find((e) => e.type === 'exit')?.request?.exit_event?.exit_code;
    };
    expect(await exitCode((await createMachine(f, release('migrate'))).body.id as string)).toBe(0);
    f.setExitCode(1, (m) => JSON.stringify(m.config.init).includes('broken'));
    expect(await exitCode((await createMachine(f, release('broken-migrate'))).body.id as string)).toBe(1);
    expect(f.rejected).toEqual([]);
  });
});

describe('fake Fly.io public proxy (the app\'s edge)', () => {
  const get = async (url: string, id?: string, signal?: AbortSignal): Promise<{ status: number; text: string }> => {
    const res = await fetch(`${url}/health`, { headers: id ? { 'fly-force-instance-id': id } : {}, ...(signal ? { signal } : {}) });
    return { status: res.status, text: await res.text() };
  };
  const labelled = { ...GOOD_MACHINE, config: { ...GOOD_MACHINE.config, metadata: { shipgate_version: 'v2' } } };

  it('fly-force-instance-id reaches that machine and no other: started 200 with its version; stopped, cordoned or unknown 502', async () => {
    const f = await start({ delays: { create: 5, start: 10, stop: 5, destroy: 5 } });
    const edge = await f.edge('hotdash');
    const a = (await createMachine(f, labelled)).body.id as string;
    const b = (await createMachine(f, labelled)).body.id as string;
    await until('both started', () => f.machines('hotdash').every((m) => m.state === 'started'));
    expect(await get(edge.url, a)).toEqual({ status: 200, text: JSON.stringify({ machine: a, version: 'v2', image: 'registry.fly.io/hotdash:v2' }) });

    expect((await call(f, 'POST', `/apps/hotdash/machines/${b}/stop`)).status).toBe(200);
    await until('b stopped', () => f.machine(b)?.state === 'stopped');
    expect(await get(edge.url, b)).toEqual({ status: 502, text: `fly-proxy (fake): machine ${b} is stopped; fly-force-instance-id does not fall back to another machine\n` });
    // Without the header, requests go to the started machines only.
    for (let i = 0; i < 3; i++) expect(JSON.parse((await get(edge.url)).text).machine).toBe(a);

    expect((await call(f, 'POST', `/apps/hotdash/machines/${a}/cordon`)).status).toBe(200);
    expect((await get(edge.url, a)).text).toContain(`machine ${a} is cordoned (its services are disabled)`);
    expect(await get(edge.url)).toEqual({ status: 502, text: 'fly-proxy (fake): no started machine of hotdash with registered services\n' });
    expect((await get(edge.url, 'e784079b449483')).text).toContain('machine e784079b449483 is not a machine of hotdash');
    expect(edge.requests.slice(0, 2)).toEqual([
      { method: 'GET', path: '/health', forced: a, machine: a, status: 200 },
      { method: 'GET', path: '/health', forced: b, machine: null, status: 502 },
    ]);
  });

  it('a forced machine still starting is waited for (the proxy retries), up to retryMs', async () => {
    const f = await start({ delays: { create: 5, start: 60 } });
    const edge = await f.edge('hotdash', { retryMs: 1000 });
    const a = (await createMachine(f, labelled)).body.id as string;
    expect((await get(edge.url, a)).status).toBe(200);
    expect(f.machine(a)?.state).toBe('started');
  });

  it('answers what the test injects per image or per machine, from that moment: a status, or a hang', async () => {
    const f = await start({ delays: { create: 5, start: 10 } });
    const edge = await f.edge('hotdash');
    const a = (await createMachine(f, labelled)).body.id as string;
    await until('started', () => f.machine(a)?.state === 'started');
    expect((await get(edge.url, a)).status).toBe(200);
    edge.answer({ image: 'registry.fly.io/hotdash:v2' }, { status: 500, body: 'boom' });
    expect(await get(edge.url, a)).toEqual({ status: 500, text: 'boom' });
    edge.answer(a, { hang: true });
    await expect(get(edge.url, a, AbortSignal.timeout(150))).rejects.toThrow();
    expect(edge.requests.at(-1)).toEqual({ method: 'GET', path: '/health', forced: a, machine: a, status: 0 });
    edge.clearAnswers();
    expect((await get(edge.url, a)).status).toBe(200);
  });
});

describe('fake Prometheus', () => {
  const query = async (p: FakePrometheus, params: Record<string, string>): Promise<{ status: number; body: any }> => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await fetch(`${p.url}/api/v1/query?${new URLSearchParams(params).toString()}`);
    return { status: res.status, body: await res.json() };
  };

  it('answers instant queries in the documented vector shape with the values the test set, and errors in the error shape', async () => {
    const p = (prom = await startFakePrometheus());
    const errorRate = 'sum(rate(http_requests_total{version="v2",code=~"5.."}[5m])) / sum(rate(http_requests_total{version="v2"}[5m]))';
    p.set(errorRate, 0.02);
    p.set(/histogram_quantile\(0\.95/, [{ metric: { version: 'v2' }, value: 0.31 }]);

    const a = await query(p, { query: errorRate, time: '1764780000' });
    expect(a).toEqual({ status: 200, body: { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1764780000, '0.02'] }] } } });
    const b = await query(p, { query: 'histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket[5m])) by (le))' });
    expect(b.body.data.result).toEqual([{ metric: { version: 'v2' }, value: [expect.any(Number), '0.31'] }]);
    expect((await query(p, { query: 'up{job="nothing"}' })).body).toEqual({ status: 'success', data: { resultType: 'vector', result: [] } });

    const bad = await query(p, { query: 'sum(rate(http_requests_total[5m])' });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ status: 'error', errorType: 'bad_data', error: expect.stringContaining('parse error') });
    expect((await query(p, {})).body.errorType).toBe('bad_data');
    p.set('slow_query', { errorType: 'timeout', error: 'query timed out in expression evaluation' });
    expect((await query(p, { query: 'slow_query' })).status).toBe(503);
    expect(p.queries.map((q) => q.query)).toContain(errorRate);
  });
});
