/**
 * Retention on real storage (a local folder, and S3 on a real s3rver): what it
 * deletes by count and age, what it never deletes, the order of its two deletes,
 * and what `listBackups` then tells.
 */
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBackups, pruneBackups, saveManifest, MANIFEST_SUFFIX, ORPHAN_GRACE_MS, type Protection } from '../../src/databases/catalog.js';
import { pruneAllBackups } from '../../src/databases/prune-backups.js';
import { DatabaseSchema } from '../../src/config/schema/databases.js';
import { createLocalStorage } from '../../src/storage/local.js';
import { createS3Storage } from '../../src/storage/s3.js';
import type { BackupStorage } from '../../src/storage/contract.js';
import { openStore } from '../../src/store/index.js';
import { S3RVER_CREDENTIALS, startS3Server, type S3Server } from '../support/s3.js';
import { makeTempDir, type TempDir } from '../support/tmp.js';

const DAY = 86_400_000;
const NOW = Date.now();
const FOLDER = 'shop/production/main';
const POLICY = { keep: 3, maxAgeMs: 30 * DAY };
const NONE: Protection = { deployments: new Set(), windowMs: 3_600_000 };

interface Seed {
  id: string;
  daysAgo: number;
  kind?: 'deploy' | 'manual' | 'safety';
  deploymentId?: string | null;
}

/** A backup as the backup stage leaves it: an archive, then its manifest beside it. */
async function seed(storage: BackupStorage, s: Seed): Promise<string> {
  const kind = s.kind ?? 'deploy';
  const key = `${FOLDER}${kind === 'deploy' ? '' : `/${kind}`}/${s.id}.sqlite.gz`;
  const { size } = await storage.put(key, Readable.from([Buffer.from(`archive ${s.id}`)]));
  const verify = { method: 'list' as const, ok: true, tables: 1, rows: 0, ms: 1 };
  const created = { database: 'main', id: s.id, key, location: storage.location(key), timestamp: new Date(NOW - s.daysAgo * DAY).toISOString(), size, sha256: '0'.repeat(64), compression: 'gzip' as const, encrypted: false, verify, fingerprints: [], fingerprintVersion: 1 };
  await saveManifest(storage, created, { kind, deploymentId: s.deploymentId ?? null, type: 'sqlite' });
  return key;
}

async function keys(storage: BackupStorage): Promise<string[]> {
  return (await storage.list(FOLDER)).map((o) => o.key).sort();
}

const ids = async (storage: BackupStorage): Promise<string[]> => (await listBackups(storage, FOLDER)).backups.map((b) => b.id);

function describeRetention(name: string, make: () => Promise<BackupStorage>): void {
  describe(`backup retention on ${name}`, () => {
    it('deletes past the count and past the age, manifest and archive both; keeps protected ones whatever their rank or age', async () => {
      const storage = await make();
      await seed(storage, { id: 'bk_1_ancient_live', daysAgo: 400, deploymentId: 'dep_live' });
      await seed(storage, { id: 'bk_2_old', daysAgo: 40 });
      await seed(storage, { id: 'bk_3_surplus', daysAgo: 5, kind: 'manual' });
      await seed(storage, { id: 'bk_4', daysAgo: 3 });
      await seed(storage, { id: 'bk_5', daysAgo: 2 });
      await seed(storage, { id: 'bk_6', daysAgo: 1 });
      const out = await pruneBackups(storage, FOLDER, POLICY, { deployments: new Set(['dep_live']), windowMs: 3_600_000 }, NOW);
      expect(out).toEqual({ pruned: ['bk_3_surplus', 'bk_2_old'], orphans: [], errors: [] });
      expect(await ids(storage)).toEqual(['bk_1_ancient_live', 'bk_4', 'bk_5', 'bk_6']);
      // Nothing of the pruned ones is left: neither archive nor manifest.
      expect((await keys(storage)).filter((k) => k.includes('bk_2') || k.includes('bk_3'))).toEqual([]);
    });

    it('a safety backup taken inside the rollback window stays; one older than the window goes with the count', async () => {
      const storage = await make();
      await seed(storage, { id: 'bk_1_safety_old', daysAgo: 2, kind: 'safety' });
      await seed(storage, { id: 'bk_2_safety_recent', daysAgo: 1.5 / 24, kind: 'safety' });
      for (const i of [3, 4, 5]) await seed(storage, { id: `bk_${i}`, daysAgo: 1 / 24 / i });
      const out = await pruneBackups(storage, FOLDER, POLICY, { deployments: new Set(), windowMs: 2 * 3_600_000 }, NOW);
      expect(out.pruned).toEqual(['bk_1_safety_old']);
      expect(await ids(storage)).toEqual(['bk_2_safety_recent', 'bk_3', 'bk_4', 'bk_5']);
    });

    it('a crash between the two deletes leaves an archive without a manifest: listed as not restorable, and deleted by a later prune once past the grace', async () => {
      const storage = await make();
      const oldKey = await seed(storage, { id: 'bk_1', daysAgo: 40 });
      await seed(storage, { id: 'bk_2', daysAgo: 1 });
      // The archive delete fails after its manifest is gone, as a process killed between them would leave it.
      const crashing: BackupStorage = { ...storage, delete: async (key) => (key.endsWith(MANIFEST_SUFFIX) ? storage.delete(key) : Promise.reject(new Error('connection reset'))) };
      const out = await pruneBackups(crashing, FOLDER, POLICY, NONE, NOW);
      expect(out.pruned).toEqual(['bk_1']);
      expect(out.errors).toEqual([`backup bk_1: its manifest is deleted but its archive ${storage.location(oldKey)} is left: connection reset`]);
      const catalog = await listBackups(storage, FOLDER);
      expect(catalog.backups.map((b) => b.id)).toEqual(['bk_2']);
      expect(catalog.missing).toEqual([]);
      expect(catalog.orphans.map((o) => o.key)).toEqual([oldKey]);
      // Just after: the orphan may be a backup still being proven, so it stays.
      expect((await pruneBackups(storage, FOLDER, POLICY, NONE, NOW)).orphans).toEqual([]);
      expect((await pruneBackups(storage, FOLDER, POLICY, NONE, NOW + ORPHAN_GRACE_MS + DAY)).orphans).toEqual([oldKey]);
      expect(await keys(storage)).not.toContain(oldKey);
      expect((await listBackups(storage, FOLDER)).orphans).toEqual([]);
    });

    it('a manifest whose archive is gone is not listed as restorable and does not count toward keep', async () => {
      const storage = await make();
      const gone = await seed(storage, { id: 'bk_gone', daysAgo: 1 });
      for (const i of [2, 3, 4]) await seed(storage, { id: `bk_${i}`, daysAgo: 10 - i });
      await storage.delete(gone);
      const catalog = await listBackups(storage, FOLDER);
      expect(catalog.missing.map((b) => b.id)).toEqual(['bk_gone']);
      expect(catalog.backups.map((b) => b.id)).toEqual(['bk_2', 'bk_3', 'bk_4']);
      expect((await pruneBackups(storage, FOLDER, POLICY, NONE, NOW)).pruned).toEqual([]);
    });
  });
}

