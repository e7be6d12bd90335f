import { describe, expect, it } from 'vitest';
import { NotFound, UsageError } from '../../../src/errors.js';
import { plainRollbackTarget } from '../../../src/pipeline/rollback-target.js';
import { makeRow } from './helpers.js';

describe('plainRollbackTarget', () => {
  it('returns to the version live before a deploy', () => {
    expect(plainRollbackTarget(makeRow({ kind: 'deploy', version: 'v1.1.0', previousVersion: 'v1.0.0' }))).toBe('v1.0.0');
  });

  it('has nothing to return to after a first deployment', () => {
    expect(() => plainRollbackTarget(makeRow({ id: 'dep_1', app: 'demo', environment: 'production', version: 'v1.0.0', previousVersion: null }))).toThrow(
      new NotFound('nothing to roll back to: v1.0.0 (dep_1) was the first deployment of demo/production; pass --to VERSION'),
    );
  });

  it('after a rollback, refuses to go forward again and says how to go either way', () => {
    const live = makeRow({ id: 'dep_rb', kind: 'rollback', version: 'v1.0.0', previousVersion: 'v2.0.0' });
    expect(() => plainRollbackTarget(live)).toThrow(UsageError);
    expect(() => plainRollbackTarget(live)).toThrow(
      'v1.0.0 is live after rolling back from v2.0.0 (dep_rb); a second rollback would put v2.0.0 back. To go forward to v2.0.0 again, run `shipgate deploy v2.0.0` or `shipgate rollback --to v2.0.0`; to go further back, `shipgate rollback --to VERSION` (`shipgate releases` lists the kept ones).',
    );
  });
});
