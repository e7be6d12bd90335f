import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { ChecksGateSchema } from '../../../src/config/schema/index.js';
import type { Duration } from '../../../src/config/duration.js';
import { Cancelled } from '../../../src/errors.js';
import { createChecksGate } from '../../../src/gates/checks/gate.js';
import { HttpError, type HttpClient, type HttpRequest, type HttpResponse } from '../../../src/runtime/http.js';
import type { RunRequest, RunResult, Runner } from '../../../src/runtime/process.js';
import { drive, makeContext, SHA, track, untilParkedOrSettled } from './helpers.js';

type ChecksCfg = z.infer<typeof ChecksGateSchema>;
const d = (s: string): Duration => s as Duration;

const cfg = (over: Partial<ChecksCfg> = {}): ChecksCfg => ({
  github: { repo: 'acme/shop', required: ['test'], apiUrl: 'https://api.github.test', token: 'ghp_secrettoken' },
  commands: [],
  timeout: d('1m'),
  pollInterval: d('10s'),
  applyToRollback: false,
  ...over,
});

type Answer = { status: number; body: unknown } | Error;

/** An HttpClient answering the status and check-runs endpoints from `answer(kind)`. */
function stubHttp(answer: (kind: 'status' | 'check-runs', req: HttpRequest) => Answer): HttpClient & { requests: HttpRequest[] } {
  const requests: HttpRequest[] = [];
  const client = async (req: HttpRequest) => {
    requests.push(req);
    const kind = new URL(req.url).pathname.endsWith('/status') ? 'status' : 'check-runs';
    const a = answer(kind, req);
    if (a instanceof Error) throw a;
    return { status: a.status, headers: {}, body: JSON.stringify(a.body), ms: 1 };
  };
  return Object.assign(client, { requests });
}

const checkRuns = (...runs: { name: string; status: string; conclusion?: string | null }[]) => ({
  status: 200,
  body: { total_count: runs.length, check_runs: runs.map((r, i) => ({ id: i + 1, conclusion: null, html_url: `https://github.com/acme/shop/runs/${i + 1}`, ...r })) },
});
const noStatuses = { status: 200, body: { state: 'pending', statuses: [], total_count: 0 } };

const ok: RunResult = { exitCode: 0, signal: null, timedOut: false, cancelled: false, spawnError: null, durationMs: 5 };

function stubRunner(results: Record<string, Partial<RunResult> & { lines?: string[] }>): Runner & { calls: RunRequest[] } {
  const calls: RunRequest[] = [];
  const runner = async (req: RunRequest) => {
    calls.push(req);
    const r = results[req.argv.join(' ')] ?? {};
    for (const line of r.lines ?? []) req.onLine?.(line, 'stdout');
    return { ...ok, ...r };
  };
  return Object.assign(runner, { calls });
}

