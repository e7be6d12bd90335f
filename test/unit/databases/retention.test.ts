import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backupsToPrune } from '../../../src/databases/retention.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-03T12:00:00.000Z');
const at = (daysAgo: number): string => new Date(NOW - daysAgo * DAY).toISOString();
const b = (id: string, daysAgo: number) => ({ id, timestamp: at(daysAgo) });

describe('backupsToPrune', () => {
  it('keeps the newest `keep`, deletes the rest, oldest included', () => {
    const all = [b('b1', 5), b('b2', 4), b('b3', 3), b('b4', 2), b('b5', 1)];
    expect(backupsToPrune(all, { keep: 3, maxAgeMs: 365 * DAY }, new Set(), NOW).map((x) => x.id)).toEqual(['b2', 'b1']);
  });

  it('deletes backups past maxAge even within the count', () => {
    expect(backupsToPrune([b('old', 40), b('new', 1)], { keep: 10, maxAgeMs: 30 * DAY }, new Set(), NOW).map((x) => x.id)).toEqual(['old']);
  });

  it('never deletes a protected backup (a deployment inside its rollback window needs it), whatever its rank or age', () => {
    const all = [b('needed', 400), b('b2', 3), b('b3', 2), b('b4', 1)];
    expect(backupsToPrune(all, { keep: 1, maxAgeMs: 30 * DAY }, new Set(['needed']), NOW).map((x) => x.id)).toEqual(['b3', 'b2']);
  });

  it('property: never deletes a protected backup, never more than it must, and keeps the newest unprotected one within age', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ days: fc.integer({ min: 0, max: 500 }), protect: fc.boolean() }), { maxLength: 30 }), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 400 }), (specs, keep, maxDays) => {
        const all = specs.map((s, i) => ({ ...b(`b${i}`, s.days), protect: s.protect }));
        const protectedIds = new Set(all.filter((x) => x.protect).map((x) => x.id));
        const pruned = backupsToPrune(all, { keep, maxAgeMs: maxDays * DAY }, protectedIds, NOW);
        expect(pruned.some((x) => protectedIds.has(x.id))).toBe(false);
        const kept = all.filter((x) => !pruned.includes(x));
        // Every kept unprotected backup is within both limits.
        const newest = [...all].sort((x, y) => Date.parse(y.timestamp) - Date.parse(x.timestamp));
        for (const x of kept.filter((k) => !k.protect)) {
          expect(newest.indexOf(x)).toBeLessThan(keep);
          expect(NOW - Date.parse(x.timestamp)).toBeLessThanOrEqual(maxDays * DAY);
        }
      }),
    );
  });
});
