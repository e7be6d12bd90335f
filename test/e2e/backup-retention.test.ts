/**
 * Acceptance: after each successful deploy, the database's backups are pruned by
 * `backup.retention` (age, then count), never the backup of the live deployment
 * or of the rollback target, and `shipgate backup create` prunes too. Deployments
 * and backups are aged by rewriting their times in the real store and manifests.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { json, makeProject, SCRIPTS_PROVIDER, type CliResult, type Project } from '../support/project.js';

const CONFIG = `app: ret
${SCRIPTS_PROVIDER}databases:
  main:
    type: sqlite
    url: "sqlite:app.db"
    backup: { verify: list, storage: { type: local, path: backups }, retention: { keep: 3, maxAge: 30d } }
`;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FOLDER = 'backups/ret/production/main';

let p: Project | null = null;
afterEach(async () => {
  await p?.cleanup();
  p = null;
});

interface Deployed {
  deploymentId: string;
  backupId: string;
  pruned: { database: string; id: string }[] | undefined;
}

const ok = (r: CliResult): CliResult => (expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0), r);

async function deploy(q: Project, version: string): Promise<Deployed> {
  const r = json<{ deployment_id: string; record: { database_backup: { backup_id: string }; backups_pruned?: Deployed['pruned'] } }>(ok(await q.run(['deploy', version, '--json'])));
  return { deploymentId: r.deployment_id, backupId: r.record.database_backup.backup_id, pruned: r.record.backups_pruned };
}

/** Moves every deployment so far back in time by the same amount, so their order stays. */
function ageDeployments(q: Project, ms: number): void {
  const db = new Database(join(q.dir, '.shipgate/state.db'));
  try {
    const shift = (t: string | null) => (t === null ? null : new Date(Date.parse(t) - ms).toISOString());
    for (const row of db.prepare('SELECT id, started_at, finished_at FROM deployments').all() as { id: string; started_at: string; finished_at: string | null }[]) {
      db.prepare('UPDATE deployments SET started_at = ?, finished_at = ? WHERE id = ?').run(shift(row.started_at), shift(row.finished_at), row.id);
    }
  } finally {
    db.close();
  }
}

async function manifestOf(q: Project, id: string): Promise<string> {
  const files = await readdir(join(q.dir, FOLDER), { recursive: true });
  const found = files.find((f) => f.endsWith(`${id}.sqlite.gz.manifest.json`));
  if (!found) throw new Error(`no manifest of ${id}`);
  return join(q.dir, FOLDER, found);
}

async function ageBackup(q: Project, id: string, days: number): Promise<void> {
  const path = await manifestOf(q, id);
  const m = JSON.parse(await readFile(path, 'utf8')) as { timestamp: string };
  await writeFile(path, JSON.stringify({ ...m, timestamp: new Date(Date.parse(m.timestamp) - days * DAY).toISOString() }));
}

async function stored(q: Project): Promise<string[]> {
  const files = await readdir(join(q.dir, FOLDER), { recursive: true });
  return files.map((f) => /(bk_[^.]+)\./.exec(f)?.[1]).filter((x): x is string => x !== undefined).sort().filter((x, i, all) => all.indexOf(x) === i);
}

describe('backup retention after deploys (SQLite, local storage)', () => {
  it('prunes by age, then by count, and keeps the rollback target\'s backup past both; backup create prunes too', async () => {
    p = await makeProject(CONFIG);
    new Database(join(p.dir, 'app.db')).exec('CREATE TABLE t (id integer PRIMARY KEY); INSERT INTO t VALUES (1);');
    const d1 = await deploy(p, 'v1.0.0');
    const d2 = await deploy(p, 'v1.0.1');
    expect(d2.pruned).toBeUndefined();

    // Age: d1 left its rollback window, and its backup is 40 days old (within the count of 3).
    ageDeployments(p, 2 * HOUR);
    await ageBackup(p, d1.backupId, 40);
    const d3 = await deploy(p, 'v1.0.2');
    expect(d3.pruned).toEqual([{ database: 'main', id: d1.backupId }]);

    // Count: four backups, keep 3; d2 is neither live, nor the rollback target, nor inside its window.
    const d4 = await deploy(p, 'v1.0.3');
    expect(d4.pruned).toBeUndefined();
    ageDeployments(p, 2 * HOUR);
    const r5 = ok(await p.run(['deploy', 'v1.0.4']));
    expect(r5.stdout).toContain(`\n  pruned backups: main: ${d2.backupId}\n`);
    expect(await stored(p)).not.toContain(d2.backupId);
    const d5 = json<{ id: string; kind: string }[]>(ok(await p.run(['backup', 'list', '--json']))).find((b) => b.kind === 'deploy')!;

    // Protected: d5's backup (the rollback target's after the next deploy) is past age and count, and stays.
    ageDeployments(p, 2 * HOUR);
    await ageBackup(p, d5.id, 40);
    await ageBackup(p, d4.backupId, 39);
    const d6 = await deploy(p, 'v1.0.5');
    expect(d6.pruned).toEqual([{ database: 'main', id: d4.backupId }]);
    expect(await stored(p)).toEqual([d3.backupId, d5.id, d6.backupId].sort());

    // backup create: a fourth backup fits (the protected one ranks last); a fifth pushes d3's out.
    const create = async () => json<{ id: string; pruned: { id: string }[] }[]>(ok(await p!.run(['backup', 'create', '--json'])))[0]!;
    const m1 = await create();
    expect(m1.pruned).toEqual([]);
    const m2 = await create();
    expect(m2.pruned).toEqual([{ id: d3.backupId }]);
    expect(await stored(p)).toEqual([d5.id, d6.backupId, m1.id, m2.id].sort());
  });
});
