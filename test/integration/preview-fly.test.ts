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
import { makeProject, type Project } from '../support/project.js';

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
});

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
  fake = await startFakeMachinesApi({ token: TOKEN, delays: { create: 5, start: 10, stop: 5, destroy: 5, checks: 10, run: 10 } });
  fake.addApp('hotdash');
  project = await makeProject(
    `app: hotdash
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
`,
    {},
  );
  const at = { now: Date.parse('2026-03-01T12:00:00Z') };
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
});