let tmp: TempDir;
let server: S3Server;
let buckets = 0;
const savedEnv = { ...process.env };
beforeAll(async () => {
  tmp = await makeTempDir('shipgate-retention-');
  server = await startS3Server();
  Object.assign(process.env, S3RVER_CREDENTIALS);
});
afterAll(async () => {
  process.env = savedEnv;
  await server?.stop();
  await tmp?.cleanup();
});

let folders = 0;
describeRetention('a local folder', async () => createLocalStorage({ root: join(tmp.path, `local-${++folders}`) }));
describeRetention('S3 (s3rver)', async () => {
  const bucket = `retention-${++buckets}`;
  await server.createBucket(bucket);
  return createS3Storage({ bucket, prefix: 'backups/', region: 'us-east-1', endpoint: server.endpoint });
});

describe('pruneAllBackups', () => {
  const db = (path: string) => DatabaseSchema.parse({ type: 'sqlite', url: 'sqlite:app.db', backup: { storage: { type: 'local', path }, retention: { keep: 1, maxAge: '30d' } } });

  it('deletes nothing when the state store cannot say which deployments need their backups, and says so per database', async () => {
    const dir = await makeTempDir('shipgate-retention-store-');
    try {
      const storage = createLocalStorage({ root: join(dir.path, 'backups') });
      for (const i of [1, 2, 3]) await seed(storage, { id: `bk_${i}`, daysAgo: 100 - i });
      const store = await openStore('sqlite:state.db', { root: dir.path });
      await store.close();
      const report = await pruneAllBackups({ app: 'shop', environment: 'production', databases: [['main', db('backups')]], root: dir.path, store, windowMs: 3_600_000, nowMs: NOW });
      expect(report.pruned).toEqual([]);
      expect(report.errors).toHaveLength(1);
      expect(report.errors[0]!.message).toMatch(/^backups not pruned: the state store could not say which deployments need theirs \(.+\)$/);
      expect(await ids(storage)).toEqual(['bk_1', 'bk_2', 'bk_3']);
    } finally {
      await dir.cleanup();
    }
  });

  it('opens the store only when a backup is over its policy', async () => {
    const dir = await makeTempDir('shipgate-retention-store-');
    const store = await openStore('sqlite:state.db', { root: dir.path });
    try {
      const storage = createLocalStorage({ root: join(dir.path, 'backups') });
      await seed(storage, { id: 'bk_1', daysAgo: 1 });
      let opened = 0;
      const opener = async () => (opened++, store);
      const prune = () => pruneAllBackups({ app: 'shop', environment: 'production', databases: [['main', db('backups')]], root: dir.path, store: opener, windowMs: 3_600_000, nowMs: NOW });
      expect(await prune()).toEqual({ pruned: [], errors: [] });
      expect(opened).toBe(0);
      await seed(storage, { id: 'bk_2', daysAgo: 2 });
      expect((await prune()).pruned).toEqual([{ database: 'main', id: 'bk_2' }]);
      expect(opened).toBe(1);
    } finally {
      await store.close();
      await dir.cleanup();
    }
  });

  it('with the store readable: each database by its own policy, a broken storage reported without stopping the others', async () => {
    const dir = await makeTempDir('shipgate-retention-store-');
    const store = await openStore('sqlite:state.db', { root: dir.path });
    try {
      const storage = createLocalStorage({ root: join(dir.path, 'backups') });
      for (const i of [1, 2, 3]) await seed(storage, { id: `bk_${i}`, daysAgo: 10 - i });
      const broken = DatabaseSchema.parse({ type: 'sqlite', url: 'sqlite:other.db', backup: { storage: { type: 's3', bucket: 'no-such-bucket', endpoint: server.endpoint } } });
      const report = await pruneAllBackups({ app: 'shop', environment: 'production', databases: [['other', broken], ['main', db('backups')]], root: dir.path, store, windowMs: 3_600_000, nowMs: NOW });
      expect(report.pruned).toEqual([{ database: 'main', id: 'bk_2' }, { database: 'main', id: 'bk_1' }]);
      expect(report.errors).toEqual([{ database: 'other', message: expect.stringMatching(/^backups not pruned: listing s3:\/\/no-such-bucket\/shop\/production\/other failed: NoSuchBucket/) as unknown }]);
    } finally {
      await store.close();
      await dir.cleanup();
    }
  });
});
