import { afterEach, describe, expect, it } from 'vitest';
import { ADD_COLUMN, dataProject, DROP_COLUMN, FAILING, type DataProject, type Engine } from '../support/data-project.js';
import { fingerprintDatabase } from '../support/fingerprint.js';
import { json } from '../support/project.js';

/**
 * Acceptance: backup -> proof -> migrate -> a failing stage -> undo leaves the
 * database identical to before (per-table checksums), on real PostgreSQL,
 * MariaDB and SQLite, for each undo path: downs when the migrate stage failed,
 * the backup when a down is missing there, downs after traffic, the backup after
 * traffic under rollback.database: restore, and a refusal (stop sign) under
 * rollback.database: down.
 */

let made: DataProject | null = null;
afterEach(async () => {
  await made?.cleanup();
  made = null;
});

interface Path {
  name: string;
  mode: 'down' | 'restore';
  /** 0002 has a down file. */
  down: boolean;
  /** 0003 fails (the migrate stage fails) instead of the deploy script. */
  migrateFails: boolean;
  exit: number;
  status: string;
  undo: RegExp;
}

const PATHS: Path[] = [
  { name: 'migrate fails, every migration has a down: downs', mode: 'down', down: true, migrateFails: true, exit: 1, status: 'rolled_back', undo: /every migration this deployment applied has a down/ },
  { name: 'migrate fails, a down is missing: the proven backup (no write lost)', mode: 'down', down: false, migrateFails: true, exit: 1, status: 'rolled_back', undo: /restoring the backup bk_\S+ taken at \S+ \(the new version never served, so no write is lost\)/ },
  { name: 'deploy fails after migrate, downs: downs (writes kept)', mode: 'down', down: true, migrateFails: false, exit: 1, status: 'rolled_back', undo: /running them newest first \(0002_email\); the writes made since are kept/ },
  { name: 'deploy fails after migrate, a down missing, rollback.database restore: the backup, said to lose writes', mode: 'restore', down: false, migrateFails: false, exit: 1, status: 'rolled_back', undo: /rollback\.database is restore: restoring the backup bk_\S+ taken at \S+, which LOSES every write made since/ },
];

/** The suite for one engine (one file per engine, so the three run in parallel). */
export function describeDataUndo(engine: Engine): void {
  describe(`${engine}: undo leaves the database identical to before`, () => {
    it.each(PATHS)('$name', async (path) => {
      made = await dataProject(engine, path.mode);
      const { p } = made;
      const before = await fingerprintDatabase(engine, made.url, p.dir);
      await p.write('migrations/0002_email.up.sql', ADD_COLUMN);
      if (path.down) await p.write('migrations/0002_email.down.sql', DROP_COLUMN);
      if (path.migrateFails) await p.write('migrations/0003_broken.up.sql', FAILING);
      const r = await p.run(['deploy', 'v2.0.0'], { env: path.migrateFails ? {} : { FAIL_DEPLOY: '1' } });
      expect(r.code, r.stdout + r.stderr).toBe(path.exit);
      const id = json<{ deployment_id: string }[]>(await p.run(['history', '--json']))[0]!.deployment_id;
      const record = json<{ status: string; database_backup: { backup_id: string; verification: { method: string; ok: boolean } } | null }>(await p.run(['show', id, '--json']));
      expect(record.status).toBe(path.status);
      expect(record.database_backup?.verification).toMatchObject({ method: 'restore', ok: true });
      const events = await p.run(['show', id, '--events']);
      expect(events.stdout).toMatch(path.undo);
      expect(await fingerprintDatabase(engine, made.url, p.dir)).toEqual(before);
    });

    it('deploy fails after migrate, a down missing, rollback.database down: undo refuses to lose writes (exit 4, stop sign), the schema stays migrated', async () => {
      made = await dataProject(engine, 'down');
      const { p } = made;
      const before = await fingerprintDatabase(engine, made.url, p.dir);
      await p.write('migrations/0002_email.up.sql', ADD_COLUMN);
      const r = await p.run(['deploy', 'v2.0.0'], { env: { FAIL_DEPLOY: '1' } });
      expect(r.code, r.stdout + r.stderr).toBe(4);
      expect(r.stdout + r.stderr).toMatch(/0002_email has no down; restoring the backup bk_\S+ \(taken at \S+\) would lose the writes made since, and rollback\.database is down; restore it on purpose with `shipgate backup restore bk_\S+ --db main`, or write the down/);
      expect(await fingerprintDatabase(engine, made.url, p.dir)).not.toEqual(before);
      expect((await p.run(['deploy', 'v2.0.1'])).code).toBe(7);
    });
  });
}
