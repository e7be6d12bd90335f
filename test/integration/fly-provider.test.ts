/**
 * The fly provider in-process (a DeploymentManager, a real SQLite store) against the fake
 * Machines API and the fake Prometheus that the tests start: each strategy, a canary whose
 * checks go critical, a failing release_command, a 429 burst, and a rollback from the store.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { DeploymentManager } from '../../src/index.js';
import { FlyClient } from '../../src/providers/fly/client.js';
import { sweepStandby } from '../../src/providers/fly/standby.js';
import { systemClock } from '../../src/runtime/clock.js';
import { fetchHttp } from '../../src/runtime/http.js';
import { startFakeMachinesApi, type FakeMachinesApi } from '../support/fly/fake-machines-api.js';
import { startFakePrometheus, type FakePrometheus } from '../support/fly/fake-prometheus.js';
import { makeProject, type Project } from '../support/project.js';

const TOKEN = 'fly-tok-4b1d9e';
const IMAGE = 'registry.fly.io/hotdash';

let fake: FakeMachinesApi;
let prom: FakePrometheus;
let project: Project | undefined;
const managers: DeploymentManager[] = [];
const savedToken = process.env.FLY_API_TOKEN;

beforeAll(async () => {
  process.env.FLY_API_TOKEN = TOKEN;
  prom = await startFakePrometheus();
});

afterAll(async () => {
  await prom.close();
  if (savedToken === undefined) delete process.env.FLY_API_TOKEN;
  else process.env.FLY_API_TOKEN = savedToken;
});

afterEach(async () => {
  for (const m of managers.splice(0)) await m.close();
  await fake?.close();
  await project?.cleanup();
  project = undefined;
});

interface Setup {
  strategy: string;
  machines?: number;
  extra?: string;
  rollout?: string;
  /** Adds provider.health at the app's fake public proxy: the URL the direct probe sends to each new machine. */
  edge?: boolean;
}

async function setup(s: Setup): Promise<DeploymentManager> {
  fake = await startFakeMachinesApi({ token: TOKEN, delays: { create: 5, start: 10, stop: 5, destroy: 5, checks: 10, run: 10 } });
  fake.addApp('hotdash');
  const health = s.edge ? `  health: { url: "${(await fake.edge('hotdash')).url}/health", timeout: 300ms, retries: 0 }\n` : '';
  const config = `app: hotdash
provider:
  type: fly
  app: hotdash
  image: "${IMAGE}:{version}"
  regions: [ams, fra]
  machines: { min: ${s.machines ?? 3} }
  strategy: ${s.strategy}
  maxUnavailable: 1
  apiUrl: "${fake.url.replace(/\/v1$/, '')}"
  wait: 3s
  check: { path: /health, interval: 1s, timeout: 1s }
${s.extra ?? ''}${health}rollout:
  steps: [{ weight: 10, pause: 300ms }, { weight: 50, pause: 300ms }, { weight: 100, pause: 0s }]
  pause: 200ms
  analysis: { interval: 60ms, failureLimit: 2, minRequests: 1 }
${s.rollout ?? ''}rollback: { auto: true, window: 30m }
`;
  project = await makeProject(config, {});
  const m = new DeploymentManager({ cwd: project.dir, env: { FLY_API_TOKEN: TOKEN }, actor: 'tester' });
  managers.push(m);
  return m;
}

const images = (): string[] => fake.machines('hotdash').filter((m) => m.config.restart && (m.config.restart as { policy: string }).policy === 'always').map((m) => String(m.config.image));
const started = (): string[] => fake.machines('hotdash').filter((m) => m.state === 'started').map((m) => String(m.config.image)).sort();
const leased = (): string[] => fake.machines('hotdash').filter((m) => m.lease && m.lease.expiresAt > Date.now()).map((m) => m.id);
const stages = (r: { record: { rollout_stages: { stage: string; traffic_percentage: number; status: string }[] } | null }): string[] =>
  (r.record?.rollout_stages ?? []).map((s) => `${s.stage} ${s.traffic_percentage}% ${s.status}`);

