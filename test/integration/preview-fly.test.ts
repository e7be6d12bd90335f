/**
 * `preview up/down/prune` in-process against the fake Machines API: an app per pull request,
 * created through the API, deployed by the normal pipeline (a real SQLite store), and deleted.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toMs } from '../../src/config/duration.js';
import { Pipeline } from '../../src/pipeline/deployment.js';
import { wire } from '../../src/pipeline/wiring.js';
import { previewDown, previewPrune, previewUp, type PreviewContext, type PreviewDeploy } from '../../src/previews/preview.js';
import { listPreviews, previewsDir } from '../../src/previews/records.js';
import { systemClock } from '../../src/runtime/clock.js';
import { fetchHttp } from '../../src/runtime/http.js';
import { startFakeMachinesApi, type FakeMachinesApi } from '../support/fly/fake-machines-api.js';
import { json, makeProject, type Project } from '../support/project.js';

const TOKEN = 'fly-tok-pr-7c2e';
const IMAGE = 'registry.fly.io/hotdash';
const DAY = 86_400_000;

let fake: FakeMachinesApi;
let project: Project | undefined;
const savedToken = process.env.FLY_API_TOKEN;

beforeAll(() => {
  process.env.FLY_API_TOKEN = TOKEN;
});
afterAll(() => {
  if (savedToken === undefined) delete process.env.FLY_API_TOKEN;
  else process.env.FLY_API_TOKEN = savedToken;
});
afterEach(async () => {
  await fake?.close();
  await project?.cleanup();
  project = undefined;
  for (const p of hosts.splice(0)) await p.cleanup();
});

/** The config every project root of a test shares (it names the fake's URL). */
let config = '';
/** Project roots standing for other hosts (CI runners): the same config, no records, a store of their own. */
const hosts: Project[] = [];

async function otherHost(ctx: PreviewContext): Promise<PreviewContext> {
  const p = await makeProject(config, {});
  hosts.push(p);
  return { ...ctx, cwd: p.dir };
}

/** A machine in `app` created straight through the API (its times from the test's clock). */
async function machineIn(app: string): Promise<void> {
  const res = await fetch(`${fake.url}/apps/${app}/machines`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ region: 'ams', config: { image: `${IMAGE}:v1` } }) });
  expect(res.status, await res.text()).toBe(200);
}

/** Why the last deploy did not succeed (shown by a failing assertion). */
let failure = '';

/** The normal pipeline's deploy, as the CLI runs it, without the CLI's rendering. */
const deploy: PreviewDeploy = async (loaded, version) => {
  const w = await wire({ storeUrl: loaded.config.store.url, root: loaded.root, storeRetryMs: toMs(loaded.config.store.retry), env: { FLY_API_TOKEN: TOKEN } });
  try {
    const control = new AbortController();
    const outcome = await new Pipeline(loaded, w.deps).deploy({ version, actor: 'tester' }, { signal: control.signal, killSignal: control.signal });
    failure = outcome.result?.status === 'succeeded' ? '' : `${outcome.result?.status}: ${outcome.result?.error}`;
    return outcome.result?.status === 'succeeded';
  } finally {
    await w.close();
  }
};

async function setup(): Promise<{ ctx: PreviewContext; at: { now: number } }> {
  const at = { now: Date.parse('2026-03-01T12:00:00Z') };
  // The platform reports its machines' times from the test's clock too, so a preview can age.
  fake = await startFakeMachinesApi({ token: TOKEN, delays: { create: 5, start: 10, stop: 5, destroy: 5, checks: 10, run: 10 }, now: () => at.now });
  fake.addApp('hotdash');
  config = `app: hotdash
provider:
  type: fly
  app: hotdash
  image: "${IMAGE}:{version}"
  regions: [ams]
  machines: { min: 2 }
  strategy: rolling
  apiUrl: "${fake.url.replace(/\/v1$/, '')}"
  wait: 3s
  check: { path: /health, interval: 1s, timeout: 1s }
environments:
  production: {}
  staging: { provider: { machines: { min: 1 } } }
`;
  project = await makeProject(config, {});
  // The records' times come from this clock; the API's waits still run on real time.
  const clock = { now: () => at.now, sleep: systemClock.sleep };
  return { ctx: { cwd: project.dir, env: { FLY_API_TOKEN: TOKEN }, clock, http: fetchHttp, allocatePort: () => Promise.reject(new Error('not local')) }, at };
}

const running = (app: string): string[] => fake.machines(app).filter((m) => m.state === 'started').map((m) => String(m.config.image));

