/** The releases table: one row per app/version, overwritten by a rebuild. */
import type { ReleaseRow } from './contract.js';
import type { SqlExecutor, SqlRow } from './driver.js';
import { fromJson, toJson } from './values.js';

const SELECT = 'SELECT app, version, created_at, dir, manifest_sha256, start, artifacts FROM releases';

function fromRow(r: SqlRow): ReleaseRow {
  return {
    app: String(r.app),
    version: String(r.version),
    createdAt: String(r.created_at),
    dir: r.dir as string | null,
    manifestSha256: r.manifest_sha256 as string | null,
    start: fromJson(r.start),
    artifacts: fromJson(r.artifacts),
  };
}

export async function upsertRelease(db: SqlExecutor, r: ReleaseRow): Promise<void> {
  await db.run(
    `INSERT INTO releases (app, version, created_at, dir, manifest_sha256, start, artifacts) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (app, version) DO UPDATE SET created_at = excluded.created_at, dir = excluded.dir,
       manifest_sha256 = excluded.manifest_sha256, start = excluded.start, artifacts = excluded.artifacts`,
    [r.app, r.version, r.createdAt, r.dir, r.manifestSha256, toJson(r.start), toJson(r.artifacts)],
  );
}

export async function getRelease(db: SqlExecutor, app: string, version: string): Promise<ReleaseRow | undefined> {
  const rows = await db.all(`${SELECT} WHERE app = ? AND version = ?`, [app, version]);
  return rows[0] && fromRow(rows[0]);
}

/** Newest first; releases created in the same instant by version, highest first. */
export async function listReleases(db: SqlExecutor, app: string): Promise<ReleaseRow[]> {
  return (await db.all(`${SELECT} WHERE app = ? ORDER BY created_at DESC, version DESC`, [app])).map(fromRow);
}

export async function deleteRelease(db: SqlExecutor, app: string, version: string): Promise<void> {
  await db.run('DELETE FROM releases WHERE app = ? AND version = ?', [app, version]);
}
