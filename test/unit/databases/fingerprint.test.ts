import { describe, expect, it } from 'vitest';
import { canonicalRow, fingerprintOf, firstDifference, totalRows } from '../../../src/databases/fingerprint.js';

describe('fingerprints', () => {
  it('keeps NULL, empty text, empty bytes and zero apart, and big integers exact', () => {
    const rows = [[null], [''], [Buffer.alloc(0)], [0], ['0'], [Buffer.from([0])]].map(canonicalRow);
    expect(new Set(rows).size).toBe(rows.length);
    expect(canonicalRow([2n ** 70n, new Date('2026-12-03T00:00:00Z'), 'Zoë'])).toBe('["1180591620717411303424","2026-12-03T00:00:00.000Z","Zoë"]');
  });

  it('does not depend on row order, and counts duplicate rows', () => {
    const a = fingerprintOf('t', [canonicalRow([1, 'a']), canonicalRow([2, 'b']), canonicalRow([2, 'b'])]);
    const b = fingerprintOf('t', [canonicalRow([2, 'b']), canonicalRow([1, 'a']), canonicalRow([2, 'b'])]);
    expect(a).toEqual(b);
    expect(a.rows).toBe(3);
    expect(fingerprintOf('t', [canonicalRow([1, 'a']), canonicalRow([2, 'b'])]).checksum).not.toBe(a.checksum);
  });

  it('names the first difference by table name', () => {
    const src = [
      { table: 'b', rows: 2, checksum: 'b'.repeat(64) },
      { table: 'a', rows: 1, checksum: 'a'.repeat(64) },
    ];
    expect(firstDifference(src, [...src].reverse())).toBeNull();
    expect(firstDifference(src, [src[0]!])).toBe('table a is missing from the restored copy');
    expect(firstDifference(src, [src[1]!, { ...src[0]!, rows: 1 }])).toBe('table b has 1 rows in the restored copy and 2 in the source');
    expect(firstDifference(src, [src[1]!, { ...src[0]!, checksum: 'c'.repeat(64) }])).toBe('table b has the same number of rows (2) but different contents (checksum cccccccccccc… restored, bbbbbbbbbbbb… in the source)');
    expect(firstDifference(src, [...src, { table: 'z', rows: 0, checksum: '' }])).toBe('table z is in the restored copy but not in the source');
    expect(totalRows(src)).toBe(3);
  });
});