describe('preview environments on Fly.io (fake Machines API)', () => {
  it('up creates the pull request\'s app and deploys it; a second up redeploys; down deletes the app', async () => {
    const { ctx } = await setup();
    const up = await previewUp(ctx, 42, 'v0.0.0-pr.42.aaaaaaa', deploy);
    expect(up.ok, failure).toBe(true);
    expect(up.record).toMatchObject({ pr: 42, environment: 'pr-42', base: 'staging', provider: 'fly', app: 'hotdash-pr-42', url: 'https://hotdash-pr-42.fly.dev' });
    expect(fake.apps().sort()).toEqual(['hotdash', 'hotdash-pr-42']);
    // The staging overlay (one machine) holds for the preview; the main app is untouched.
    expect(running('hotdash-pr-42')).toEqual([`${IMAGE}:v0.0.0-pr.42.aaaaaaa`]);
    expect(fake.machines('hotdash')).toEqual([]);

    const again = await previewUp(ctx, 42, 'v0.0.0-pr.42.bbbbbbb', deploy);
    expect(again.ok, failure).toBe(true);
    expect(running('hotdash-pr-42')).toEqual([`${IMAGE}:v0.0.0-pr.42.bbbbbbb`]);
    expect(fake.requests.filter((r) => r.operationId === 'Apps_create').map((r) => r.body)).toEqual([{ app_name: 'hotdash-pr-42', org_slug: 'personal' }]);

    const down = await previewDown(ctx, 42);
    expect(down).toEqual({ environment: 'pr-42', removed: 'Fly.io app hotdash-pr-42' });
    expect(fake.apps()).toEqual(['hotdash']);
    expect(fake.machines('hotdash-pr-42').map((m) => m.state).filter((s) => s !== 'destroying')).toEqual([]);
    expect(listPreviews(project!.dir)).toEqual([]);
    // A second down finds nothing and says so.
    expect((await previewDown(ctx, 42)).removed).toBeNull();
    // Every request passed the spec's schema.
    expect(fake.rejected).toEqual([]);
  });

  it('prune --older-than 7d removes only the previews last brought up more than 7 days ago', async () => {
    const { ctx, at } = await setup();
    expect((await previewUp(ctx, 1, 'v0.0.0-pr.1', deploy)).ok, failure).toBe(true);
    expect((await previewUp(ctx, 2, 'v0.0.0-pr.2', deploy)).ok, failure).toBe(true);
    at.now += 6 * DAY;
    // Pull request 2 was pushed to again: its preview is fresh.
    expect((await previewUp(ctx, 2, 'v0.0.0-pr.2.b', deploy)).ok, failure).toBe(true);
    at.now += 2 * DAY;
    const pruned = await previewPrune(ctx, 7 * DAY);
    expect(pruned.removed.map((r) => r.pr)).toEqual([1]);
    expect(pruned.kept.map((r) => r.pr)).toEqual([2]);
    expect(fake.apps().sort()).toEqual(['hotdash', 'hotdash-pr-2']);
    expect(running('hotdash-pr-2')).toEqual([`${IMAGE}:v0.0.0-pr.2.b`]);
    expect(listPreviews(project!.dir).map((r) => r.pr)).toEqual([2]);
    expect(statSync(join(previewsDir(project!.dir), '2.json')).mode & 0o777).toBe(0o600);
    expect(fake.rejected).toEqual([]);
  });

  it('prune goes on past an app it cannot delete, and reports it as failed', async () => {
    const { ctx, at } = await setup();
    expect((await previewUp(ctx, 1, 'v0.0.0-pr.1', deploy)).ok, failure).toBe(true);
    expect((await previewUp(ctx, 2, 'v0.0.0-pr.2', deploy)).ok, failure).toBe(true);
    at.now += 8 * DAY;
    fake.failNext(1, 403, { method: 'DELETE', path: /\/apps\/hotdash-pr-1$/ });
    const pruned = await previewPrune(ctx, 7 * DAY);
    expect(pruned.removed.map((e) => e.pr)).toEqual([2]);
    expect(pruned.failed.map((e) => [e.pr, e.reason])).toEqual([[1, 'its machines last changed 8d ago, longer ago than 7d; taking it down failed: Fly.io Machines API: DELETE /apps/hotdash-pr-1 answered 403: internal error (injected by the test)']]);
    expect(fake.apps().sort()).toEqual(['hotdash', 'hotdash-pr-1']);
    expect(listPreviews(project!.dir).map((r) => r.pr)).toEqual([1]);
    // The next prune finishes the job.
    expect((await previewPrune(ctx, 7 * DAY)).removed.map((e) => e.pr)).toEqual([1]);
    expect(fake.apps()).toEqual(['hotdash']);
  });

  it('prune finds the previews on the platform: from a host with no records it removes only the stale one, never a look-alike or the app itself', async () => {
    const { ctx: hostA, at } = await setup();
    const [hostB, hostC] = [await otherHost(hostA), await otherHost(hostA)];
    // Apps that are no previews of hotdash, their machines as old as the stale preview's.
    fake.addApp('hotdash-pr-12-old');
    fake.addApp('hotdash-api-pr-3');
    fake.addApp('hotdash-pr-9', 'other-team');
    for (const app of ['hotdash', 'hotdash-pr-12-old', 'hotdash-api-pr-3', 'hotdash-pr-9']) await machineIn(app);
    const broughtUp = new Date(at.now).toISOString();
    expect((await previewUp(hostA, 1, 'v0.0.0-pr.1', deploy)).ok, failure).toBe(true);
    at.now += 6 * DAY;
    expect((await previewUp(hostB, 2, 'v0.0.0-pr.2', deploy)).ok, failure).toBe(true);
    at.now += 2 * DAY;
    const bystanders = ['hotdash', 'hotdash-pr-12-old', 'hotdash-api-pr-3', 'hotdash-pr-9'].map((app) => fake.machines(app).length);
    expect(listPreviews(hostC.cwd!)).toEqual([]);

    const dry = await previewPrune(hostC, 7 * DAY, { dryRun: true });
    expect(dry.removed.map((e) => e.app)).toEqual(['hotdash-pr-1']);
    expect(fake.apps()).toContain('hotdash-pr-1');

    const pruned = await previewPrune(hostC, 7 * DAY);
    expect(pruned).toEqual({
      removed: [{ pr: 1, environment: 'pr-1', app: 'hotdash-pr-1', lastActivity: broughtUp, reason: 'its machines last changed 8d ago, longer ago than 7d' }],
      kept: [{ pr: 2, environment: 'pr-2', app: 'hotdash-pr-2', lastActivity: new Date(at.now - 2 * DAY).toISOString(), reason: 'its machines last changed 2d ago, within 7d' }],
      failed: [],
    });
    expect(fake.requests.filter((r) => r.operationId === 'Apps_delete').map((r) => r.path)).toEqual(['/v1/apps/hotdash-pr-1']);
    expect(fake.apps().sort()).toEqual(['hotdash', 'hotdash-api-pr-3', 'hotdash-pr-12-old', 'hotdash-pr-2', 'hotdash-pr-9']);
    expect(['hotdash', 'hotdash-pr-12-old', 'hotdash-api-pr-3', 'hotdash-pr-9'].map((app) => fake.machines(app).length)).toEqual(bystanders);
    // Machines were read only from the previews' apps: nothing else of the org is looked into.
    expect([...new Set(fake.requests.filter((r) => r.operationId === 'Machines_list').map((r) => r.path.split('/')[3]))].sort()).toEqual(['hotdash-pr-1', 'hotdash-pr-2']);
    expect(running('hotdash-pr-2')).toEqual([`${IMAGE}:v0.0.0-pr.2`]);

    // Host A still has its record of pull request 1; its own prune finds the app gone and forgets it.
    expect(listPreviews(hostA.cwd!).map((r) => r.pr)).toEqual([1]);
    const forgotten = await previewPrune(hostA, 7 * DAY);
    expect(forgotten.removed.map((e) => [e.pr, e.reason])).toEqual([[1, 'its Fly.io app is gone already; only this host\'s record is removed']]);
    expect(forgotten.kept.map((e) => e.pr)).toEqual([2]);
    expect(listPreviews(hostA.cwd!)).toEqual([]);
    expect(fake.rejected).toEqual([]);

    // Through the CLI (real clock: every machine is older than a day): --dry-run --json lists, and removes nothing.
    const cli = await project!.run(['preview', 'prune', '--older-than', '1d', '--dry-run', '--json'], { env: { FLY_API_TOKEN: TOKEN } });
    expect(cli.code, cli.stderr).toBe(0);
    const doc = json<{ dry_run: boolean; removed: { pr: number; app: string; last_activity: string; reason: string }[]; kept: unknown[]; failed: unknown[] }>(cli);
    expect(doc).toMatchObject({ dry_run: true, removed: [{ pr: 2, app: 'hotdash-pr-2', environment: 'pr-2' }], kept: [], failed: [] });
    expect(doc.removed[0]?.reason).toMatch(/^its machines last changed \d+d[0-9dhms]* ago, longer ago than 1d$/);
    const text = await project!.run(['preview', 'prune', '--older-than', '1d', '--dry-run'], { env: { FLY_API_TOKEN: TOKEN } });
    expect(text.stdout).toMatch(/^would remove pull request 2 \(Fly\.io app hotdash-pr-2\): its machines last changed /);
    expect(fake.apps()).toContain('hotdash-pr-2');
  });
});
