import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { z } from 'zod';
import { errorMessage, NotFound } from '../errors.js';
import type { BackupStorage, StoredObject } from '../storage/contract.js';
import { ENCRYPTION_KINDS } from './contract.js';
import type { CreatedBackup } from './backup.js';
import { LEGACY_FINGERPRINT_VERSION } from './engine.js';
import { backupsToPrune, protectedBackupIds, type RetentionPolicy } from './retention.js';

/**
 * The catalog of backups is the storage itself: next to each archive lies its
 * manifest (`<archive>.manifest.json`: the record of the backup, how it was
 * proven, and the source snapshot's fingerprints, which a later proof compares
 * with). So `shipgate backup list|verify|restore` work from the storage alone,
 * on another host, after the state store is lost.
 */

/** The storage folder of a database's backups: deploy backups in it, `manual/` and `safety/` under it. */
export function databaseFolder(app: string, environment: string, database: string): string {
  return `${app}/${environment}/${database}`;
}

export const MANIFEST_SUFFIX = '.manifest.json';
export const BACKUP_KINDS = ['deploy', 'manual', 'safety'] as const;

const ManifestSchema = z.object({
  format: z.literal(1),
  kind: z.enum(BACKUP_KINDS),
  deploymentId: z.string().nullable(),
  database: z.string(),
  type: z.string(),
  id: z.string(),
  key: z.string(),
  location: z.string(),
  timestamp: z.string(),
  size: z.number(),
  sha256: z.string(),
  compression: z.enum(['gzip', 'none']),
  encrypted: z.boolean(),
  encryption: z.enum(ENCRYPTION_KINDS).optional(),
  verify: z.object({ method: z.enum(['restore', 'list', 'none']), ok: z.boolean(), tables: z.number(), rows: z.number(), ms: z.number(), sha256Only: z.literal(true).optional() }),
  fingerprints: z.array(z.object({ table: z.string(), rows: z.number(), checksum: z.string() })),
  /** The engine's fingerprint algorithm; manifests written before there were two have none, and used the first. */
  fingerprintVersion: z.number().int().positive().default(LEGACY_FINGERPRINT_VERSION),
});
export type BackupManifest = z.infer<typeof ManifestSchema>;

/** A manifest read from storage, or null when it is not one shipgate wrote. */
export function parseManifest(json: unknown): BackupManifest | null {
  const parsed = ManifestSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}

export async function saveManifest(storage: BackupStorage, created: CreatedBackup, meta: { kind: BackupManifest['kind']; deploymentId: string | null; type: string }): Promise<BackupManifest> {
  const manifest: BackupManifest = { format: 1, ...meta, ...created };
  await storage.put(`${created.key}${MANIFEST_SUFFIX}`, Readable.from([JSON.stringify(manifest, null, 2)]));
  return manifest;
}

/** What the storage holds under a database's folder. */
export interface Catalog {
  /** Restorable: a manifest that reads and its archive beside it; oldest first. */
  backups: BackupManifest[];
  /** Manifests that do not read. */
  unreadable: string[];
  /** Manifests whose archive is gone: not restorable. */
  missing: BackupManifest[];
  /** Archives without a manifest: a backup under way, or a prune interrupted between its two deletes. */
  orphans: StoredObject[];
}

/** Every backup under `prefix`, and what is there but cannot be restored; unreadable manifests are reported, not fatal. */
export async function listBackups(storage: BackupStorage, prefix: string): Promise<Catalog> {
  // A folder: `app/env/main` must not list `app/env/main2`.
  const folder = prefix.replace(/\/+$/, '');
  const objects = (await storage.list(folder)).filter((o) => o.key.startsWith(`${folder}/`));
  const keys = new Set(objects.map((o) => o.key));
  const catalog: Catalog = { backups: [], unreadable: [], missing: [], orphans: [] };
  for (const o of objects) {
    if (!o.key.endsWith(MANIFEST_SUFFIX)) {
      if (!keys.has(`${o.key}${MANIFEST_SUFFIX}`)) catalog.orphans.push(o);
      continue;
    }
    const manifest = parseManifest(await readJson(storage, o.key));
    if (!manifest) catalog.unreadable.push(storage.location(o.key));
    else (keys.has(manifest.key) ? catalog.backups : catalog.missing).push(manifest);
  }
  catalog.backups.sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
  return catalog;
}

