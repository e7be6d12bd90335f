import { describe, expect, it } from 'vitest';
import type { MigrationFile } from '../../../src/databases/contract.js';
import { guardVerdict, type GuardInput } from '../../../src/pipeline/dry-run-guard.js';

const file = (name: string, up: string, contract = false): MigrationFile => ({ name, up, down: null, sha256: '0'.repeat(64), contract });
const DROP = file('0002_drop', 'ALTER TABLE users DROP COLUMN note;');
const input = (over: Partial<GuardInput> = {}): GuardInput => ({ database: 'main', pending: [DROP], drift: [], runsTwoVersions: true, data: { allowDestructive: false, skipMigrations: false }, ...over });

describe('guardVerdict (what deploy --dry-run shows)', () => {
  it('blocks a destructive statement while two versions run, naming the rule and the statement', () => {
    const v = guardVerdict(input());
    expect([v.verdict, v.pending, v.findings.map((f) => [f.rule, f.statement, f.text])]).toEqual(['block', ['0002_drop'], [['drop-column', 1, 'ALTER TABLE users DROP COLUMN note']]]);
  });

  it('a contract-marked file passes, as in the migrate stage', () => {
    expect(guardVerdict(input({ pending: [file('0003_drop', '-- shipgate:contract\nALTER TABLE users DROP COLUMN note;', true)] })).verdict).toBe('pass');
  });

  it('allowed with --allow-destructive, passes in an immediate rollout, skipped with --skip-migrations, and drift says the stage would fail', () => {
    expect(guardVerdict(input({ data: { allowDestructive: true, skipMigrations: false } })).verdict).toBe('allowed');
    expect(guardVerdict(input({ runsTwoVersions: false })).verdict).toBe('pass');
    expect(guardVerdict(input({ data: { allowDestructive: false, skipMigrations: true } })).reason).toBe('migrations skipped (--skip-migrations)');
    expect(guardVerdict(input({ drift: ['0001_base: the file changed after it was applied'] }))).toMatchObject({ verdict: 'drift', reason: 'applied migrations differ from their files, the migrate stage would fail: 0001_base: the file changed after it was applied' });
    expect(guardVerdict(input({ pending: [] })).reason).toBe('no pending migration');
  });
});
