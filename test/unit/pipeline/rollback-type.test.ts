import { describe, expect, it } from 'vitest';
import type { BackupOutput } from '../../../src/databases/contract.js';
import { decideAutoData, decideDatabaseRollback, decideMigrationRollback, type MigrationRollbackInput } from '../../../src/pipeline/data-rollback.js';
import { stagesFor } from '../../../src/pipeline/plan.js';
import { checkRollbackFlags, isDataOnly, rollbackFactsOf } from '../../../src/pipeline/rollback-type.js';
import { rollbackRecordFields } from '../../../src/pipeline/stages/data-rollback-output.js';
import { loadDoc } from './helpers.js';

const backup: BackupOutput = {
  database: 'main',
  id: 'bk_20261203T100000Z_aaaaaa',
  key: 'demo/production/main/bk_20261203T100000Z_aaaaaa.dump.gz',
  location: 'backups/demo/production/main/bk_20261203T100000Z_aaaaaa.dump.gz',
  timestamp: '2026-12-03T10:00:00.000Z',
  size: 1234,
  sha256: 'a'.repeat(64),
  compression: 'gzip',
  encrypted: false,
  verify: { method: 'restore', ok: true, tables: 3, rows: 42, ms: 812 },
};
const ref = { id: backup.id, key: backup.key, location: backup.location, timestamp: backup.timestamp, size: backup.size, sha256: backup.sha256, compression: backup.compression, encrypted: backup.encrypted };

describe('checkRollbackFlags', () => {
  it('app by default; each type takes its own flags', () => {
    expect(checkRollbackFlags({})).toEqual({ type: 'app', database: null, steps: null, backup: null });
    expect(checkRollbackFlags({ type: 'migration', db: 'main', steps: '2' })).toEqual({ type: 'migration', database: 'main', steps: 2, backup: null });
    expect(checkRollbackFlags({ type: 'database', backup: 'bk_1' })).toMatchObject({ type: 'database', backup: 'bk_1' });
    expect(checkRollbackFlags({ type: 'auto', to: 'v1.0.0', db: 'main' })).toMatchObject({ type: 'auto', database: 'main' });
  });

  it('refuses an unknown type, a bad --steps and a flag of another type, naming the flag and the way out', () => {
    expect(() => checkRollbackFlags({ type: 'everything' })).toThrow('--type: expected one of app, migration, database, auto (got "everything")');
    for (const steps of ['0', '-1', '1.5', 'two', '', '10001']) expect(() => checkRollbackFlags({ type: 'migration', steps })).toThrow(`--steps: expected a whole number from 1 to 10000 (got ${JSON.stringify(steps)})`);
    expect(() => checkRollbackFlags({ steps: '2' })).toThrow('--steps goes with --type migration, not --type app');
    expect(() => checkRollbackFlags({ type: 'auto', steps: '2' })).toThrow('--steps goes with --type migration, not --type auto');
    expect(() => checkRollbackFlags({ type: 'migration', backup: 'bk_1' })).toThrow('--backup goes with --type database, not --type migration');
    expect(() => checkRollbackFlags({ type: 'database', to: 'v1.0.0' })).toThrow('--to goes with --type app or --type auto, not --type database');
    expect(() => checkRollbackFlags({ db: 'main' })).toThrow('--db goes with --type migration or --type database or --type auto, not --type app');
  });

  it('facts in a deployment meta: read back, or null for a deploy; only migration and database leave the app alone', () => {
    const facts = { type: 'database', live: 'dep_a', subject: null, actions: [{ database: 'main', action: 'restore', backup: ref, why: 'w' }] };
    expect(rollbackFactsOf({ rollback: facts })).toEqual(facts);
    expect(rollbackFactsOf({})).toBeNull();
    expect(rollbackFactsOf({ rollback: { type: 'sideways' } })).toBeNull();
    expect([isDataOnly('app'), isDataOnly('migration'), isDataOnly('database'), isDataOnly('auto'), isDataOnly(null)]).toEqual([false, true, true, false, false]);
  });
});

describe('decideMigrationRollback', () => {
  const decide = (over: Partial<MigrationRollbackInput>) => decideMigrationRollback({ database: 'main', subject: 'dep_b', history: ['0001_a', '0002_b', '0003_c'], applied: ['0002_b', '0003_c'], withoutDown: [], steps: null, ...over });

  it('the downs of what the deployment applied, newest first; --steps limits them', () => {
    expect(decide({})).toEqual({ database: 'main', action: 'down', names: ['0003_c', '0002_b'], why: 'main: reverting 0003_c, 0002_b (applied by dep_b) newest first; the writes made since are kept' });
    expect(decide({ steps: 1 })).toEqual({ database: 'main', action: 'down', names: ['0003_c'], why: 'main: reverting 0003_c (applied by dep_b) newest first; 1 more of its migration(s) stay (--steps 1); the writes made since are kept' });
    expect(decide({ steps: 5 })).toMatchObject({ action: 'down', names: ['0003_c', '0002_b'] });
  });

  it('nothing when none of its migrations is still applied', () => {
    expect(decide({ applied: [] })).toEqual({ database: 'main', action: 'nothing', why: 'main: no migration applied by dep_b is applied any more' });
    expect(decide({ history: ['0001_a'] })).toMatchObject({ action: 'nothing' });
  });

  it('refuses a missing down, naming it and the backup way out; a down missing beyond --steps does not matter', () => {
    expect(decide({ withoutDown: ['0002_b'] })).toEqual({
      database: 'main',
      action: 'refuse',
      why: 'main: 0002_b has no down: write the down, or restore the backup dep_b took (shipgate rollback --type database --db main), which loses the writes made since',
    });
    expect(decide({ withoutDown: ['0002_b'], steps: 1 })).toMatchObject({ action: 'down', names: ['0003_c'] });
  });

  it('refuses to revert from under a migration applied after it by someone else', () => {
    expect(decide({ history: ['0001_a', '0002_b', '0003_c', '0004_manual'] })).toEqual({
      database: 'main',
      action: 'refuse',
      why: 'main: 0004_manual (not reverted by this rollback) was applied after 0002_b; revert it first (shipgate migrate down --db main)',
    });
  });
});