describe('checks gate', () => {
  it('passes when nothing is configured', async () => {
    const r = await createChecksGate(cfg({ github: undefined })).evaluate(makeContext());
    expect(r).toMatchObject({ result: 'pass', reason: 'no checks are configured' });
  });

  it('blocks without a commit sha, saying to pass --sha or run inside the checkout', async () => {
    const r = await createChecksGate(cfg()).evaluate(makeContext({ gitSha: null }));
    expect(r.result).toBe('block');
    expect(r.reason).toContain('pass --sha or run shipgate inside the git checkout');
  });

  it('sends GitHub headers and the token, and passes on success', async () => {
    const http = stubHttp((kind) => (kind === 'status' ? noStatuses : checkRuns({ name: 'test', status: 'completed', conclusion: 'success' })));
    const r = await createChecksGate(cfg()).evaluate(makeContext({ http }));
    expect(r.result).toBe('pass');
    expect(r.reason).toBe('required checks passed for acme/shop@0123456: test');
    expect(http.requests.map((q) => q.url)).toEqual([
      `https://api.github.test/repos/acme/shop/commits/${SHA}/status?per_page=100`,
      `https://api.github.test/repos/acme/shop/commits/${SHA}/check-runs?per_page=100&page=1`,
    ]);
    expect(http.requests[0]!.headers).toEqual({
      Accept: 'application/vnd.github+json',
      'X-GitHub-Api-Version': '2022-11-28',
      'User-Agent': 'shipgate',
      Authorization: 'Bearer ghp_secrettoken',
    });
  });

  it('sends no Authorization header without a token', async () => {
    const http = stubHttp((kind) => (kind === 'status' ? noStatuses : checkRuns({ name: 'test', status: 'completed', conclusion: 'success' })));
    await createChecksGate(cfg({ github: { repo: 'acme/shop', required: ['test'], apiUrl: 'https://api.github.test/' } })).evaluate(makeContext({ http }));
    expect(http.requests[0]!.headers).not.toHaveProperty('Authorization');
    expect(http.requests[0]!.url.startsWith('https://api.github.test/repos/')).toBe(true);
  });

  it('with noWait it does not wait for pending checks', async () => {
    const http = stubHttp((kind) => (kind === 'status' ? noStatuses : checkRuns({ name: 'test', status: 'queued' })));
    const ctx = makeContext({ http, noWait: true });
    const r = await createChecksGate(cfg({ github: { repo: 'acme/shop', required: ['test', 'gitleaks'], apiUrl: 'https://api.github.test' } })).evaluate(ctx);
    expect(r.result).toBe('block');
    expect(r.reason).toBe('required checks of acme/shop@0123456 are not finished (not waiting): test (queued), gitleaks (not reported yet)');
    expect(ctx.clock.pending).toBe(0);
    expect(ctx.waits).toEqual([]);
  });

  it('retries network errors while waiting and blocks with the last error at the timeout', async () => {
    const http = stubHttp(() => new HttpError('ECONNREFUSED', 'network'));
    const ctx = makeContext({ http });
    const { value: r, elapsedMs } = await drive(createChecksGate(cfg()).evaluate(ctx), ctx.clock, 10_000);
    expect(r.result).toBe('block');
    expect(r.reason).toBe(
      'checks still pending after 1m: the last look at GitHub failed: could not reach GitHub at https://api.github.test/repos/acme/shop/commits/0123456789abcdef0123456789abcdef01234567/status: ECONNREFUSED',
    );
    expect(elapsedMs).toBe(60_000);
    expect(http.requests.filter((q) => q.url.includes('/status')).length).toBe(7); // at 0, 10s ... 60s
    expect(ctx.waits[0]!.message).toBe(
      'waiting for checks: test (could not reach GitHub at https://api.github.test/repos/acme/shop/commits/0123456789abcdef0123456789abcdef01234567/status: ECONNREFUSED; retrying) — 1m left',
    );
  });

  it('recovers from a network error while waiting', async () => {
    let calls = 0;
    const http = stubHttp((kind) => {
      calls++;
      if (calls === 1) return new HttpError('ETIMEDOUT', 'network');
      return kind === 'status' ? noStatuses : checkRuns({ name: 'test', status: 'completed', conclusion: 'success' });
    });
    const ctx = makeContext({ http });
    const { value: r, elapsedMs } = await drive(createChecksGate(cfg()).evaluate(ctx), ctx.clock, 10_000);
    expect(r.result).toBe('pass');
    expect(r.reason).toContain('(waited 10s)');
    expect(elapsedMs).toBe(10_000);
  });

  it('reports the time left while waiting', async () => {
    let looks = 0;
    const http = stubHttp((kind) => {
      if (kind === 'status') looks++;
      return kind === 'status' ? noStatuses : checkRuns({ name: 'test', status: looks >= 3 ? 'completed' : 'in_progress', conclusion: looks >= 3 ? 'success' : null });
    });
    const ctx = makeContext({ http });
    const { value: r } = await drive(createChecksGate(cfg({ timeout: d('2m') })).evaluate(ctx), ctx.clock, 10_000);
    expect(r.result).toBe('pass');
    expect(ctx.waits.map((w) => w.message)).toEqual(['waiting for checks: test (in_progress) — 2m left', 'waiting for checks: test (in_progress) — 1m50s left']);
    expect(ctx.waits.every((w) => w.gate === 'checks')).toBe(true);
  });

  it('never puts the token into a reason', async () => {
    const http = stubHttp(() => ({ status: 401, body: { message: 'Bad credentials for ghp_secrettoken' } }));
    const mask = (t: string): string => t.split('ghp_secrettoken').join('***');
    const r = await createChecksGate(cfg()).evaluate(makeContext({ http, mask }));
    expect(r.result).toBe('block');
    expect(r.reason).toContain('GitHub rejected the credentials (HTTP 401');
    expect(r.reason).toContain('acme/shop@0123456');
    expect(r.reason).toContain('check the token');
    expect(JSON.stringify(r)).not.toContain('ghp_secrettoken');
  });

  it('a 403 blocks at once with what to check', async () => {
    const http = stubHttp(() => ({ status: 403, body: { message: 'Resource not accessible by integration' } }));
    const r = await createChecksGate(cfg()).evaluate(makeContext({ http }));
    expect(r.reason).toBe(
      'GitHub refused access (HTTP 403 ("Resource not accessible by integration")) to checks of acme/shop@0123456: check the token, and that it may read checks and commit statuses of acme/shop',
    );
  });

  it('a redirect (renamed repository) blocks at once', async () => {
    const http = stubHttp(() => ({ status: 301, body: { message: 'Moved Permanently', url: 'https://api.github.test/repositories/1/commits/x/status' } }));
    const r = await createChecksGate(cfg()).evaluate(makeContext({ http }));
    expect(r.result).toBe('block');
    expect(r.reason).toContain('(HTTP 301): the repository was probably renamed or moved; update gates.checks.github.repo');
  });

  it('a rate limit is retried rather than blocking at once', async () => {
    let calls = 0;
    const http: HttpClient = async (req): Promise<HttpResponse> => {
      calls++;
      if (calls === 1) return { status: 403, headers: { 'x-ratelimit-remaining': '0' }, body: '{"message":"API rate limit exceeded"}', ms: 1 };
      const a = req.url.includes('/status') ? noStatuses : checkRuns({ name: 'test', status: 'completed', conclusion: 'success' });
      return { status: a.status, headers: {}, body: JSON.stringify(a.body), ms: 1 };
    };
    const ctx = makeContext({ http });
    const { value: r } = await drive(createChecksGate(cfg()).evaluate(ctx), ctx.clock, 10_000);
    expect(r.result).toBe('pass');
    expect(ctx.waits[0]!.message).toContain('GitHub rate limit reached');
  });

  it('cancellation while waiting propagates', async () => {
    const http = stubHttp((kind) => (kind === 'status' ? noStatuses : checkRuns({ name: 'test', status: 'queued' })));
    const ac = new AbortController();
    const ctx = makeContext({ http, signal: ac.signal });
    const t = track(createChecksGate(cfg()).evaluate(ctx));
    await untilParkedOrSettled(ctx.clock, t.settled);
    const reason = new Cancelled('SIGINT');
    ac.abort(reason);
    await expect(t.promise).rejects.toBe(reason);
  });
});

