import type { DatabaseConfig } from '../../config/schema/databases.js';
import { openMigrations, type Migrations } from '../../databases/migrations/index.js';
import type { Output } from '../output.js';
import { EXIT, loadForDatabases, printRows, selectDatabases, stepsFlag, type DatabaseFlags } from './databases.js';

type Action = 'status' | 'up' | 'down' | 'validate';

interface Result {
  ok: boolean;
  json: Record<string, unknown>;
}

/** `shipgate migrate status|up|down|validate [--db NAME] [--steps N]`. */
export function migrateCommand(action: Action): (flags: DatabaseFlags, out: Output) => Promise<number> {
  return async (flags, out) => {
    const loaded = loadForDatabases(flags, out);
    const steps = action === 'down' ? stepsFlag(flags.steps) : 1;
    const dbs = selectDatabases(loaded, flags.db, (db) => (db.migrations ? null : 'has no migrations section'));
    const results: Record<string, unknown>[] = [];
    let ok = true;
    for (const [name, db] of dbs) {
      const m = await openMigrations(db, loaded.root, { name, onLine: (line) => (out.json ? undefined : out.line(`${name}: ${line}`)) });
      try {
        const r = m.tool === 'builtin' ? await builtin(action, name, db, m, steps, out) : await byCommand(action, name, m, out);
        results.push({ database: name, tool: m.tool, ...r.json });
        ok &&= r.ok;
      } finally {
        await m.close();
      }
    }
    if (out.json) out.result(results);
    return ok ? EXIT.ok : EXIT.failed;
  };
}

async function builtin(action: Action, name: string, db: DatabaseConfig, m: Extract<Migrations, { tool: 'builtin' }>, steps: number, out: Output): Promise<Result> {
  if (action === 'up') {
    const applied = await m.up({ onApplied: (row) => (out.json ? undefined : out.line(`${name}: applied ${row.name} (${row.durationMs} ms)`)) });
    if (!out.json && applied.length === 0) out.line(`${name}: up to date`);
    return { ok: true, json: { applied: applied.map((a) => a.name) } };
  }
  if (action === 'down') {
    const reverted = await m.down({ steps });
    if (!out.json) out.line(reverted.length === 0 ? `${name}: nothing to revert` : `${name}: reverted ${reverted.join(', ')}`);
    return { ok: true, json: { reverted } };
  }
  const status = await m.status();
  const drift = status.drift.map((d) => d.message);
  if (!out.json && action === 'status') {
    out.line(`${name} (${db.type}):`);
    const rows = [...status.applied.map((a) => [a.name, 'applied', a.appliedAt.replace('T', ' ').slice(0, 19), a.deploymentId ?? '-']), ...status.pending.map((p) => [p.name, 'pending', '-', '-'])];
    printRows(out, ['MIGRATION', 'STATE', 'APPLIED', 'BY'], rows, '  no migrations');
  }
  if (!out.json) for (const d of drift) out.line(`${name}: DRIFT: ${d}`);
  if (!out.json && action === 'validate' && drift.length === 0) out.line(`${name}: valid: ${status.applied.length} applied, ${status.pending.length} pending, no drift`);
  return { ok: drift.length === 0, json: { applied: status.applied.map((a) => a.name), pending: status.pending.map((p) => p.name), drift } };
}

async function byCommand(action: Action, name: string, m: Extract<Migrations, { tool: 'command' }>, out: Output): Promise<Result> {
  if (action === 'validate') {
    if (!out.json) out.line(`${name}: tool: command checks its own history (see shipgate migrate status)`);
    return { ok: true, json: {} };
  }
  const ran = action === 'up' ? await m.up() : action === 'down' ? await m.down() : await m.status();
  if (ran === null && !out.json) out.line(`${name}: migrations.status is not configured`);
  return { ok: true, json: ran === null ? { status: null } : { argv: ran.argv, output: ran.lines } };
}
