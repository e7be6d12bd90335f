/** The notification outbox, on SQLite and PostgreSQL: written with its journal event, claimed once, retried. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewDeployment, Store } from '../../src/store/contract.js';
import { openStore } from '../../src/store/index.js';
import { createTestDatabase } from '../support/pg.js';
import { makeTempDir } from '../support/tmp.js';

const T0 = '2026-11-22T17:30:00.000Z';
const T1 = '2026-11-22T17:31:00.000Z';
const LEASE = '2026-11-22T17:30:30.000Z';
const LATER = '2026-11-22T17:32:00.000Z';

const DEP: NewDeployment = {
  id: 'dep_20261122T173000Z_0001',
  app: 'api',
  environment: 'production',
  kind: 'deploy',
  version: '1.0.0',
  previousVersion: null,
  status: 'running',
  triggeredBy: 'alice',
  reason: null,
  gitSha: null,
  gitRef: null,
  rollbackOf: null,
  startedAt: T0,
  meta: {},
};

const EVENT = { deploymentId: DEP.id, at: T0, type: 'deploy:finished', stage: null, step: null, data: { status: 'succeeded' } };

async function sqliteStore(): Promise<{ store: Store; dispose: () => Promise<void> }> {
  const dir = await makeTempDir('shipgate-outbox-');
  const store = await openStore('sqlite:state.db', { root: dir.path });
  return { store, dispose: async () => (await store.close(), await dir.cleanup()) };
}

async function postgresStore(): Promise<{ store: Store; dispose: () => Promise<void> }> {
  const db = await createTestDatabase();
  const store = await openStore(db.url, { root: process.cwd() });
  return { store, dispose: async () => (await store.close(), await db.drop()) };
}

for (const [name, make] of [['sqlite', sqliteStore], ['postgres', postgresStore]] as const) {
  describe(`notification outbox on ${name}`, () => {
    let store: Store;
    let dispose: () => Promise<void>;

    beforeEach(async () => {
      ({ store, dispose } = await make());
      await store.createDeployment(DEP);
    });
    afterEach(() => dispose());

    it('writes one pending row per channel with the event, keyed by event and channel', async () => {
      const seq = await store.appendEvent(EVENT, [{ channel: 'slack-1', event: 'succeeded' }, { channel: 'ops', event: 'succeeded' }]);
      const due = await store.listDueNotifications(T0, 10);
      expect(due.map((n) => [n.id, n.seq, n.channel, n.event, n.status, n.attempts]).sort()).toEqual([
        [`ntf_${DEP.id}_${seq}_ops`, seq, 'ops', 'succeeded', 'pending', 0],
        [`ntf_${DEP.id}_${seq}_slack-1`, seq, 'slack-1', 'succeeded', 'pending', 0],
      ]);
    });

    it('an event whose outbox row cannot be written is not journaled either', async () => {
      await store.appendEvent(EVENT, [{ channel: 'ops', event: 'succeeded' }]);
      const seqBefore = (await store.listEvents(DEP.id)).length;
      // The same channel twice for one event: the second row collides, the whole step rolls back.
      await expect(store.appendEvent(EVENT, [{ channel: 'x', event: 'succeeded' }, { channel: 'x', event: 'succeeded' }])).rejects.toThrow();
      expect((await store.listEvents(DEP.id)).length).toBe(seqBefore);
      expect((await store.listNotifications({ limit: 10 })).map((n) => n.channel)).toEqual(['ops']);
    });

    it('one sender claims a due row; a second claim of the same row fails', async () => {
      await store.appendEvent(EVENT, [{ channel: 'ops', event: 'succeeded' }]);
      const [row] = await store.listDueNotifications(T0, 10);
      expect(await store.claimNotification(row!.id, row!.nextAt, T1)).toBe(true);
      expect(await store.claimNotification(row!.id, row!.nextAt, T1)).toBe(false);
      expect(await store.listDueNotifications(T0, 10)).toEqual([]);
      expect((await store.getNotification(row!.id))?.attempts).toBe(1);
    });

    it('records sent, retry later, and give up; retry makes failed rows pending again', async () => {
      await store.appendEvent(EVENT, [{ channel: 'a', event: 'succeeded' }, { channel: 'b', event: 'succeeded' }, { channel: 'c', event: 'succeeded' }]);
      const rows = await store.listDueNotifications(T0, 10);
      const id = (c: string): string => rows.find((r) => r.channel === c)!.id;
      for (const r of rows) expect(await store.claimNotification(r.id, r.nextAt, LEASE)).toBe(true);
      expect(await store.finishNotification(id('a'), LEASE, { sentAt: T1 })).toBe(true);
      expect(await store.finishNotification(id('b'), LEASE, { error: 'HTTP 500', nextAt: T1 })).toBe(true);
      expect(await store.finishNotification(id('c'), LEASE, { error: 'HTTP 404', nextAt: null })).toBe(true);
      expect((await store.getNotification(id('a')))).toMatchObject({ status: 'sent', sentAt: T1 });
      expect((await store.listDueNotifications(T0, 10)).map((r) => r.channel)).toEqual([]);
      expect((await store.listDueNotifications(T1, 10)).map((r) => r.channel)).toEqual(['b']);
      expect((await store.listNotifications({ status: 'failed', limit: 10 })).map((r) => [r.channel, r.lastError])).toEqual([['c', 'HTTP 404']]);
      expect(await store.retryNotifications(T1)).toBe(1);
      expect((await store.listDueNotifications(T1, 10)).map((r) => r.channel).sort()).toEqual(['b', 'c']);
    });

    it('a stopping sender releases the rows it cut off in one write, due at once; a row another sender took meanwhile is left to it', async () => {
      await store.appendEvent(EVENT, [{ channel: 'a', event: 'succeeded' }, { channel: 'b', event: 'succeeded' }, { channel: 'c', event: 'succeeded' }]);
      const rows = await store.listDueNotifications(T0, 10);
      const id = (c: string): string => rows.find((r) => r.channel === c)!.id;
      for (const r of rows) expect(await store.claimNotification(r.id, r.nextAt, LEASE)).toBe(true);
      // c's lease ran out and another sender holds it under T1.
      expect(await store.finishNotification(id('c'), LEASE, { error: 'no answer', nextAt: T0 })).toBe(true);
      expect(await store.claimNotification(id('c'), T0, T1)).toBe(true);
      expect(await store.releaseNotifications([], { error: 'cut off', nextAt: T0 })).toBe(0);
      const held = ['a', 'b', 'c'].map((c) => ({ id: id(c), lease: LEASE }));
      expect(await store.releaseNotifications(held, { error: 'cut off', nextAt: T0 })).toBe(2);
      expect((await store.listDueNotifications(T0, 10)).map((r) => [r.channel, r.lastError, r.status])).toEqual([
        ['a', 'cut off', 'pending'],
        ['b', 'cut off', 'pending'],
      ]);
      expect(await store.getNotification(id('c'))).toMatchObject({ nextAt: T1, lastError: 'no answer' });
    });

    it('a sender that overran its lease cannot undo the outcome of the sender that took the row after it', async () => {
      await store.appendEvent(EVENT, [{ channel: 'ops', event: 'succeeded' }]);
      const [row] = await store.listDueNotifications(T0, 10);
      expect(await store.claimNotification(row!.id, row!.nextAt, LEASE)).toBe(true);
      // The first sender's lease ran out: a second sender (serve, the next CLI) takes the row and delivers it.
      const [again] = await store.listDueNotifications(LEASE, 10);
      expect(await store.claimNotification(again!.id, again!.nextAt, T1)).toBe(true);
      expect(await store.finishNotification(row!.id, T1, { sentAt: LEASE })).toBe(true);
      // The first sender's late failure is not written: the row stays sent and is never due again.
      expect(await store.finishNotification(row!.id, LEASE, { error: 'no answer within 1000ms', nextAt: T1 })).toBe(false);
      expect(await store.getNotification(row!.id)).toMatchObject({ status: 'sent', attempts: 2, lastError: null });
      expect(await store.listDueNotifications(LATER, 10)).toEqual([]);
    });
  });
}
