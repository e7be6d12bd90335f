import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../../src/databases/catalog.js';
import { LEGACY_FINGERPRINT_VERSION } from '../../../src/databases/engine.js';
import { columnHashSql, fingerprintSql, PG_FINGERPRINT_VERSION } from '../../../src/databases/postgres/fingerprints.js';

describe('PostgreSQL fingerprint queries', () => {
  it('algorithm 1 hashes the row as text (what manifests without a version used)', () => {
    expect(fingerprintSql('public', 'we"ird', 1)).toBe('SELECT count(*)::text AS rows, md5(coalesce(sum(hashtextextended(t::text, 0)), 0)::text) AS checksum FROM "public"."we""ird" t');
  });

  it('algorithm 2 hashes each column by position: exact types by their own hash, the others by their text form', () => {
    const columns = [
      { name: 'id', type: 23 },
      { name: 'note', type: 1043 },
      { name: 'at', type: 1184 },
      { name: 'amount', type: 1700 },
    ];
    expect(fingerprintSql('billing', 'invoices', 2, columns)).toBe(
      'SELECT count(*)::text AS rows, md5(coalesce(sum(coalesce(hashint4extended(t."id", 1), 1) # coalesce(hashtextextended(t."note" COLLATE "C", 2), 2) # ' +
        `coalesce(timestamp_hash_extended(t."at" AT TIME ZONE 'UTC', 3), 3) # coalesce(hashtextextended(t."amount"::text COLLATE "C", 4), 4)), 0)::text) AS checksum FROM "billing"."invoices" t`,
    );
    expect(fingerprintSql('public', 'empty', 2, [])).toContain('sum(0::int8)');
    expect(columnHashSql({ name: 'flag', type: 16 }, 7)).toBe('coalesce(hashint4extended(t."flag"::int4, 7), 7)');
    expect(PG_FINGERPRINT_VERSION).toBe(2);
  });
});

describe('manifests name their fingerprint algorithm', () => {
  const manifest = {
    format: 1, kind: 'manual', deploymentId: null, database: 'main', type: 'postgres', id: 'bk_1', key: 'a/b', location: '/x/a/b', timestamp: '2026-12-03T11:00:00.000Z',
    size: 1, sha256: 'a'.repeat(64), compression: 'none', encrypted: false, verify: { method: 'none', ok: true, tables: 0, rows: 0, ms: 0 }, fingerprints: [],
  };

  it('one written before there were two is read as algorithm 1, so its proof computes the restored copy the old way', () => {
    expect(parseManifest(manifest)?.fingerprintVersion).toBe(LEGACY_FINGERPRINT_VERSION);
    expect(LEGACY_FINGERPRINT_VERSION).toBe(1);
    expect(parseManifest({ ...manifest, fingerprintVersion: 2 })?.fingerprintVersion).toBe(2);
    expect(parseManifest({ ...manifest, fingerprintVersion: 0 })).toBeNull();
  });
});
