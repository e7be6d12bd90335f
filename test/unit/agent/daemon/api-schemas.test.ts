import { describe, expect, it } from 'vitest';
import { parseInput } from '../../../../src/agent/daemon/api-input.js';
import { ConfigureBody, EnsureBody, KeepWarmBody, MAX_KEEP_WARM_MS, MAX_TIMER_MS, RolloutBeginBody, StatsQuery, WeightsBody } from '../../../../src/agent/daemon/api-schemas.js';
import { AgentApiError } from '../../../../src/agent/daemon/errors.js';
import { checkKeepWarmUntil } from '../../../../src/agent/daemon/routes.js';
import { unknownVersions, validateWeights } from '../../../../src/agent/daemon/weights.js';

/** The control API's validation: each error names the field, what was expected and what came (never a secret). These texts are pinned. */

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof AgentApiError) return `${err.status} ${err.message}`;
    throw err;
  }
  throw new Error('accepted');
}

const SPEC = {
  version: 'v1.0.0',
  releaseDir: '/srv/app/.shipgate/releases/v1.0.0',
  argv: ['node', 'server.js'],
  env: { TOKEN: 'x' },
  readiness: { path: '/health', intervalMs: 1000, timeoutMs: 2000, graceMs: 30_000 },
  stopTimeoutMs: 30_000,
};

function ensure(change: (s: Record<string, unknown>) => void): string {
  const spec = structuredClone(SPEC) as unknown as Record<string, unknown>;
  change(spec);
  return errorOf(() => parseInput(EnsureBody, { spec, count: 2 }, 'body'));
}

