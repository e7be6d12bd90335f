/** Migration 7 (alerts) on a store written before it (version 4, before the agent's event ids and the incidents): pending outbox rows survive the reshaped table, on SQLite and PostgreSQL. */
import { describe, expect, it } from 'vitest';
import { openSqlStore } from '../../src/store/index.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { openDriver } from '../../src/store/open-driver.js';
import { SqlStore } from '../../src/store/sql-store.js';
import { parseStoreUrl } from '../../src/store/url.js';
import { STORE_CASES } from '../support/store-cases.js';

const T0 = '2026-11-22T17:30:00.000Z';
const DEP = { id: 'dep_20261122T173000Z_0001', app: 'api', environment: 'production', kind: 'deploy' as const, version: '1.0.0', previousVersion: null, status: 'running' as const, triggeredBy: 'alice', reason: null, gitSha: null, gitRef: null, rollbackOf: null, startedAt: T0, meta: {} };

const cases = STORE_CASES;

describe.each(cases)('migrations 5 to 7 on %s', (_name, make) => {
  it('keeps the pending rows of a version-4 outbox, and then takes rows about alerts', async () => {
    const made = await make();
    try {
      const old = await SqlStore.open(await openDriver(parseStoreUrl(made.url, '/')), MIGRATIONS.filter((m) => m.version <= 4));
      await old.createDeployment(DEP);
      const seq = await old.appendEvent({ deploymentId: DEP.id, at: T0, type: 'deploy:finished', stage: null, step: null, data: { status: 'succeeded' } }, [{ channel: 'hook', event: 'succeeded' }]);
      await old.close();
      const store = await openSqlStore(made.url, { root: '/' });
      try {
        expect(store.migration).toMatchObject({ from: 4, applied: [5, 6, 7] });
        expect((await store.listDueNotifications(T0, 10)).map((n) => [n.id, n.seq, n.deploymentId, n.alertId, n.status])).toEqual([[`ntf_${DEP.id}_${seq}_hook`, seq, DEP.id, null, 'pending']]);
        const alert = { id: 'alr_20261122T173000Z_0a1b2c', app: 'api', environment: 'production', rule: 'api', kind: 'health', summary: 'down', details: {}, firedAt: T0 };
        expect(await store.openAlert(alert, [{ channel: 'hook', event: 'alert_firing' }])).toMatchObject({ status: 'firing' });
        expect(await store.openAlert({ ...alert, id: 'alr_20261122T173000Z_0a1b2d' }, [{ channel: 'hook', event: 'alert_firing' }])).toBe(null);
        expect((await store.listDueNotifications(T0, 10)).map((n) => [n.event, n.alertId, n.deploymentId]).sort()).toEqual([['alert_firing', alert.id, null], ['succeeded', null, DEP.id]]);
      } finally {
        await store.close();
      }
    } finally {
      await made.done();
    }
  });
});
