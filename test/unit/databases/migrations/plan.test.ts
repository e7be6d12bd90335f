import { describe, expect, it } from 'vitest';
import type { AppliedMigration, MigrationFile } from '../../../../src/databases/contract.js';
import { downTargets, driftOf, pendingOf } from '../../../../src/databases/migrations/plan.js';

const file = (name: string, down: string | null = 'SELECT 1', sha256 = `sha-${name}`): MigrationFile => ({ name, up: 'SELECT 1', down, sha256, contract: false });
const row = (name: string, sha256 = `sha-${name}`): AppliedMigration => ({ name, sha256, appliedAt: '2026-12-01T00:00:00.000Z', durationMs: 1, deploymentId: null });

describe('migration plan', () => {
  const files = [file('1_a'), file('2_b', null), file('10_c')];

  it('pending keeps file order, also for a file older than the last applied one', () => {
    expect(pendingOf(files, [row('10_c')]).map((f) => f.name)).toEqual(['1_a', '2_b']);
  });

  it('drift: changed and missing, in migration order', () => {
    expect(driftOf(files, [row('10_c', 'other'), row('9_gone'), row('1_a')]).map((d) => [d.name, d.kind])).toEqual([
      ['9_gone', 'missing'],
      ['10_c', 'changed'],
    ]);
  });

  it('down targets: the newest applied by number (10 after 2), steps, or names newest first', () => {
    const history = [row('10_c'), row('1_a')];
    expect(downTargets(files, history, {}).map((f) => f.name)).toEqual(['10_c']);
    expect(downTargets(files, history, { steps: 5 }).map((f) => f.name)).toEqual(['10_c', '1_a']);
    expect(downTargets(files, history, { names: ['1_a', '10_c'] }).map((f) => f.name)).toEqual(['10_c', '1_a']);
  });

  it('down refuses, naming the migration, when it is not applied, its file is gone or it has no down', () => {
    expect(() => downTargets(files, [row('1_a')], { names: ['10_c'] })).toThrow('cannot revert 10_c: it is not applied');
    expect(() => downTargets(files, [row('1_a'), row('5_gone')], {})).toThrow('cannot revert 5_gone: its file 5_gone.up.sql is gone');
    expect(() => downTargets(files, [row('2_b')], {})).toThrow('cannot revert 2_b: it has no down file (2_b.down.sql); restore the backup taken before it instead');
  });
});
