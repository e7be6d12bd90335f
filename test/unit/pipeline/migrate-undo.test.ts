import { describe, expect, it } from 'vitest';
import type { BackupOutput } from '../../../src/databases/contract.js';
import { decideMigrateUndo, type MigrateUndoInput } from '../../../src/pipeline/stages/migrate-undo.js';

const backup: BackupOutput = {
  database: 'main',
  id: 'bk_20261203_1',
  key: 'demo/production/main/bk_20261203_1.dump.gz',
  location: '.shipgate/backups/demo/production/main/bk_20261203_1.dump.gz',
  timestamp: '2026-12-03T10:00:00.000Z',
  size: 1234,
  sha256: 'a'.repeat(64),
  compression: 'gzip',
  encrypted: false,
  verify: { method: 'restore', ok: true, tables: 3, rows: 42, ms: 812 },
};

function decide(over: Partial<MigrateUndoInput>) {
  return decideMigrateUndo({ database: 'main', applied: ['0001_a', '0002_b'], withoutDown: [], backup, servedTraffic: false, mode: 'down', ...over });
}

describe('decideMigrateUndo', () => {
  it('nothing applied: nothing to undo', () => {
    expect(decide({ applied: [] })).toEqual({ action: 'nothing', why: 'main: this deployment applied no migration' });
  });

  it('every migration has a down: downs newest first, before and after traffic (writes kept)', () => {
    expect(decide({})).toEqual({ action: 'down', names: ['0002_b', '0001_a'], why: 'main: every migration this deployment applied has a down: running them newest first (0002_b, 0001_a)' });
    expect(decide({ servedTraffic: true, mode: 'restore' })).toMatchObject({ action: 'down', why: expect.stringContaining('the writes made since are kept') });
  });

  it('migrate failed itself and a down is missing: restore the proven backup (nothing wrote through the new schema)', () => {
    expect(decide({ withoutDown: ['0002_b'] })).toEqual({
      action: 'restore',
      backup,
      why: 'main: 0002_b has no down; restoring the backup bk_20261203_1 taken at 2026-12-03T10:00:00.000Z (the new version never served, so no write is lost)',
    });
  });

  it('migrate failed itself, a down is missing and there is no proven backup: refuse (a human must look)', () => {
    for (const b of [null, { ...backup, verify: { ...backup.verify, ok: false } }]) {
      expect(decide({ withoutDown: ['0001_a', '0002_b'], backup: b })).toEqual({
        action: 'refuse',
        why: 'main: 0001_a, 0002_b have no down and there is no proven backup of this deployment to restore; the schema is as the failed migration left it: check it by hand',
      });
    }
  });

  it('after traffic with a down missing: restore only when rollback.database says restore, and say that writes are lost', () => {
    expect(decide({ withoutDown: ['0002_b'], servedTraffic: true, mode: 'restore' })).toEqual({
      action: 'restore',
      backup,
      why: 'main: 0002_b has no down; rollback.database is restore: restoring the backup bk_20261203_1 taken at 2026-12-03T10:00:00.000Z, which LOSES every write made since',
    });
    expect(decide({ withoutDown: ['0002_b'], servedTraffic: true, mode: 'down' })).toEqual({
      action: 'refuse',
      why: 'main: 0002_b has no down; restoring the backup bk_20261203_1 (taken at 2026-12-03T10:00:00.000Z) would lose the writes made since, and rollback.database is down; restore it on purpose with `shipgate backup restore bk_20261203_1 --db main`, or write the down',
    });
    expect(decide({ withoutDown: ['0002_b'], servedTraffic: true, mode: 'restore', backup: null })).toMatchObject({ action: 'refuse', why: 'main: 0002_b has no down; there is no proven backup of this deployment either' });
  });

  it('a restore it cannot decrypt here (age recipients, no identity on this host): refuse, naming where to restore it', () => {
    const why = 'main: 0002_b has no down; the backup bk_20261203_1 is encrypted to age recipients and no identity is set here (backup.encryption.identity or identityFile), so it cannot be restored here; restore it where the identity is, with `shipgate backup restore bk_20261203_1 --db main`, or write the down';
    expect(decide({ withoutDown: ['0002_b'], backupReadable: false })).toEqual({ action: 'refuse', why });
    expect(decide({ withoutDown: ['0002_b'], servedTraffic: true, mode: 'restore', backupReadable: false })).toEqual({ action: 'refuse', why });
    expect(decide({ backupReadable: false })).toMatchObject({ action: 'down' });
  });
});
