import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { z } from 'zod';
import { NotFound } from '../errors.js';
import type { BackupStorage } from '../storage/contract.js';
import type { CreatedBackup } from './backup.js';
import { backupsToPrune, type RetentionPolicy } from './retention.js';

/**
 * The catalog of backups is the storage itself: next to each archive lies its
 * manifest (`<archive>.manifest.json`: the record of the backup, how it was
 * proven, and the source snapshot's fingerprints, which a later proof compares
 * with). So `shipgate backup list|verify|restore` work from the storage alone,
 * on another host, after the state store is lost.
 */

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
  verify: z.object({ method: z.enum(['restore', 'list', 'none']), ok: z.boolean(), tables: z.number(), rows: z.number(), ms: z.number() }),
  fingerprints: z.array(z.object({ table: z.string(), rows: z.number(), checksum: z.string() })),
});
export type BackupManifest = z.infer<typeof ManifestSchema>;

export async function saveManifest(storage: BackupStorage, created: CreatedBackup, meta: { kind: BackupManifest['kind']; deploymentId: string | null; type: string }): Promise<BackupManifest> {
  const manifest: BackupManifest = { format: 1, ...meta, ...created };
  await storage.put(`${created.key}${MANIFEST_SUFFIX}`, Readable.from([JSON.stringify(manifest, null, 2)]));
  return manifest;
}

/** Every backup under `prefix` whose manifest reads, oldest first; unreadable manifests are reported, not fatal. */
export async function listBackups(storage: BackupStorage, prefix: string): Promise<{ backups: BackupManifest[]; unreadable: string[] }> {
  // A folder: `app/env/main` must not list `app/env/main2`.
  const folder = prefix.replace(/\/+$/, '');
  const objects = (await storage.list(folder)).filter((o) => o.key.startsWith(`${folder}/`) && o.key.endsWith(MANIFEST_SUFFIX));
  const backups: BackupManifest[] = [];
  const unreadable: string[] = [];
  for (const o of objects) {
    const parsed = ManifestSchema.safeParse(await readJson(storage, o.key));
    if (parsed.success) backups.push(parsed.data);
    else unreadable.push(storage.location(o.key));
  }
  backups.sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
  return { backups, unreadable };
}

async function readJson(storage: BackupStorage, key: string): Promise<unknown> {
  try {
    return JSON.parse(await text(await storage.get(key)));
  } catch {
    return null;
  }
}

/** The backup `id` under `prefix`, or NotFound naming the newest ones there. */
export async function findBackup(storage: BackupStorage, prefix: string, id: string): Promise<BackupManifest> {
  const { backups } = await listBackups(storage, prefix);
  const found = backups.find((b) => b.id === id);
  if (found) return found;
  const recent = backups.slice(-5).map((b) => b.id).reverse();
  throw new NotFound(`no backup ${id} in ${storage.location(prefix)}${recent.length > 0 ? ` (newest: ${recent.join(', ')})` : ' (no backups there)'}`);
}

/** Deletes what retention lets go (archive first, then its manifest). Returns the ids deleted. */
export async function pruneBackups(storage: BackupStorage, prefix: string, policy: RetentionPolicy, protectedIds: ReadonlySet<string>, nowMs: number): Promise<string[]> {
  const { backups } = await listBackups(storage, prefix);
  const doomed = backupsToPrune(backups, policy, protectedIds, nowMs);
  for (const b of doomed) {
    await storage.delete(b.key);
    await storage.delete(`${b.key}${MANIFEST_SUFFIX}`);
  }
  return doomed.map((b) => b.id);
}