async function readJson(storage: BackupStorage, key: string): Promise<unknown> {
  try {
    return JSON.parse(await text(await storage.get(key)));
  } catch {
    return null;
  }
}

/** The backup `id` under `prefix`, or NotFound naming the newest ones there (or saying its archive is gone). */
export async function findBackup(storage: BackupStorage, prefix: string, id: string): Promise<BackupManifest> {
  const { backups, missing } = await listBackups(storage, prefix);
  const found = backups.find((b) => b.id === id);
  if (found) return found;
  const gone = missing.find((b) => b.id === id);
  if (gone) throw new NotFound(`backup ${id} cannot be restored: its archive ${gone.location} is missing (only its manifest is left)`);
  const recent = backups.slice(-5).map((b) => b.id).reverse();
  throw new NotFound(`no backup ${id} in ${storage.location(prefix)}${recent.length > 0 ? ` (newest: ${recent.join(', ')})` : ' (no backups there)'}`);
}

/** What retention must keep: backups of these deployments, and safety backups younger than `windowMs` (see retention.ts). */
export interface Protection {
  deployments: ReadonlySet<string>;
  windowMs: number;
}

/** An archive without a manifest younger than this may be a backup still being proven: pruning leaves it. */
export const ORPHAN_GRACE_MS = 7 * 86_400_000;

export interface PruneOutcome {
  /** Ids of the backups deleted (manifest and archive). */
  pruned: string[];
  /** Keys of archives without a manifest deleted (older than ORPHAN_GRACE_MS). */
  orphans: string[];
  /** What could not be deleted, one message each. */
  errors: string[];
}

/**
 * Deletes what retention lets go, each backup's manifest before its archive: a
 * crash between the two leaves an archive without a manifest, which nothing
 * lists as restorable and a later prune deletes, never a manifest pointing at
 * nothing. One failed delete does not stop the others.
 */
export async function pruneBackups(storage: BackupStorage, prefix: string, policy: RetentionPolicy, protection: Protection | (() => Promise<Protection>), nowMs: number): Promise<PruneOutcome> {
  const { backups, orphans } = await listBackups(storage, prefix);
  // Protection only ever spares backups: when none is over the policy, it need not be asked (nor the store opened).
  const over = backupsToPrune(backups, policy, new Set(), nowMs);
  let doomed: BackupManifest[] = [];
  if (over.length > 0) {
    const p = typeof protection === 'function' ? await protection() : protection;
    doomed = backupsToPrune(backups, policy, protectedBackupIds(backups, p.deployments, p.windowMs, nowMs), nowMs);
  }
  const out: PruneOutcome = { pruned: [], orphans: [], errors: [] };
  for (const b of doomed) {
    if (!(await attempt(out, `backup ${b.id} not deleted`, () => storage.delete(`${b.key}${MANIFEST_SUFFIX}`)))) continue;
    out.pruned.push(b.id);
    await attempt(out, `backup ${b.id}: its manifest is deleted but its archive ${b.location} is left`, () => storage.delete(b.key));
  }
  for (const o of orphans.filter((x) => nowMs - Date.parse(x.modifiedAt) > ORPHAN_GRACE_MS)) {
    if (await attempt(out, `archive ${storage.location(o.key)} (no manifest) not deleted`, () => storage.delete(o.key))) out.orphans.push(o.key);
  }
  return out;
}

async function attempt(out: PruneOutcome, what: string, act: () => Promise<void>): Promise<boolean> {
  try {
    await act();
    return true;
  } catch (err) {
    out.errors.push(`${what}: ${errorMessage(err)}`);
    return false;
  }
}
