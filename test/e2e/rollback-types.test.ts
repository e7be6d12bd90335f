import { describe, expect, it } from 'vitest';
import { ADD_COLUMN, dataProject, DROP_COLUMN } from '../support/data-project.js';
import { deployedTwice, rollbackRecord, within } from '../support/data-rollback.js';
import { fingerprintDatabase } from '../support/fingerprint.js';
import { json, makeProject, SCRIPTS_PROVIDER, type Project } from '../support/project.js';

/**
 * `shipgate rollback --type`: bad flags pinned, --steps, a missing down, --dry-run,
 * --backup of the wrong database, the stop sign, and a SIGKILL settled by the
 * next command. The per-engine checks of each type are in data-rollback-cases.ts.
 */

const CASE_TIMEOUT = 120_000;

const historyLength = async (p: Project): Promise<number> => json<unknown[]>(await p.run(['history', '--json'])).length;

describe.concurrent('rollback --type: usage', { timeout: CASE_TIMEOUT }, () => {
  it('bad flags are refused, each naming the flag and the way out (exit 2)', async () => {
    const p = await makeProject(`app: flags\n${SCRIPTS_PROVIDER}`);
    await within(p, async () => {
      const cases: [string[], string][] = [
        [['--type', 'everything'], '--type: expected one of app, migration, database, auto (got "everything")'],
        [['--type', 'migration', '--steps', '0'], '--steps: expected a whole number from 1 to 10000 (got "0")'],
        [['--steps', '2'], '--steps goes with --type migration, not --type app'],
        [['--type', 'database', '--steps', '2'], '--steps goes with --type migration, not --type database'],
        [['--backup', 'bk_1'], '--backup goes with --type database, not --type app'],
        [['--type', 'migration', '--to', 'v1.0.0'], '--to goes with --type app or --type auto, not --type migration'],
        [['--type', 'migration'], 'no databases in'],
      ];
      for (const [args, message] of cases) {
        const r = await p.run(['rollback', ...args]);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr, args.join(' ')).toContain(message);
      }
      const j = await p.run(['rollback', '--type', 'sideways', '--json']);
      expect(json(j)).toMatchObject({ status: 'error', error_type: 'UsageError', exit_code: 2 });
    });
  });

  it('--backup of another database, of no database, or without saying which database: refused with the way out; with nothing taken, says so (exit 2)', async () => {
    const config = `app: two\n${SCRIPTS_PROVIDER}databases:\n${['main', 'other'].map((n) => `  ${n}:\n    type: sqlite\n    url: "sqlite:${n}.db"\n    backup: { verify: restore, storage: { type: local, path: backups } }\n    migrations: { tool: builtin, dir: migrations/${n} }\n`).join('')}`;
    const p = await makeProject(config);
    await within(p, async () => {
      for (const n of ['main', 'other']) await p.write(`migrations/${n}/0001_t.up.sql`, 'CREATE TABLE t (id integer);\n');
      // The first deploy creates the files: there was nothing to back up yet.
      expect((await p.run(['deploy', 'v1.0.0'])).code).toBe(0);
      const none = await p.run(['rollback', '--type', 'database']);
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(/dep_\S+ \(v1\.0\.0\) took no backup of main, other \(backup off, --no-backup, or nothing to back up yet\); pick one with --backup ID \(shipgate backup list\)/);
      const other = json<{ id: string }[]>(await p.run(['backup', 'create', '--db', 'other', '--json']))[0]!.id;
      const which = await p.run(['rollback', '--type', 'database', '--backup', other]);
      expect(which.stderr).toContain(`--backup ${other}: which database? pass --db (configured: main, other)`);
      const wrong = await p.run(['rollback', '--type', 'database', '--db', 'main', '--backup', other]);
      expect([wrong.code, wrong.stderr.trim()]).toEqual([2, `--backup ${other} is a backup of database other, not main (pass --db other to restore it there)`]);
      const unknown = await p.run(['rollback', '--type', 'database', '--db', 'main', '--backup', 'bk_nope']);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/--backup: no backup bk_nope in \S+main \(no backups there\)/);
      const db = await p.run(['rollback', '--type', 'migration', '--db', 'nope']);
      expect(db.stderr).toContain('--db nope: no such database (configured: main, other)');
      expect(await historyLength(p)).toBe(1);
    });
  });
});

