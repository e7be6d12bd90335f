import type { LoadedConfig } from '../../config/load.js';
import type { DatabaseConfig } from '../../config/schema/databases.js';
import { restoreBackup, verifyBackup } from '../../databases/backup.js';
import { backupFolderOf, pruneAfterBackup, takeBackup } from '../../databases/manual.js';
import { findBackup, listBackups, type BackupManifest } from '../../databases/catalog.js';
import { encryptionOf, ensureDecryptable } from '../../databases/encryption.js';
import { dropStaleScratch } from '../../databases/scratch.js';
import { errorMessage, UsageError } from '../../errors.js';
import { systemClock } from '../../runtime/clock.js';
import { maskStoreUrl, storeUrlSecrets } from '../../store/url.js';
import { createStorage } from '../../storage/index.js';
import type { Output } from '../output.js';
import { prunedText } from '../render/describe-event.js';
import { EXIT, loadForDatabases, printRows, selectDatabases, type DatabaseFlags } from './databases.js';

/* `shipgate backup create|list|verify|restore [--db NAME]`. */

function prefixOf(loaded: LoadedConfig, name: string): string {
  return backupFolderOf(loaded, name);
}

function sizeText(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

function proofText(m: Pick<BackupManifest, 'verify'>): string {
  const v = m.verify;
  if (v.method === 'none') return 'not proven (verify: none)';
  if (v.method === 'restore') return `proven by restore: ${v.tables} tables, ${v.rows} rows equal (${(v.ms / 1000).toFixed(1)}s)`;
  return v.sha256Only ? 'checked by list: sha256 ok (the table list is inside the age encryption, and no identity is set here)' : `checked by list: ${v.tables} tables in the archive, sha256 ok`;
}

export async function backupCreateCommand(flags: DatabaseFlags, out: Output): Promise<number> {
  const loaded = loadForDatabases(flags, out);
  const made: BackupManifest[] = [];
  const chosen = selectDatabases(loaded, flags.db);
  for (const [name, db] of chosen) {
    const m = await takeBackup(loaded, name, db, 'manual', systemClock, (s) => {
      // The proof takes longer than the dump: say that the archive is safe and what comes next.
      if (db.backup.verify === 'none') return;
      out.log('info', `${name}: archive stored at ${s.location} (${sizeText(s.size)}, sha256 ${s.sha256.slice(0, 12)}…) in ${(s.ms / 1000).toFixed(1)}s; proving it by ${db.backup.verify === 'restore' ? 'a restore into a scratch database' : 'its table of contents'}…`, { event: 'backup_stored', database: name, location: s.location, size: s.size, sha256: s.sha256, ms: s.ms });
    });
    made.push(m);
    if (!out.json) out.line(`${name}: backup ${m.id} at ${m.location} (${sizeText(m.size)}, sha256 ${m.sha256.slice(0, 12)}…); ${proofText(m)}`);
  }
  const report = await pruneAfterBackup(loaded, chosen);
  if (out.json) {
    const of = (name: string) => ({ pruned: report.pruned.filter((p) => p.database === name).map(({ database: _d, ...p }) => p), prune_errors: report.errors.filter((e) => e.database === name).map((e) => e.message) });
    out.result(made.map(({ fingerprints: _f, fingerprintVersion: _v, ...m }) => ({ ...m, ...of(m.database) })));
    return EXIT.ok;
  }
  if (report.pruned.length > 0) out.line(`pruned backups: ${prunedText(report.pruned)}`);
  for (const e of report.errors) out.err(out.paint('yellow', `warning: ${e.database}: ${e.message}`));
  return EXIT.ok;
}

export async function backupListCommand(flags: DatabaseFlags, out: Output): Promise<number> {
  const loaded = loadForDatabases(flags, out);
  const rows: Record<string, unknown>[] = [];
  for (const [name, db] of selectDatabases(loaded, flags.db)) {
    const storage = createStorage(db.backup.storage, loaded.root);
    const { backups, unreadable, missing, orphans } = await listBackups(storage, prefixOf(loaded, name));
    // Newest first; a manifest whose archive is gone is listed, as not restorable.
    const listed = [...backups.map((b) => ({ b, restorable: true })), ...missing.map((b) => ({ b, restorable: false }))].sort((x, y) => Date.parse(y.b.timestamp) - Date.parse(x.b.timestamp));
    for (const { b, restorable } of listed) rows.push({ database: name, id: b.id, kind: b.kind, timestamp: b.timestamp, size: b.size, location: b.location, deployment_id: b.deploymentId, proof: b.verify, restorable });
    for (const o of orphans) rows.push({ database: name, id: null, kind: 'orphan', timestamp: o.modifiedAt, size: o.size, location: storage.location(o.key), deployment_id: null, proof: null, restorable: false });
    if (!out.json) {
      out.line(`${name} (${db.type}, ${storage.location(prefixOf(loaded, name))}):`);
      printRows(out, ['ID', 'KIND', 'TAKEN', 'SIZE', 'PROOF', 'DEPLOYMENT'], listed.map(({ b, restorable }) => [b.id, b.kind, b.timestamp.replace('T', ' ').slice(0, 19), sizeText(b.size), !restorable ? 'NO ARCHIVE' : b.verify.ok ? b.verify.method : 'FAILED', b.deploymentId ?? '-']), '  no backups');
      for (const b of missing) out.line(`  not restorable: ${b.id} has a manifest but its archive ${b.location} is missing`);
      for (const o of orphans) out.line(`  not restorable: archive without a manifest (a backup under way, or an interrupted prune): ${storage.location(o.key)}`);
      for (const u of unreadable) out.line(`  unreadable manifest: ${u}`);
    }
  }
  if (out.json) out.result(rows);
  return EXIT.ok;
}

/** The database a backup id belongs to: --db, or the only database. */
function oneDatabase(loaded: LoadedConfig, flags: DatabaseFlags): [string, DatabaseConfig] {
  const dbs = selectDatabases(loaded, flags.db);
  if (dbs.length > 1) throw new UsageError(`--db: which database? (configured: ${dbs.map(([n]) => n).join(', ')})`);
  return dbs[0]!;
}

export async function backupVerifyCommand(id: string, flags: DatabaseFlags, out: Output): Promise<number> {
  const loaded = loadForDatabases(flags, out);
  const [name, db] = oneDatabase(loaded, flags);
  const method = flags.method ?? db.backup.verify;
  if (method !== 'restore' && method !== 'list') throw new UsageError(`--method: expected restore or list (got ${JSON.stringify(method)})`);
  const storage = createStorage(db.backup.storage, loaded.root);
  const m = await findBackup(storage, prefixOf(loaded, name), id);
  const dropped = await sweepScratch(name, db, out);
  const verify = await verifyBackup({ db, storage, root: loaded.root, clock: systemClock, backup: m, fingerprints: m.fingerprints, fingerprintVersion: m.fingerprintVersion, method });
  if (out.json) out.result({ database: name, id, verify, stale_scratch_dropped: dropped });
  else out.line(`${name}: backup ${id} ${proofText({ verify })}`);
  return EXIT.ok;
}

/** Drops the scratch databases of proofs whose process is gone (a run killed mid-proof); a failure is a warning. */
async function sweepScratch(name: string, db: DatabaseConfig, out: Output): Promise<string[]> {
  if (db.type !== 'postgres' && db.type !== 'mysql') return [];
  const sweep = await dropStaleScratch(db.type, db.backup.verifyUrl ?? db.url).catch((err: unknown) => ({ dropped: [], kept: [], errors: [`stale scratch databases not checked: ${errorMessage(err)}`] }));
  if (!out.json) for (const d of sweep.dropped) out.line(`${name}: dropped ${d}, the scratch database of a proof whose process is gone`);
  for (const e of sweep.errors) out.err(out.paint('yellow', `warning: ${name}: ${out.masker.mask(e)}`));
  return sweep.dropped;
}

/**
 * `--target-url URL`, or `--target-url env:NAME` to read it from the environment: a password in
 * the flag itself is visible to everyone on the host in the process list.
 */
function targetUrlOf(flag: string | undefined, out: Output): string | undefined {
  if (flag === undefined) return undefined;
  const url = flag.startsWith('env:') ? process.env[flag.slice(4)] : flag;
  if (!url) throw new UsageError(`--target-url ${flag}: environment variable ${flag.slice(4)} is not set`);
  for (const secret of storeUrlSecrets(url)) out.masker.add(secret);
  return url;
}

export async function backupRestoreCommand(id: string, flags: DatabaseFlags, out: Output): Promise<number> {
  const loaded = loadForDatabases(flags, out);
  const [name, db] = oneDatabase(loaded, flags);
  const storage = createStorage(db.backup.storage, loaded.root);
  const m = await findBackup(storage, prefixOf(loaded, name), id);
  const targetUrl = targetUrlOf(flags.targetUrl, out);
  const target = targetUrl ?? db.url;
  const where = targetUrl ? `into ${maskStoreUrl(targetUrl)}` : `over ${name} itself`;
  if (flags.dryRun) {
    const steps = [`check backup ${id} (${m.location}, sha256 ${m.sha256.slice(0, 12)}…)`, ...(targetUrl ? [] : [`take a safety backup of ${name} as it is now`]), `restore it ${where}`];
    if (out.json) out.result({ database: name, id, dry_run: true, steps });
    else for (const s of steps) out.line(`would ${s}`);
    return EXIT.ok;
  }
  ensureDecryptable(db, encryptionOf(m));
  // A restore over the database can itself be undone: first a backup of what is there now.
  const safety = targetUrl ? null : await takeBackup(loaded, name, db, 'safety');
  if (safety && !out.json) out.line(`${name}: safety backup ${safety.id} at ${safety.location}`);
  await restoreBackup({ db, storage, root: loaded.root, clock: systemClock, backup: m, targetUrl: target });
  if (out.json) out.result({ database: name, id, restored: true, target: targetUrl ? maskStoreUrl(targetUrl) : name, safety_backup: safety?.id ?? null });
  else out.line(`${name}: restored backup ${id} ${where}${safety ? ` (undo with: shipgate backup restore ${safety.id} --db ${name})` : ''}`);
  return EXIT.ok;
}
