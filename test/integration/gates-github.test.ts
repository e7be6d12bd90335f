import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Duration } from '../../src/config/duration.js';
import { createChecksGate, type ChecksGateConfig } from '../../src/gates/checks/gate.js';
import { fetchHttp } from '../../src/runtime/http.js';
import { startFakeGithub, type FakeCheckRun, type FakeGithub } from '../support/fake-github.js';
import { drive, makeContext, SHA, track, untilParkedOrSettled, type TestContext } from '../unit/gates/helpers.js';

const TOKEN = 'ghp_integrationTestToken123';
const REPO = 'acme/shop';
let gh: FakeGithub;

beforeAll(async () => {
  gh = await startFakeGithub({ token: TOKEN });
});
afterAll(() => gh.close());
beforeEach(() => {
  gh.requests.length = 0;
});

const mask = (t: string): string => t.split(TOKEN).join('***');

function gate(required: string[], over: Partial<ChecksGateConfig> = {}, repo = REPO) {
  return createChecksGate({
    github: { repo, required, token: TOKEN, apiUrl: gh.url },
    commands: [],
    timeout: '10m' as Duration,
    pollInterval: '10s' as Duration,
    applyToRollback: false,
    ...over,
  });
}

function ctx(over: Parameters<typeof makeContext>[0] = {}): TestContext {
  return makeContext({ http: fetchHttp, mask, ...over });
}

const done = (id: number, name: string, conclusion = 'success'): FakeCheckRun => ({ id, name, status: 'completed', conclusion });
const running = (id: number, name: string): FakeCheckRun => ({ id, name, status: 'in_progress' });

