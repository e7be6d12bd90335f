import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backupsToPrune, deploymentsToProtect, protectedBackupIds, type DeploymentFacts } from '../../../src/databases/retention.js';

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

const HOUR = 3_600_000;
const dep = (id: string, version: string, hoursAgo: number | null, previousVersion: string | null, status = 'succeeded'): DeploymentFacts => ({
  id,
  version,
  status,
  startedAt: new Date(NOW - ((hoursAgo ?? 0) + 0.1) * HOUR).toISOString(),
  finishedAt: hoursAgo === null ? null : new Date(NOW - hoursAgo * HOUR).toISOString(),
  previousVersion,
});

describe('deploymentsToProtect', () => {
  it('the live deployment and the one that made the rollback target live, whatever their age; others only inside the window or unfinished', () => {
    const d1 = dep('d1', 'v1', 900, null);
    const d2 = dep('d2', 'v2', 800, 'v1');
    const d3 = dep('d3', 'v3', 700, 'v2');
    const failed = dep('d4', 'v4', 0.5, 'v3', 'rolled_back');
    const running = dep('d5', 'v5', null, 'v3', 'running');
    const ids = deploymentsToProtect({ deployments: [running, failed, d3, d2, d1], live: d3, windowMs: HOUR, nowMs: NOW });
    expect([...ids].sort()).toEqual(['d2', 'd3', 'd4', 'd5']);
  });

  it('the rollback target is the newest success of the previous version that started before the live one', () => {
    const old = dep('d1', 'v1', 900, null);
    const back = dep('d3', 'v1', 700, 'v2');
    const live = dep('d4', 'v2', 600, 'v1');
    expect([...deploymentsToProtect({ deployments: [live, back, dep('d2', 'v2', 800, 'v1'), old], live, windowMs: HOUR, nowMs: NOW })].sort()).toEqual(['d3', 'd4']);
  });

  it('nothing live and nothing recent: nothing protected', () => {
    expect(deploymentsToProtect({ deployments: [dep('d1', 'v1', 5, null, 'failed')], live: null, windowMs: HOUR, nowMs: NOW }).size).toBe(0);
  });
});

describe('protectedBackupIds', () => {
  const bk = (id: string, hoursAgo: number, kind: string, deploymentId: string | null) => ({ id, timestamp: new Date(NOW - hoursAgo * HOUR).toISOString(), kind, deploymentId });
  it('backups of protected deployments, of any kind, and safety backups younger than the window', () => {
    const all = [bk('a', 900, 'deploy', 'd1'), bk('b', 900, 'safety', 'd1'), bk('c', 0.5, 'safety', null), bk('d', 2, 'safety', null), bk('e', 0.1, 'manual', null), bk('f', 1, 'deploy', 'd9')];
    expect([...protectedBackupIds(all, new Set(['d1']), HOUR, NOW)].sort()).toEqual(['a', 'b', 'c']);
  });
});
