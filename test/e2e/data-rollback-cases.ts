import { describe, expect, it } from 'vitest';
import { DROP_COLUMN, FAILING, type Engine } from '../support/data-project.js';
import { deployedTwice, rollbackRecord, within, writeAfterDeploy, type DataRollbackRecord } from '../support/data-rollback.js';
import { fingerprintDatabase } from '../support/fingerprint.js';
import { json } from '../support/project.js';

/**
 * Acceptance (data safety §3): `shipgate rollback --type migration|database|auto`
 * on real PostgreSQL, MariaDB and SQLite, each test its own database. "Identical"
 * is by per-table checksums and columns (test/support/fingerprint.ts), the
 * migration history table included.
 */

/** Each case deploys twice and rolls back, on a machine shared with the rest of the suite. */
const CASE_TIMEOUT = 120_000;

/** The suite for one engine (one file per engine, so the three run in parallel). */
export function describeDataRollback(engine: Engine): void {
  describe.concurrent(`${engine}: shipgate rollback --type migration|database|auto`, { timeout: CASE_TIMEOUT }, () => {
    it('migration: the downs of what the live deployment applied leave the database identical to before it; the app stays; an app rollback is still open', async () => {
      const { m, before } = await deployedTwice(engine);
      await within(m, async () => {
        const rec = rollbackRecord(await m.p.run(['rollback', '--type', 'migration', '--json']));
        expect(rec).toMatchObject({ status: 'succeeded', kind: 'rollback', version: 'v2.0.0', rollback_type: 'migration' });
        expect(rec.data_rollback).toEqual([{ database: 'main', action: 'down', migrations: ['0002_email'], why: expect.stringMatching(/^main: reverting 0002_email \(applied by dep_\S+\) newest first; the writes made since are kept$/), safety_backup: expect.stringMatching(/^bk_/), done: true }]);
        expect(await fingerprintDatabase(engine, m.url, m.p.dir)).toEqual(before);
        expect((await m.p.read('live.txt')).trim()).toBe('v2.0.0');
        const [s] = json<{ live: { version: string }; rollback: { target: string | null } }[]>(await m.p.run(['status', '--json']));
        expect(s).toMatchObject({ live: { version: 'v2.0.0' }, rollback: { target: 'v1.0.0' } });
      });
    });

    it('database: the backup the deployment took is restored (identical to before it; the later write is said to be lost), after a safety backup that undoes the restore', async () => {
      const { m, before } = await deployedTwice(engine, { down: null });
      await within(m, async () => {
        await writeAfterDeploy(engine, m);
        const written = await fingerprintDatabase(engine, m.url, m.p.dir);
        const r = await m.p.run(['rollback', '--type', 'database']);
        expect(r.code, r.stdout + r.stderr).toBe(0);
        expect(r.stdout).toMatch(/main: restored bk_\S+: every write made since \S+ is lost; safety backup (bk_\S+) \(to undo: shipgate rollback --type database --db main --backup bk_\S+\)/);
        expect(await fingerprintDatabase(engine, m.url, m.p.dir)).toEqual(before);
        const safety = /safety backup (bk_\S+)/.exec(r.stdout)![1]!;
        const listed = json<{ id: string; kind: string; deployment_id: string | null }[]>(await m.p.run(['backup', 'list', '--json']));
        expect(listed.find((b) => b.id === safety)).toMatchObject({ kind: 'safety', deployment_id: expect.stringMatching(/^dep_/) });
        const undo = await m.p.run(['rollback', '--type', 'database', '--backup', safety]);
        expect(undo.code, undo.stdout + undo.stderr).toBe(0);
        expect(await fingerprintDatabase(engine, m.url, m.p.dir)).toEqual(written);
      });
    });

    it('auto: the app goes back, then the downs the undo rules choose; the why is in the record', async () => {
      const { m, before } = await deployedTwice(engine);
      await within(m, async () => {
        const rec = rollbackRecord(await m.p.run(['rollback', '--type', 'auto', '--json']));
        expect(rec).toMatchObject({ status: 'succeeded', version: 'v1.0.0', rollback_type: 'auto' });
        expect(rec.stages.map((s) => s.name)).toEqual(['gates', 'rollback', 'data']);
        expect(rec.data_rollback[0]).toMatchObject({ action: 'down', migrations: ['0002_email'], why: expect.stringContaining('running them newest first (0002_email); the writes made since are kept') });
        expect((await m.p.read('live.txt')).trim()).toBe('v1.0.0');
        expect(await fingerprintDatabase(engine, m.url, m.p.dir)).toEqual(before);
      });
    });

    it('auto refuses when a down is missing under rollback.database: down, before anything changes (exit 3)', async () => {
      const { m, after } = await deployedTwice(engine, { down: null });
      await within(m, async () => {
        const calls = await m.p.read('calls.log');
        const r = await m.p.run(['rollback', '--type', 'auto']);
        expect(r.code, r.stdout + r.stderr).toBe(3);
        expect(r.stderr).toMatch(/blocked by gate "rollback-data": main: 0002_email has no down; restoring the backup bk_\S+ \(taken at \S+\) would lose the writes made since, and rollback\.database is down; restore it on purpose with `shipgate backup restore bk_\S+ --db main`, or write the down\. Nothing was changed/);
        expect(await m.p.read('calls.log')).toBe(calls);
        expect(await fingerprintDatabase(engine, m.url, m.p.dir)).toEqual(after);
      });
    });

    it('a down that fails half-way: the rollback is undone from its safety backup, identical to before the rollback (exit 1)', async () => {
      // MariaDB commits each DDL statement: the first two statements stay done when the third fails.
      const { m, after } = await deployedTwice(engine, { down: DROP_COLUMN + FAILING });
      await within(m, async () => {
        const r = await m.p.run(['rollback', '--type', 'migration', '--json']);
        expect(r.code, r.stdout + r.stderr).toBe(1);
        const out = json<{ status: string; record: DataRollbackRecord }>(r);
        expect(out.status).toBe('rolled_back');
        expect(out.record.stages.find((s) => s.name === 'data')).toMatchObject({ status: 'failed', undo: 'undone' });
        expect(await fingerprintDatabase(engine, m.url, m.p.dir)).toEqual(after);
      });
    });
  });
}
