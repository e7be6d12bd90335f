import { describe, expect, it } from 'vitest';
import { DEPLOYMENT_STATUSES, TERMINAL_STATUSES } from '../../../src/store/contract.js';
import { UNFINISHED_SQL } from '../../../src/store/migrations.js';

describe('the unfinished-deployments partial index', () => {
  it('names exactly the statuses that are not terminal', () => {
    const unfinished = DEPLOYMENT_STATUSES.filter((s) => !TERMINAL_STATUSES.has(s));
    expect(UNFINISHED_SQL).toBe(`(${unfinished.map((s) => `'${s}'`).join(', ')})`);
  });
});