describe('provider type fly against the fake Machines API', () => {
  it.each([
    ['immediate', ['full 100% healthy']],
    ['rolling', ['batch-1 33% healthy', 'batch-2 67% healthy', 'batch-3 100% healthy']],
    ['canary', ['canary 33% healthy', 'progressive 67% healthy', 'full 100% healthy']],
    ['bluegreen', ['preview 0% healthy', 'switch 100% healthy']],
  ])('%s: every machine ends on the new image; the record has the steps with the weights reached', async (strategy, expected) => {
    const m = await setup({ strategy });
    const first = await m.deploy({ version: 'v1.0.0' });
    expect(first.error).toBeNull();
    expect(started()).toEqual([`${IMAGE}:v1.0.0`, `${IMAGE}:v1.0.0`, `${IMAGE}:v1.0.0`]);

    const r = await m.deploy({ version: 'v2.0.0' });
    expect(r.error).toBeNull();
    expect(r.success).toBe(true);
    expect(started()).toEqual([`${IMAGE}:v2.0.0`, `${IMAGE}:v2.0.0`, `${IMAGE}:v2.0.0`]);
    expect(stages(r)).toEqual(expected);
    // Every request the provider sent passed the spec's schema, and no lease is left behind.
    expect(fake.rejected).toEqual([]);
    expect(leased()).toEqual([]);
    // Every mutation of a machine carried its lease nonce.
    const mutations = fake.requests.filter((q) => /\/machines\/[^/]+(\/(stop|start|cordon|uncordon|metadata\/.+))?$/.test(q.path) && q.method !== 'GET' && q.status < 300);
    expect(mutations.length).toBeGreaterThan(0);
    for (const q of mutations) expect(q.headers['fly-machine-lease-nonce'], `${q.method} ${q.path}`).toMatch(/\S/);
    if (strategy === 'bluegreen') {
      // Blue is kept, stopped, for the rollback window: a rollback is an instant switch.
      const blue = fake.machines('hotdash').filter((x) => x.config.image === `${IMAGE}:v1.0.0`);
      expect(blue.map((x) => x.state)).toEqual(['stopped', 'stopped', 'stopped']);
      expect(blue.every((x) => x.cordoned)).toBe(true);
      const back = await m.rollback({ reason: 'test' });
      expect(back.error).toBeNull();
      expect(started()).toEqual([`${IMAGE}:v1.0.0`, `${IMAGE}:v1.0.0`, `${IMAGE}:v1.0.0`]);
      expect(fake.machines('hotdash').filter((x) => x.state !== 'destroyed' && !x.cordoned).map((x) => x.id).sort()).toEqual(blue.map((x) => x.id).sort());
      expect(fake.rejected).toEqual([]);
    }
  });

  it('canary: checks going critical at the canary step roll back, with no machine left on the new image', async () => {
    const m = await setup({ strategy: 'canary' });
    expect((await m.deploy({ version: 'v1.0.0' })).error).toBeNull();
    // The new image's checks pass at first (its machine becomes ready), then go critical once the canary
    // step is being watched: at the first read of the machines after the new image went out.
    let updated = false;
    fake.onRequest((q) => {
      if (q.method === 'POST' && (q.body as { config?: { image?: string } } | undefined)?.config?.image === `${IMAGE}:v2.0.0`) updated = true;
      else if (updated && q.method === 'GET' && q.path === '/v1/apps/hotdash/machines') {
        updated = false;
        fake.setChecks({ image: `${IMAGE}:v2.0.0` }, 'critical', { output: 'HTTP GET /health: 503' });
      }
    });
    const r = await m.deploy({ version: 'v2.0.0' });
    expect(r.success).toBe(false);
    expect(r.error).toContain('analysis failed 2 times (failureLimit 2), last in step canary');
    expect(r.error).toContain('critical checks');
    expect(images()).not.toContain(`${IMAGE}:v2.0.0`);
    expect(started()).toEqual([`${IMAGE}:v1.0.0`, `${IMAGE}:v1.0.0`, `${IMAGE}:v1.0.0`]);
    expect(stages(r)[0]).toMatch(/^canary 33% (failed|rolled_back)$/);
    expect(fake.rejected).toEqual([]);
    expect(leased()).toEqual([]);
  });

  it('a release_command exiting 1 fails the deploy before any machine changes', async () => {
    const m = await setup({ strategy: 'rolling', extra: '  releaseCommand: ["bin/rails", "db:migrate"]\n' });
    expect((await m.deploy({ version: 'v1.0.0' })).error).toBeNull();
    const before = fake.machines('hotdash').map((x) => `${x.id} ${x.instanceId} ${String(x.config.image)}`);
    fake.setExitCode(1, { image: `${IMAGE}:v2.0.0` });
    const seen = fake.requests.length;
    const r = await m.deploy({ version: 'v2.0.0' });
    expect(r.success).toBe(false);
    expect(r.error).toMatch(/the release command exited 1 \(machine \w+\); no app machine was changed/);
    expect(fake.machines('hotdash').map((x) => `${x.id} ${x.instanceId} ${String(x.config.image)}`)).toEqual(before);
    // The only writes were the release machine's own create.
    const writes = fake.requests.slice(seen).filter((q) => q.method !== 'GET');
    expect(writes.map((q) => `${q.method} ${q.path}`)).toEqual(['POST /v1/apps/hotdash/machines']);
    expect((writes[0]?.body as { config: { init: { cmd: string[] }; env: Record<string, string> } }).config.init.cmd).toEqual(['bin/rails', 'db:migrate']);
    expect(fake.rejected).toEqual([]);
  });

  it('survives a 429 burst (Retry-After) and 5xx answers', async () => {
    const m = await setup({ strategy: 'rolling', machines: 2 });
    expect((await m.deploy({ version: 'v1.0.0' })).error).toBeNull();
    fake.rateLimit(3, 1);
    fake.failNext(1, 503, { method: 'POST' });
    const r = await m.deploy({ version: 'v2.0.0' });
    expect(r.error).toBeNull();
    expect(started()).toEqual([`${IMAGE}:v2.0.0`, `${IMAGE}:v2.0.0`]);
    expect(fake.requests.filter((q) => q.status === 429)).toHaveLength(3);
    expect(fake.requests.filter((q) => q.status === 503)).toHaveLength(1);
    expect(fake.rejected).toEqual([]);
    // The token is in no record, journal, report or log shipgate wrote (the store's SQLite file included).
    const files = readdirSync(project!.dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(project!.dir, f)).isFile());
    expect(files.some((f) => f.endsWith('.db'))).toBe(true);
    expect(files.filter((f) => readFileSync(join(project!.dir, f)).includes(TOKEN))).toEqual([]);
  });

  it('a connection closed without an answer: a GET is sent again; a lost POST is not (it may have been applied), and says so', async () => {
    const m = await setup({ strategy: 'rolling', machines: 2 });
    expect((await m.deploy({ version: 'v1.0.0' })).error).toBeNull();
    const client = new FlyClient({ apiUrl: fake.url.replace(/\/v1$/, ''), app: 'hotdash', token: TOKEN, http: fetchHttp, clock: systemClock });
    let seen = fake.requests.length;
    fake.dropNext(2, { method: 'GET' });
    expect(await client.list()).toHaveLength(2);
    expect(fake.requests.slice(seen).map((q) => `${q.method} ${q.status}`)).toEqual(['GET 0', 'GET 0', 'GET 200']);

    const id = fake.machines('hotdash')[0]!.id;
    seen = fake.requests.length;
    fake.dropNext(1, { method: 'POST' });
    await expect(client.lease(id, 30, 'test')).rejects.toThrow(/^Fly\.io Machines API: POST \/machines\/\{id\}\/lease: no answer from http:\/\/127\.0\.0\.1:\d+\/ \(UND_ERR_SOCKET\)$/);
    expect(fake.requests.slice(seen).map((q) => `${q.method} ${q.status}`)).toEqual(['POST 0']);

    // In a deploy, a dropped GET costs a retry and nothing else.
    fake.dropNext(1, { method: 'GET' });
    const r = await m.deploy({ version: 'v2.0.0' });
    expect(r.error).toBeNull();
    expect(started()).toEqual([`${IMAGE}:v2.0.0`, `${IMAGE}:v2.0.0`]);
    expect(fake.rejected).toEqual([]);
  });

  it('refuses to deploy without FLY_API_TOKEN, before anything is recorded or changed', async () => {
    const m = await setup({ strategy: 'rolling' });
    delete process.env.FLY_API_TOKEN;
    try {
      await expect(m.deploy({ version: 'v1.0.0' })).rejects.toThrow('provider type fly needs a Machines API token in FLY_API_TOKEN (flyctl tokens create deploy -a hotdash)');
    } finally {
      process.env.FLY_API_TOKEN = TOKEN;
    }
    expect(fake.requests).toEqual([]);
  });

  it('analysis reads the new version\'s error rate from Prometheus; above the limit it rolls back', async () => {
    const m = await setup({
      strategy: 'canary',
      extra: `  metrics:\n    type: prometheus\n    url: "${prom.url}"\n    errorRate: 'sum(rate(http_requests_total{version="{version}",code=~"5.."}[1m])) / sum(rate(http_requests_total{version="{version}"}[1m]))'\n    p95: 'histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket{version="{version}"}[1m])) by (le))'\n`,
    });
    expect((await m.deploy({ version: 'v1.0.0' })).error).toBeNull();
    prom.set(/version="v2.0.0",code/, 0.2);
    prom.set(/histogram_quantile/, 0.12);
    const r = await m.deploy({ version: 'v2.0.0' });
    expect(r.success).toBe(false);
    expect(r.error).toContain('error rate 20.0%');
    expect(prom.queries.some((q) => q.query.includes('version="v2.0.0"'))).toBe(true);
    expect(images()).not.toContain(`${IMAGE}:v2.0.0`);
  });

  it.each([
    ['answer 500 to', { status: 500 }, 'direct probe: HTTP 500 from http://127.0.0.1:PORT/health (expected 2xx or 3xx)'],
    ['never answer', { hang: true }, 'direct probe: no answer from http://127.0.0.1:PORT/health: no answer within 300ms'],
  ])('canary: the new machines %s the direct probe (Fly checks all passing): rolled back, the record names the probe', async (_what, answer, reason) => {
    const m = await setup({ strategy: 'canary', edge: true });
    const edge = await fake.edge('hotdash');
    expect((await m.deploy({ version: 'v1.0.0' })).error).toBeNull();
    // Mid-canary: once the new image goes out, its machines answer badly through the proxy; their checks never fail.
    fake.onRequest((q) => {
      if (q.method === 'POST' && (q.body as { config?: { image?: string } } | undefined)?.config?.image === `${IMAGE}:v2.0.0`) edge.answer({ image: `${IMAGE}:v2.0.0` }, answer);
    });
    const r = await m.deploy({ version: 'v2.0.0' });
    expect(r.success).toBe(false);
    const expected = reason.replace('PORT', new URL(edge.url).port);
    expect(r.error).toContain('analysis failed 2 times (failureLimit 2), last in step canary');
    expect(r.error).toContain(expected);
    expect(r.error).not.toContain('critical checks');
    expect(images()).not.toContain(`${IMAGE}:v2.0.0`);
    expect(started()).toEqual([`${IMAGE}:v1.0.0`, `${IMAGE}:v1.0.0`, `${IMAGE}:v1.0.0`]);
    const failed = (r.record?.analysis ?? []).filter((a) => a.verdict === 'fail');
    expect(failed.length).toBe(2);
    for (const a of failed) expect(a.reasons.some((x) => /^probe of instance \w+ \(v2\.0\.0\) failed: /.test(x) && x.endsWith(expected)), a.reasons.join('; ')).toBe(true);
    // Each probe went to one canary machine, by fly-force-instance-id.
    const forced = edge.requests.filter((q) => q.forced !== null);
    expect(forced.length).toBeGreaterThanOrEqual(2);
    for (const q of forced) expect([q.path, q.machine, q.status]).toEqual(['/health', q.forced, 'hang' in answer ? 0 : 500]);
    expect(fake.rejected).toEqual([]);
    expect(leased()).toEqual([]);
  });

  it('canary: healthy new machines pass the direct probe; every evaluation carries their probes, ok', async () => {
    const m = await setup({ strategy: 'canary', edge: true });
    const edge = await fake.edge('hotdash');
    expect((await m.deploy({ version: 'v1.0.0' })).error).toBeNull();
    const r = await m.deploy({ version: 'v2.0.0' });
    expect(r.error).toBeNull();
    expect(started()).toEqual([`${IMAGE}:v2.0.0`, `${IMAGE}:v2.0.0`, `${IMAGE}:v2.0.0`]);
    const evaluations = (await m.eventsAfter(0)).events.flatMap((e) => (e.type === 'rollout:evaluation' && e.context.deploymentId === r.deploymentId ? [e.evaluation] : []));
    expect(evaluations.length).toBeGreaterThan(0);
    const v2 = new Set(fake.machines('hotdash').map((x) => x.id));
    for (const e of evaluations) {
      expect(e.verdict).not.toBe('fail');
      const direct = e.probes.filter((p) => p.reason.startsWith('direct probe: '));
      // One direct probe per machine on the new version at that step, beside its checks' probe.
      expect(direct.length).toBe(e.probes.length / 2);
      expect(direct.length).toBeGreaterThan(0);
      for (const p of direct) expect([p.ok, p.status, p.version, v2.has(p.instanceId)]).toEqual([true, 200, 'v2.0.0', true]);
    }
    const forced = edge.requests.filter((q) => q.forced !== null);
    expect(new Set(forced.map((q) => q.forced))).toEqual(new Set(evaluations.flatMap((e) => e.probes.map((p) => p.instanceId))));
    expect(forced.every((q) => q.status === 200 && q.machine === q.forced)).toBe(true);
  });

  it('bluegreen: kept blue machines past their window are swept; one another holder leased is left to it, and the next deploy goes through', async () => {
    const m = await setup({ strategy: 'bluegreen' });
    expect((await m.deploy({ version: 'v1.0.0' })).error).toBeNull();
    expect((await m.deploy({ version: 'v2.0.0' })).error).toBeNull();
    const kept = (): string[] => fake.machines('hotdash').filter((x) => x.config.image === `${IMAGE}:v1.0.0` && x.state !== 'destroyed' && x.state !== 'destroying').map((x) => x.id).sort();
    expect(kept()).toHaveLength(3);
    const client = new FlyClient({ apiUrl: fake.url.replace(/\/v1$/, ''), app: 'hotdash', token: TOKEN, http: fetchHttp, clock: systemClock });
    // Within the window the sweeper leaves them.
    expect((await sweepStandby(client, systemClock)).destroyed).toEqual([]);
    // Another holder (a sweeper in a serve process, say) leases one while the window has closed.
    const [held, ...rest] = kept();
    const lease = await client.lease(held!, 60, 'shipgate: rollback window closed');
    const late = { ...systemClock, now: () => Date.now() + 31 * 60_000 };
    const swept = await sweepStandby(client, late);
    expect(swept.destroyed.sort()).toEqual(rest.sort());
    expect(swept.busy).toEqual([held]);
    // The next deploy replaces kept machines of the last release; the leased one is left to its holder.
    const r = await m.deploy({ version: 'v3.0.0' });
    expect(r.error).toBeNull();
    await new Promise((res) => setTimeout(res, 50));
    expect(kept()).toEqual([held]);
    await client.releaseLease(held!, lease.nonce);
    // Its holder gone, it is swept with v2.0.0's kept machines, whose window has closed too by then.
    const last = await sweepStandby(client, late);
    expect(last.destroyed).toContain(held);
    expect(last.destroyed).toHaveLength(4);
    expect(fake.rejected).toEqual([]);
  });

  it('bluegreen with provider.health: no direct probe of green (cordoned, so the proxy routes nothing to it); the deploy goes through', async () => {
    const m = await setup({ strategy: 'bluegreen', edge: true });
    const edge = await fake.edge('hotdash');
    expect((await m.deploy({ version: 'v1.0.0' })).error).toBeNull();
    const r = await m.deploy({ version: 'v2.0.0' });
    expect(r.error).toBeNull();
    expect(stages(r)).toEqual(['preview 0% healthy', 'switch 100% healthy']);
    expect(edge.requests.filter((q) => q.forced !== null)).toEqual([]);
    // The health check after the switch reached green through the proxy.
    expect(edge.requests.at(-1)?.status).toBe(200);
  });

  it('rollback returns the machines to the previous release\'s image and config, kept in the store', async () => {
    const m = await setup({ strategy: 'rolling', machines: 2, extra: '  env: { GREETING: hello }\n' });
    expect((await m.deploy({ version: 'v1.0.0' })).error).toBeNull();
    const v1Config = fake.machines('hotdash')[0]!.config;
    expect((await m.deploy({ version: 'v2.0.0' })).error).toBeNull();
    const r = await m.rollback({ reason: 'bad release' });
    expect(r.error).toBeNull();
    expect(r.version).toBe('v1.0.0');
    for (const x of fake.machines('hotdash')) expect(x.config).toEqual(v1Config);
    expect(started()).toEqual([`${IMAGE}:v1.0.0`, `${IMAGE}:v1.0.0`]);
    expect(leased()).toEqual([]);
    expect(fake.rejected).toEqual([]);
  });
});