describe('checks gate: command checks', () => {
  const commands: ChecksCfg['commands'] = [
    { name: 'unit', run: ['npm', 'test'], timeout: d('5m') },
    { name: 'lint', run: 'npm run lint', timeout: d('30s') },
  ];

  it('runs each command with its argv and timeout; exit 0 passes', async () => {
    const run = stubRunner({});
    const r = await createChecksGate(cfg({ github: undefined, commands })).evaluate(makeContext({ run }));
    expect(r).toMatchObject({ result: 'pass', reason: 'command checks passed: unit, lint' });
    expect(run.calls.map((c) => [c.argv, c.timeoutMs])).toEqual([
      [['npm', 'test'], 300_000],
      [['/bin/sh', '-c', 'npm run lint'], 30_000],
    ]);
  });

  it('a failing command blocks, naming it with its exit and last output line', async () => {
    const run = stubRunner({ 'npm test': { exitCode: 1, lines: ['> jest', '', 'Tests: 2 failed, 40 passed'] } });
    const r = await createChecksGate(cfg({ github: undefined, commands })).evaluate(makeContext({ run }));
    expect(r.result).toBe('block');
    expect(r.reason).toBe('command check failed: unit (exited with code 1: "Tests: 2 failed, 40 passed")');
    expect(run.calls).toHaveLength(1);
    expect(r.details!.commands).toMatchObject([{ name: 'unit', ok: false, tail: ['> jest', 'Tests: 2 failed, 40 passed'] }]);
  });

  it('a timed-out or unstartable command fails', async () => {
    const timedOut = await createChecksGate(cfg({ github: undefined, commands })).evaluate(
      makeContext({ run: stubRunner({ 'npm test': { exitCode: null, timedOut: true, signal: 'SIGTERM' } }) }),
    );
    expect(timedOut.reason).toBe('command check failed: unit (timed out after 300s and was killed)');
    const missing = await createChecksGate(cfg({ github: undefined, commands })).evaluate(
      makeContext({ run: stubRunner({ 'npm test': { exitCode: null, spawnError: 'ENOENT' } }) }),
    );
    expect(missing.reason).toBe('command check failed: unit (could not start: ENOENT)');
  });

  it('a failed GitHub check blocks before any command runs', async () => {
    const run = stubRunner({});
    const http = stubHttp((kind) => (kind === 'status' ? noStatuses : checkRuns({ name: 'test', status: 'completed', conclusion: 'failure' })));
    const r = await createChecksGate(cfg({ commands })).evaluate(makeContext({ run, http }));
    expect(r.reason).toBe('required checks failed for acme/shop@0123456: test (failure: https://github.com/acme/shop/runs/1)');
    expect(run.calls).toHaveLength(0);
  });

  it('with GitHub passing too, the reason lists both', async () => {
    const http = stubHttp((kind) => (kind === 'status' ? noStatuses : checkRuns({ name: 'test', status: 'completed', conclusion: 'success' })));
    const r = await createChecksGate(cfg({ commands })).evaluate(makeContext({ run: stubRunner({}), http }));
    expect(r.reason).toBe('required checks passed for acme/shop@0123456: test; command checks passed: unit, lint');
  });
});
