import { describe, expect, it } from 'vitest';
import { commitTimeArgv, givenCommitAt, normalizeCommitAt } from '../../../src/pipeline/commit-time.js';

describe('the deployed commit\'s time', () => {
  it('normalizes git\'s %cI to UTC', () => {
    expect(normalizeCommitAt('2026-01-31T10:15:00+01:00\n')).toBe('2026-01-31T09:15:00.000Z');
    expect(normalizeCommitAt('2026-01-31')).toBeNull();
    expect(normalizeCommitAt('2026-01-31T10:15:00')).toBeNull();
  });

  it('takes the flag before the environment, and names the source of a bad value', () => {
    expect(givenCommitAt('2026-01-31T09:15:00Z', { SHIPGATE_COMMIT_AT: 'bad' })).toBe('2026-01-31T09:15:00.000Z');
    expect(givenCommitAt(undefined, { SHIPGATE_COMMIT_AT: '2026-01-31T09:15:00Z' })).toBe('2026-01-31T09:15:00.000Z');
    expect(givenCommitAt(undefined, {})).toBeNull();
    expect(() => givenCommitAt('yesterday', {})).toThrow('--commit-at: expected an ISO-8601 time with a zone, like 2026-01-31T09:15:00Z or 2026-01-31T10:15:00+01:00 (got "yesterday")');
    expect(() => givenCommitAt(undefined, { SHIPGATE_COMMIT_AT: '31/01/2026' })).toThrow(/^\$SHIPGATE_COMMIT_AT: expected/);
  });

  it('asks git only about a hex commit id, never something git would read as an option', () => {
    expect(commitTimeArgv('0123abcd')).toEqual(['git', 'log', '-1', '--format=%cI', '0123abcd', '--']);
    expect(commitTimeArgv('--output=/tmp/x')).toBeNull();
  });
});