describe('control API bodies', () => {
  it('accepts what the CLI sends', () => {
    expect(parseInput(EnsureBody, { spec: SPEC, count: 2 }, 'body').spec).toEqual(SPEC);
    expect(parseInput(WeightsBody, { weights: { 'v1.0.0': 95, 'v1.1.0': 5 }, reason: 'rollout' }, 'body').weights).toEqual({ 'v1.0.0': 95, 'v1.1.0': 5 });
    expect(parseInput(StatsQuery, { version: 'v1' }, 'query')).toEqual({ version: 'v1', windowMs: 10_000 });
    expect(parseInput(StatsQuery, { version: 'v1', windowMs: '60000' }, 'query')).toEqual({ version: 'v1', windowMs: 60_000 });
  });

  it('weights: empty, not summing to 100, fractional, out of range, a bad name, a reason that could forge a log line', () => {
    expect(errorOf(() => parseInput(WeightsBody, { weights: {} }, 'body'))).toBe('400 weights: expected at least one version (an empty table would answer every request with 503)');
    expect(errorOf(() => parseInput(WeightsBody, { weights: { a: 50, b: 49 } }, 'body'))).toBe('400 weights: expected percents that sum to 100 (got 99)');
    expect(errorOf(() => parseInput(WeightsBody, { weights: { a: 50.5, b: 49.5 } }, 'body'))).toBe('400 weights.a: expected a whole number from 0 to 100 (got 50.5); weights.b: expected a whole number from 0 to 100 (got 49.5)');
    expect(errorOf(() => parseInput(WeightsBody, { weights: { a: 150 } }, 'body'))).toBe('400 weights.a: expected a whole number from 0 to 100 (got 150)');
    expect(errorOf(() => parseInput(WeightsBody, { weights: { '../x': 100 } }, 'body'))).toMatch(/^400 weights\["\.\.\/x"\]: expected a version name/);
    expect(errorOf(() => parseInput(WeightsBody, { weights: { a: 100 }, reason: 'ok\n2026 [agent 1] forged' }, 'body'))).toMatch(/^400 reason: expected text without control characters \(it goes to the agent log\) \(got "ok\\n2026/);
  });

  it('keep-warm: untilMs must be a whole number, then within MAX_KEEP_WARM_MS of the agent clock', () => {
    expect(errorOf(() => parseInput(KeepWarmBody, { version: 'v1', untilMs: 1.5 }, 'body'))).toBe(`400 untilMs: expected a whole number from 0 to ${Number.MAX_SAFE_INTEGER} (got 1.5)`);
    expect(errorOf(() => parseInput(KeepWarmBody, { version: 'v1', untilMs: 1e16 }, 'body'))).toBe(`400 untilMs: expected a whole number from 0 to ${Number.MAX_SAFE_INTEGER} (got 10000000000000000)`);
    const now = Date.UTC(2026, 0, 1);
    expect(errorOf(() => checkKeepWarmUntil(9e15, now))).toBe(`400 untilMs: expected a time in ms since 1970 within 366 days of the agent's clock (now ${now}) (got 9000000000000000)`);
    expect(() => checkKeepWarmUntil(now + MAX_KEEP_WARM_MS, now)).not.toThrow();
    expect(() => checkKeepWarmUntil(now - 1000, now)).not.toThrow();
    expect(errorOf(() => checkKeepWarmUntil(now + MAX_KEEP_WARM_MS + 1, now))).toBe(`400 untilMs: expected a time in ms since 1970 within 366 days of the agent's clock (now ${now}) (got ${now + MAX_KEEP_WARM_MS + 1})`);
    // Whatever passes both checks is a time Date can print.
    expect(new Date(now + MAX_KEEP_WARM_MS).toISOString()).toBe('2027-01-02T00:00:00.000Z');
  });

  it('version specs: argv, paths, times a timer can hold, env names', () => {
    expect(ensure((s) => (s.argv = []))).toBe('400 spec.argv: expected at least the program name (got [])');
    expect(ensure((s) => (s.argv = ['']))).toBe('400 spec.argv: expected a program name, not an empty string (got a list)');
    expect(ensure((s) => (s.argv = ['node', 'a\0b']))).toBe('400 spec.argv[1]: expected a string without NUL characters (got "a\\u0000b")');
    expect(ensure((s) => (s.releaseDir = 'releases/v1'))).toBe('400 spec.releaseDir: expected an absolute path without "." or ".." segments, doubled slashes or NUL characters (got "releases/v1")');
    expect(ensure((s) => (s.releaseDir = '/srv/app/../../etc'))).toMatch(/^400 spec\.releaseDir: expected an absolute path without/);
    expect(ensure((s) => ((s.readiness as Record<string, unknown>).path = 'health'))).toBe('400 spec.readiness.path: expected a path starting with "/", of visible ASCII characters (got "health")');
    expect(ensure((s) => ((s.readiness as Record<string, unknown>).intervalMs = 0))).toBe(`400 spec.readiness.intervalMs: expected a whole number of milliseconds from 10 to ${MAX_TIMER_MS} (got 0)`);
    expect(ensure((s) => (s.stopTimeoutMs = MAX_TIMER_MS + 1))).toBe(`400 spec.stopTimeoutMs: expected a whole number of milliseconds from 1 to ${MAX_TIMER_MS} (got ${MAX_TIMER_MS + 1})`);
    expect(ensure((s) => (s.env = { 'A=B': 'x' }))).toBe('400 spec.env["A=B"]: expected an environment variable name (got "A=B")');
    expect(errorOf(() => parseInput(EnsureBody, { spec: SPEC, count: 65 }, 'body'))).toBe('400 count: expected a whole number from 0 to 64 (got 65)');
  });

  it('never shows an environment value in an error: it may be a secret', () => {
    const secret = 's3cr3t-\0-value';
    const err = ensure((s) => (s.env = { TOKEN: secret, PORTS: 8080 }));
    expect(err).toBe('400 spec.env.TOKEN: expected a string without NUL characters (the value is not shown: it may be a secret); spec.env.PORTS: expected a string without NUL characters (the value is not shown: it may be a secret)');
    expect(err).not.toContain('s3cr3t');
  });

  it('configure: the router settings have the config file\'s rules', () => {
    const router = { stickyCookie: false, versionHeader: true, bodyLimit: 1024, retry: true, ejectAfter: 5, maxConnections: 100 };
    expect(parseInput(ConfigureBody, { app: 'demo', listen: '127.0.0.1:3000', router }, 'body').router).toEqual(router);
    expect(errorOf(() => parseInput(ConfigureBody, { app: 'demo', listen: '127.0.0.1:70000', router }, 'body'))).toBe('400 listen: expected a port from 1 to 65535 (got "127.0.0.1:70000")');
    expect(errorOf(() => parseInput(ConfigureBody, { app: 'demo', listen: ':1', router: { ...router, maxConnections: 0 } }, 'body'))).toBe('400 router.maxConnections: expected at least 1 (got 0)');
  });

  it('rollout begin: a dead-man time a comparison and a person can use, a plain id; stable may be the candidate (a repair)', () => {
    const ok = { id: 'dep_20261122T173000Z_0rk3f', stable: 'v1', candidate: 'v2', deadmanMs: 30_000 };
    expect(parseInput(RolloutBeginBody, ok, 'body')).toEqual(ok);
    expect(errorOf(() => parseInput(RolloutBeginBody, { ...ok, deadmanMs: 10 }, 'body'))).toBe(`400 deadmanMs: expected a whole number of milliseconds from 1000 to ${MAX_TIMER_MS} (got 10)`);
    expect(parseInput(RolloutBeginBody, { ...ok, candidate: 'v1' }, 'body')).toEqual({ ...ok, candidate: 'v1' });
    expect(errorOf(() => parseInput(RolloutBeginBody, { ...ok, id: 'x'.repeat(81) }, 'body'))).toMatch(/^400 id: expected a rollout id/);
  });
});

describe('weights against the agent', () => {
  it('refuses an empty table, and traffic to a version without a ready instance', () => {
    expect(errorOf(() => validateWeights({}, () => 1))).toBe('400 weights: expected at least one version (an empty table would answer every request with 503)');
    expect(errorOf(() => validateWeights({ a: 100, b: 0 }, (v) => (v === 'a' ? 0 : 2)))).toBe('409 weights.a: a has no ready instance to send 100% of the traffic to');
    expect(() => validateWeights({ a: 0, b: 100 }, (v) => (v === 'a' ? 0 : 2))).not.toThrow();
  });

  it('names the versions the agent does not know', () => {
    expect(unknownVersions(['a', 'b', 'c'], new Set(['b']))).toEqual(['a', 'c']);
  });
});