describe.concurrent('rollback --type on SQLite', { timeout: CASE_TIMEOUT }, () => {
  it('--steps 1 reverts the newest only, the next the rest, a third finds nothing; a plain rollback then still returns the app to v1.0.0', async () => {
    const m = await dataProject('sqlite', 'down');
    await within(m, async () => {
      const before = await fingerprintDatabase('sqlite', m.url, m.p.dir);
      await m.p.write('migrations/0002_email.up.sql', ADD_COLUMN);
      await m.p.write('migrations/0002_email.down.sql', DROP_COLUMN);
      await m.p.write('migrations/0003_tags.up.sql', 'CREATE TABLE tags (id integer);\n');
      await m.p.write('migrations/0003_tags.down.sql', 'DROP TABLE tags;\n');
      expect((await m.p.run(['deploy', 'v2.0.0'])).code).toBe(0);
      const one = rollbackRecord(await m.p.run(['rollback', '--type', 'migration', '--steps', '1', '--json']));
      expect(one.data_rollback[0]!.migrations).toEqual(['0003_tags']);
      expect(one.data_rollback[0]!.why).toContain('1 more of its migration(s) stay (--steps 1)');
      expect(rollbackRecord(await m.p.run(['rollback', '--type', 'migration', '--json'])).data_rollback[0]!.migrations).toEqual(['0002_email']);
      expect(await fingerprintDatabase('sqlite', m.url, m.p.dir)).toEqual(before);
      const again = await m.p.run(['rollback', '--type', 'migration']);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/^nothing to roll back: main: no migration applied by dep_\S+ is applied any more \(migrations applied outside a deployment: shipgate migrate down\)/);
      const app = await m.p.run(['rollback', '--json']);
      expect(app.code, app.stderr).toBe(0);
      expect(json<{ version: string; record: { rollback_type: string } }>(app)).toMatchObject({ version: 'v1.0.0', record: { rollback_type: 'app' } });
      expect((await m.p.read('live.txt')).trim()).toBe('v1.0.0');
    });
  });

  it('a missing down: --type migration refuses before anything changes (exit 3), and says how else to go back', async () => {
    const { m, after } = await deployedTwice('sqlite', { down: null });
    await within(m, async () => {
      const n = await historyLength(m.p);
      const r = await m.p.run(['rollback', '--type', 'migration']);
      expect(r.code).toBe(3);
      expect(r.stderr.trim()).toMatch(
        /^blocked by gate "rollback-data": main: 0002_email has no down: write the down, or restore the backup dep_\S+ took \(shipgate rollback --type database --db main\), which loses the writes made since\. Nothing was changed$/,
      );
      expect(await fingerprintDatabase('sqlite', m.url, m.p.dir)).toEqual(after);
      expect(await historyLength(m.p)).toBe(n);
    });
  });

  it('--dry-run says what each type would do to the data and changes nothing', async () => {
    const { m, after } = await deployedTwice('sqlite');
    await within(m, async () => {
      const n = await historyLength(m.p);
      const r = await m.p.run(['rollback', '--type', 'database', '--dry-run', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const plan = json<{ dry_run: boolean; kind: string; rollback_type: string; data_rollback: { database: string; action: string; why: string }[]; stages: { stage: string }[] }>(r);
      expect(plan).toMatchObject({ dry_run: true, kind: 'rollback', rollback_type: 'database', data_rollback: [{ database: 'main', action: 'restore', why: expect.stringContaining('LOSES every write made since') }] });
      expect(plan.stages.map((s) => s.stage)).toEqual(['gates', 'data']);
      const text = await m.p.run(['rollback', '--type', 'auto', '--dry-run']);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/^dry run: rollback --type auto of datatest\/production \(v2\.0\.0 -> v1\.0\.0; rolls back dep_\S+\); nothing will change/);
      expect(text.stdout).toContain('- down:main: main: every migration this deployment applied has a down: running them newest first (0002_email)');
      expect(await fingerprintDatabase('sqlite', m.url, m.p.dir)).toEqual(after);
      expect(await historyLength(m.p)).toBe(n);
      expect(json<{ kind: string }[]>(await m.p.run(['backup', 'list', '--json'])).filter((b) => b.kind === 'safety')).toEqual([]);
    });
  });

  it('auto under rollback.database restore with a down missing: the app goes back and the backup is restored, said to lose the writes', async () => {
    const { m, before } = await deployedTwice('sqlite', { mode: 'restore', down: null });
    await within(m, async () => {
      const rec = rollbackRecord(await m.p.run(['rollback', '--type', 'auto', '--json']));
      expect(rec.data_rollback[0]).toMatchObject({ action: 'restore', why: expect.stringContaining('rollback.database is restore: restoring the backup') });
      expect((await m.p.read('live.txt')).trim()).toBe('v1.0.0');
      expect(await fingerprintDatabase('sqlite', m.url, m.p.dir)).toEqual(before);
    });
  });

  it('respects the stop sign: after a failed rollback nobody acknowledged, no data rollback starts (exit 7)', async () => {
    const m = await dataProject('sqlite', 'down');
    await within(m, async () => {
      await m.p.write('migrations/0002_email.up.sql', ADD_COLUMN);
      expect((await m.p.run(['deploy', 'v2.0.0'], { env: { FAIL_DEPLOY: '1' } })).code).toBe(4);
      const r = await m.p.run(['rollback', '--type', 'database']);
      expect(r.code).toBe(7);
      expect(r.stderr).toContain('datatest/production is stopped');
    });
  });
});

describe('rollback --type database killed (SIGKILL) after its restore, on PostgreSQL', () => {
  it('status shows it interrupted; resume settles it by restoring the safety backup (the state before the rollback); then the rollback runs again', { timeout: CASE_TIMEOUT }, async () => {
    const { m, before, after } = await deployedTwice('postgres');
    await within(m, async () => {
      const killed = await m.p.run(['rollback', '--type', 'database'], { env: { SHIPGATE_CRASH_AFTER: 'step:finished:data:restore:main' } });
      expect(killed.signal, killed.stdout + killed.stderr).toBe('SIGKILL');
      expect(await fingerprintDatabase('postgres', m.url, m.p.dir)).toEqual(before);
      const [s] = json<{ activity: { state: string }[] }[]>(await m.p.run(['status', '--json']));
      expect(s!.activity.map((a) => a.state)).toEqual(['interrupted']);
      const r = await m.p.run(['resume', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(json<{ recovered: { status: string }[] }>(r).recovered.map((x) => x.status)).toEqual(['rolled_back']);
      expect(await fingerprintDatabase('postgres', m.url, m.p.dir)).toEqual(after);
      const [settled] = json<{ activity: unknown[]; lock: unknown }[]>(await m.p.run(['status', '--json']));
      expect(settled).toMatchObject({ activity: [], lock: null });
      rollbackRecord(await m.p.run(['rollback', '--type', 'database', '--json']));
      expect(await fingerprintDatabase('postgres', m.url, m.p.dir)).toEqual(before);
    });
  });
});
