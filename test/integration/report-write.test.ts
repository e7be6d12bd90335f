/** Writing a report is a courtesy: what fails becomes a warning, never an exception that would fail the deployment. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeploymentRecord } from '../../src/pipeline/record.js';
import { writeReport } from '../../src/reports/write.js';
import { Masker } from '../../src/runtime/secrets.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/contract.js';
import { makeTempDir } from '../support/tmp.js';

const SECRET = 'store-pass-Hq71xVb20s';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const record = {
  deployment_id: 'dep_20260101T100000Z_00abc',
  app: 'shop',
  kind: 'deploy',
  version: 'v1.1.0',
  previous_version: 'v1.0.0',
  environment: 'production',
  status: 'rolled_back',
  triggered_by: 'alice',
  started_at: '2026-01-01T10:00:00.000Z',
  finished_at: '2026-01-01T10:01:00.000Z',
  database_backup: null,
  rollback_available: false,
  rollback_window_minutes: 60,
  rollback_deadline: null,
  error: 'deploy failed',
  stages: [{ name: 'deploy', status: 'failed', undo: 'undone', started_at: null, finished_at: null, duration_seconds: null, error: 'deploy failed' }],
} as unknown as DeploymentRecord;

async function fixture(): Promise<{ dir: string; store: Store }> {
  const tmp = await makeTempDir('shipgate-report-');
  const store = await openStore('sqlite:state.db', { root: tmp.path });
  cleanups.push(tmp.cleanup, () => store.close());
  return { dir: tmp.path, store };
}

describe('writeReport', () => {
  it('a folder it cannot make and a store that refuses: a masked warning, no paths, no exception', async () => {
    const { dir, store } = await fixture();
    const blocked = join(dir, `reports-${SECRET}`);
    await writeFile(blocked, 'a file where the folder should be');
    // The deployment is not in the store: its foreign key refuses the report.
    const r = await writeReport(record, { environment: 'production' }, { store, reportsDir: join(blocked, 'sub'), masker: new Masker([SECRET]) });
    expect(r.paths).toBeNull();
    expect(r.warning).toMatch(/^the failure report of dep_20260101T100000Z_00abc: its files were not written \(.+\); the store did not keep it \(.+\)$/);
    expect(r.warning).not.toContain(SECRET);
  });

  it('writes both files and the store when it can', async () => {
    const { dir, store } = await fixture();
    await store.createDeployment({ id: record.deployment_id, app: 'shop', environment: 'production', kind: 'deploy', version: 'v1.1.0', previousVersion: 'v1.0.0', status: 'rolled_back', triggeredBy: 'alice', reason: null, gitSha: null, gitRef: null, rollbackOf: null, startedAt: record.started_at, meta: {} });
    const r = await writeReport(record, { environment: 'production' }, { store, reportsDir: join(dir, 'reports'), masker: new Masker() });
    expect(r).toEqual({ paths: { kind: 'failure', json: join(dir, 'reports', `${record.deployment_id}-failure.json`), markdown: join(dir, 'reports', `${record.deployment_id}-failure.md`) }, warning: null });
    expect((await store.getReport(record.deployment_id))?.kind).toBe('failure');
  });
});