describe('decideDatabaseRollback and decideAutoData', () => {
  it('a restore says which writes it loses, who took the backup, and when it was never proven', () => {
    expect(decideDatabaseRollback({ database: 'main', backup: { ...ref, verify: backup.verify }, takenBy: 'dep_b' })).toEqual({
      database: 'main',
      action: 'restore',
      backup: ref,
      why: 'main: restoring the backup bk_20261203T100000Z_aaaaaa taken at 2026-12-03T10:00:00.000Z (taken by dep_b before it migrated), which LOSES every write made since 2026-12-03T10:00:00.000Z',
    });
    expect(decideDatabaseRollback({ database: 'main', backup: { ...ref, verify: { ...backup.verify, method: 'none' } }, takenBy: null }).why).toBe(
      'main: restoring the backup bk_20261203T100000Z_aaaaaa taken at 2026-12-03T10:00:00.000Z, which LOSES every write made since 2026-12-03T10:00:00.000Z; it was never proven (backup.verify: none)',
    );
  });

  it('auto follows the undo rules as after traffic: downs, the backup only under rollback.database restore, else a refusal', () => {
    const auto = (over: Partial<Parameters<typeof decideAutoData>[0]>) => decideAutoData({ database: 'main', history: ['0001_a', '0002_b'], applied: ['0002_b'], withoutDown: [], backup, mode: 'down', ...over });
    expect(auto({})).toMatchObject({ action: 'down', names: ['0002_b'], why: expect.stringContaining('the writes made since are kept') });
    expect(auto({ withoutDown: ['0002_b'], mode: 'restore' })).toMatchObject({ action: 'restore', backup: ref, why: expect.stringContaining('LOSES every write made since') });
    expect(auto({ withoutDown: ['0002_b'] })).toMatchObject({ action: 'refuse', why: expect.stringContaining('rollback.database is down') });
    expect(auto({ applied: [] })).toMatchObject({ action: 'nothing' });
    expect(auto({ history: ['0001_a', '0002_b', '0003_manual'] })).toMatchObject({ action: 'refuse', why: 'main: 0003_manual (not reverted by this rollback) was applied after 0002_b; revert it first (shipgate migrate down --db main)' });
  });
});

describe('stagesFor a rollback', () => {
  const loaded = loadDoc({ provider: { type: 'command', deploy: ['./deploy.sh'], health: { url: 'http://127.0.0.1:1/health' } }, smoke: [{ name: 'home', url: 'http://127.0.0.1:1/' }] });
  const names = (type?: Parameters<typeof stagesFor>[2]) => stagesFor('rollback', loaded.config, type).map((s) => s.name);

  it('app as before; migration and database only the data; auto the app, its checks, then the data before the smoke tests', () => {
    expect(names()).toEqual(['gates', 'rollback', 'verify', 'smoke']);
    expect(names('migration')).toEqual(['gates', 'data']);
    expect(names('database')).toEqual(['gates', 'data']);
    expect(names('auto')).toEqual(['gates', 'rollback', 'verify', 'data', 'smoke']);
  });
});

describe('rollbackRecordFields', () => {
  it('the type for every rollback; per database what was done, why, and its safety backup; nothing for a deploy', () => {
    expect(rollbackRecordFields('deploy', {}, null)).toEqual({});
    expect(rollbackRecordFields('rollback', {}, null)).toEqual({ rollback_type: 'app' });
    const meta = { rollback: { type: 'auto', live: 'dep_b', subject: 'dep_b', actions: [{ database: 'main', action: 'down', names: ['0002_b'], why: 'w1' }, { database: 'audit', action: 'restore', backup: ref, why: 'w2' }] } };
    const output = { databases: { main: { safetyBackup: { ...backup, id: 'bk_safety' }, began: true, done: true } } };
    expect(rollbackRecordFields('rollback', meta, output)).toEqual({
      rollback_type: 'auto',
      data_rollback: [
        { database: 'main', action: 'down', migrations: ['0002_b'], why: 'w1', safety_backup: 'bk_safety', done: true },
        { database: 'audit', action: 'restore', backup_id: ref.id, writes_lost_since: ref.timestamp, why: 'w2', safety_backup: null, done: false },
      ],
    });
  });
});
