import { describe, expect, it } from 'vitest';
import { errorJson, wantsJson } from '../../../src/cli/error-json.js';
import { ConfigError, GateBlocked, LockHeld, NotFound } from '../../../src/errors.js';

describe('errorJson', () => {
  it('gives a config error its key paths', () => {
    expect(errorJson(new ConfigError('invalid config /p/shipgate.yaml:', ['rollout.steps[1].weight: expected at most 100 (got 150)']), 2)).toEqual({
      status: 'error',
      error: 'invalid config /p/shipgate.yaml:\n  rollout.steps[1].weight: expected at most 100 (got 150)',
      error_type: 'ConfigError',
      exit_code: 2,
      issues: [{ path: 'rollout.steps[1].weight', message: 'expected at most 100 (got 150)' }],
    });
  });

  it('names the gate and the lock holder', () => {
    expect(errorJson(new GateBlocked('rollback-window', 'closed'), 3)).toMatchObject({ error_type: 'GateBlocked', gate: 'rollback-window', exit_code: 3 });
    const held = new LockHeld('shop', 'production', { deploymentId: 'dep_1', holder: 'alice', pid: 42, host: 'ci-1', acquiredAt: '2026-11-23T17:00:00.000Z' });
    expect(errorJson(held, 5)).toMatchObject({ error_type: 'LockHeld', lock: { deployment_id: 'dep_1', holder: 'alice', pid: 42, host: 'ci-1', since: '2026-11-23T17:00:00.000Z' } });
  });

  it('any other error: its class and message', () => {
    expect(errorJson(new NotFound('no deployment dep_x'), 2)).toEqual({ status: 'error', error: 'no deployment dep_x', error_type: 'NotFound', exit_code: 2 });
    expect(errorJson(new TypeError('x is undefined'), 1)).toMatchObject({ error_type: 'TypeError', exit_code: 1 });
    expect(errorJson('a string', 1)).toMatchObject({ error: 'a string', error_type: 'Error' });
  });
});

describe('wantsJson', () => {
  it('sees --json among the options, not after --', () => {
    expect(wantsJson(['deploy', '--bogus', '--json'])).toBe(true);
    expect(wantsJson(['deploy', '--', '--json'])).toBe(false);
    expect(wantsJson(['deploy'])).toBe(false);
  });
});