describe('checks gate against a GitHub-shaped HTTP server', () => {
  it('passes when the required checks succeeded, sending the documented headers', async () => {
    gh.setCommit(REPO, SHA, { checkRuns: [done(1, 'test'), done(2, 'build'), done(3, 'lint', 'failure')] });
    const c = ctx();
    const r = await gate(['test', 'build']).evaluate(c);
    expect(r.result).toBe('pass');
    expect(r.reason).toBe('required checks passed for acme/shop@0123456: test, build');
    expect(c.waits).toEqual([]);
    expect(gh.requests.map((q) => [q.method, q.path, q.query])).toEqual([
      ['GET', `/repos/acme/shop/commits/${SHA}/status`, { per_page: '100' }],
      ['GET', `/repos/acme/shop/commits/${SHA}/check-runs`, { per_page: '100', page: '1' }],
    ]);
    for (const q of gh.requests) {
      expect(q.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(q.headers.accept).toBe('application/vnd.github+json');
      expect(q.headers['x-github-api-version']).toBe('2022-11-28');
      expect(q.headers['user-agent']).toBe('shipgate');
    }
  });

  it('blocks at once when a required check failed, naming it and its state', async () => {
    gh.setCommit(REPO, SHA, { checkRuns: [running(1, 'test'), done(2, 'build', 'timed_out')] });
    const c = ctx();
    const r = await gate(['test', 'build']).evaluate(c);
    expect(r.result).toBe('block');
    expect(r.reason).toBe('required checks failed for acme/shop@0123456: build (timed_out: https://github.com/acme/shop/runs/2)');
    expect(c.waits).toEqual([]);
    expect(c.clock.pending).toBe(0);
  });

  it('waits for pending checks and blocks after the timeout when they stay pending', async () => {
    gh.setCommit(REPO, SHA, { checkRuns: [running(1, 'test'), done(2, 'build')] });
    const c = ctx();
    const t = track(gate(['test', 'build', 'gitleaks']).evaluate(c));
    await untilParkedOrSettled(c.clock, t.settled);
    expect(t.settled()).toBe(false);
    expect(c.waits[0]).toEqual({ gate: 'checks', message: 'waiting for checks: test (in_progress), gitleaks (not reported yet) — 10m left' });

    const { value: r, elapsedMs } = await drive(t.promise, c.clock, 10_000);
    expect(r.result).toBe('block');
    expect(r.reason).toBe('checks still pending after 10m: test (in_progress), gitleaks (not reported yet)');
    expect(elapsedMs).toBe(10 * 60_000);
    expect(c.waits.at(-1)!.message).toBe('waiting for checks: test (in_progress), gitleaks (not reported yet) — 10s left');
    expect(gh.requests.filter((q) => q.path.endsWith('/status'))).toHaveLength(61); // at 0s, 10s, ... 600s
  });

  it('passes when a pending check turns green while waiting', async () => {
    gh.setCommit(REPO, SHA, { checkRuns: [{ id: 1, name: 'test', status: 'queued' }] });
    const c = ctx();
    const t = track(gate(['test']).evaluate(c));
    await untilParkedOrSettled(c.clock, t.settled);
    await c.clock.advance(10_000);
    await untilParkedOrSettled(c.clock, t.settled);
    gh.setCommit(REPO, SHA, { checkRuns: [done(1, 'test')] });
    await c.clock.advance(10_000);
    const r = await t.promise;
    expect(r.result).toBe('pass');
    expect(r.reason).toBe('required checks passed for acme/shop@0123456: test (waited 20s)');
    expect(c.waits.map((w) => w.message)).toEqual(['waiting for checks: test (queued) — 10m left', 'waiting for checks: test (queued) — 9m50s left']);
  });

  it('a failure that appears while waiting blocks at once', async () => {
    gh.setCommit(REPO, SHA, { checkRuns: [running(1, 'test')] });
    const c = ctx();
    const t = track(gate(['test']).evaluate(c));
    await untilParkedOrSettled(c.clock, t.settled);
    gh.setCommit(REPO, SHA, { checkRuns: [done(1, 'test', 'failure')] });
    await c.clock.advance(10_000);
    expect((await t.promise).reason).toBe('required checks failed for acme/shop@0123456: test (failure: https://github.com/acme/shop/runs/1)');
  });

  it('reads check runs spanning two pages', async () => {
    const runs = Array.from({ length: 150 }, (_, i) => done(i + 1, `job-${i + 1}`));
    runs[141] = running(142, 'job-142');
    gh.setCommit(REPO, SHA, { checkRuns: runs });
    const r = await gate(['job-3', 'job-142'], {}).evaluate(ctx({ noWait: true }));
    expect(r.reason).toBe('required checks of acme/shop@0123456 are not finished (not waiting): job-142 (in_progress)');
    expect(gh.requests.filter((q) => q.path.endsWith('/check-runs')).map((q) => q.query)).toEqual([
      { per_page: '100', page: '1' },
      { per_page: '100', page: '2' },
    ]);

    runs[141] = done(142, 'job-142');
    gh.setCommit(REPO, SHA, { checkRuns: runs });
    expect((await gate(['job-3', 'job-142']).evaluate(ctx())).result).toBe('pass');
  });

  it('uses the newest check run of a name (a re-run)', async () => {
    gh.setCommit(REPO, SHA, { checkRuns: [done(7, 'test', 'failure'), done(9, 'test', 'success')] });
    expect((await gate(['test']).evaluate(ctx())).result).toBe('pass');
  });

  it('a required name can be satisfied by a commit status instead of a check run', async () => {
    gh.setCommit(REPO, SHA, {
      checkRuns: [done(1, 'test')],
      statuses: [{ context: 'ci/circleci: deploy-check', state: 'success', target_url: 'https://circleci.example.com/1' }],
    });
    const r = await gate(['test', 'ci/circleci: deploy-check']).evaluate(ctx());
    expect(r.result).toBe('pass');
    expect(r.reason).toBe('required checks passed for acme/shop@0123456: test, ci/circleci: deploy-check');
  });

  it('a failed commit status blocks', async () => {
    gh.setCommit(REPO, SHA, { statuses: [{ context: 'security/snyk', state: 'error', target_url: 'https://snyk.example.com/1' }] });
    const r = await gate(['security/snyk']).evaluate(ctx());
    expect(r.reason).toBe('required checks failed for acme/shop@0123456: security/snyk (error: https://snyk.example.com/1)');
  });

  it('a 404 blocks with a clear reason naming the repo and the short sha', async () => {
    const c = ctx();
    const r = await gate(['test'], {}, 'acme/unknown').evaluate(c);
    expect(r.result).toBe('block');
    expect(r.reason).toBe(
      'GitHub found no commit 0123456 in acme/unknown (HTTP 404 ("Not Found")): check gates.checks.github.repo, that the commit is pushed, and that the token can see the repository',
    );
    expect(c.clock.pending).toBe(0);
    expect(gh.requests).toHaveLength(1);
  });

  it('a rejected token blocks without revealing it', async () => {
    gh.setCommit(REPO, SHA, { checkRuns: [done(1, 'test')] });
    const wrong = 'ghp_wrongTokenValue456';
    const g = createChecksGate({
      github: { repo: REPO, required: ['test'], token: wrong, apiUrl: gh.url },
      commands: [],
      timeout: '10m' as Duration,
      pollInterval: '10s' as Duration,
      applyToRollback: false,
    });
    const r = await g.evaluate(ctx({ mask: (t) => t.split(wrong).join('***') }));
    expect(r.reason).toBe('GitHub rejected the credentials (HTTP 401 ("Bad credentials")) reading checks of acme/shop@0123456: check the token');
    expect(JSON.stringify(r)).not.toContain(wrong);
    expect(gh.requests[0]!.headers.authorization).toBe(`Bearer ${wrong}`);
  });

  it('retries through network errors and server errors while waiting', async () => {
    gh.setCommit(REPO, SHA, { checkRuns: [done(1, 'test')] });
    gh.dropNext(1);
    gh.failNext(1, 502, 'Bad Gateway');
    const c = ctx();
    const { value: r, elapsedMs } = await drive(gate(['test']).evaluate(c), c.clock, 10_000);
    expect(r.result).toBe('pass');
    expect(elapsedMs).toBe(20_000);
    expect(c.waits[0]!.message).toMatch(/^waiting for checks: test \(could not reach GitHub at .*\/status: .*; retrying\) — 10m left$/);
    expect(c.waits[1]!.message).toBe('waiting for checks: test (GitHub answered HTTP 502 ("Bad Gateway") reading checks of acme/shop@0123456; retrying) — 9m50s left');
  });

  it('blocks without a sha', async () => {
    const r = await gate(['test']).evaluate(ctx({ gitSha: null }));
    expect(r.reason).toBe('the deployed commit is unknown, so the required GitHub checks of acme/shop cannot be read: pass --sha or run shipgate inside the git checkout');
    expect(gh.requests).toHaveLength(0);
  });
});
