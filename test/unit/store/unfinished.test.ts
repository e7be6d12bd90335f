import { describe, expect, it } from 'vitest';
import { DEPLOYMENT_STATUSES, TERMINAL_STATUSES } from '../../../src/store/contract.js';
import { UNFINISHED_SQL as QUERY_SQL } from '../../../src/store/deployments.js';
import { latestVersion, MIGRATIONS, UNFINISHED_SQL as INDEX_SQL } from '../../../src/store/migrations.js';
import { LATEST_SCHEMA_VERSION } from '../../../src/store/schema-version.js';

describe('constants kept apart for start-up time', () => {
  it('the unfinished-deployments query and partial index name exactly the statuses that are not terminal', () => {
    const unfinished = DEPLOYMENT_STATUSES.filter((s) => !TERMINAL_STATUSES.has(s));
    const expected = `(${unfinished.map((s) => `'${s}'`).join(', ')})`;
    expect(QUERY_SQL).toBe(expected);
    expect(INDEX_SQL).toBe(expected);
  });

  it('LATEST_SCHEMA_VERSION is the last migration', () => {
    expect(LATEST_SCHEMA_VERSION).toBe(latestVersion(MIGRATIONS));
  });
});
