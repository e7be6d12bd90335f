import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPath, parseConfigIssue } from '../../../src/config/paths.js';
import { ConfigError } from '../../../src/errors.js';

/** Config issue lines (`path: message`) read back into their parts, for --json. */
describe('parseConfigIssue', () => {
  it('reads back any path formatPath writes, whatever the message', () => {
    const segment = fc.oneof(fc.nat({ max: 99 }), fc.string({ minLength: 1, maxLength: 8 }), fc.constantFrom('a b', 'x: y', '"q"', '__proto__', 'rollout'));
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 5 }), fc.string(), (path, message) => {
        const formatted = formatPath(path);
        expect(parseConfigIssue(`${formatted}: ${message}`)).toEqual({ path: formatted, message });
      }),
    );
  });

  it('a line with no key path in front is all message', () => {
    expect(parseConfigIssue('line 3, column 5: a "[" or "{" is never closed (the file ended first)')).toEqual({ path: null, message: 'line 3, column 5: a "[" or "{" is never closed (the file ended first)' });
    expect(parseConfigIssue('more than 10000 values once aliases are expanded')).toEqual({ path: null, message: 'more than 10000 values once aliases are expanded' });
  });

  it('ConfigError keeps its lines and gives them structured', () => {
    const err = new ConfigError('invalid config x.yaml:', ['environments.staging.app: cannot be set per environment', 'smoke[0].headers["a b"]: expected a string (got 1)']);
    expect(err.issues).toHaveLength(2);
    expect(err.details).toEqual([
      { path: 'environments.staging.app', message: 'cannot be set per environment' },
      { path: 'smoke[0].headers["a b"]', message: 'expected a string (got 1)' },
    ]);
  });
});
