import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/runtime/clock.js';
import { environmentApps, planFlyPrune, type FlyOrgApp, type FlyPruneInput } from '../../../src/previews/fly-prune.js';
import type { PrunePlan } from '../../../src/previews/prune.js';
import type { PreviewRecord } from '../../../src/previews/records.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-03-10T12:00:00Z');

const app = (name: string, ...machineTimes: (string | undefined)[]): FlyOrgApp => ({ name, machineTimes });

function record(pr: number, updatedAt: string, provider = 'fly'): PreviewRecord {
  return { pr, environment: `pr-${pr}`, base: 'staging', provider, url: `https://hotdash-pr-${pr}.fly.dev`, version: `v0.0.0-pr.${pr}`, app: `hotdash-pr-${pr}`, createdAt: updatedAt, updatedAt };
}

function plan(apps: FlyOrgApp[], extra: Partial<FlyPruneInput> = {}, now = NOW): PrunePlan {
  return planFlyPrune({ template: '{app}-pr-{pr}', app: 'hotdash', protectedApps: ['hotdash'], apps, records: [], now, olderThanMs: 7 * DAY, ...extra });
}

const prs = (p: PrunePlan): { remove: number[]; keep: number[] } => ({ remove: p.remove.map((e) => e.pr), keep: p.keep.map((e) => e.pr) });

describe('preview prune on Fly.io (the organization\'s apps)', () => {
  it('measures each preview app from its newest machine, and says why it goes or stays', async () => {
    const clock = new FakeClock(NOW);
    const apps = [app('hotdash-pr-1', '2026-03-01T12:00:00Z', '2026-03-02T12:00:00Z'), app('hotdash-pr-2', '2026-03-01T00:00:00Z', '2026-03-08T12:00:00Z'), app('hotdash-pr-3', '2026-03-03T13:00:00Z')];
    expect(plan(apps, {}, clock.now())).toEqual({
      remove: [{ pr: 1, environment: 'pr-1', app: 'hotdash-pr-1', lastActivity: '2026-03-02T12:00:00.000Z', reason: 'its machines last changed 8d ago, longer ago than 7d' }],
      keep: [
        { pr: 2, environment: 'pr-2', app: 'hotdash-pr-2', lastActivity: '2026-03-08T12:00:00.000Z', reason: 'its machines last changed 2d ago, within 7d' },
        { pr: 3, environment: 'pr-3', app: 'hotdash-pr-3', lastActivity: '2026-03-03T13:00:00.000Z', reason: 'its machines last changed 6d23h ago, within 7d' },
      ],
    });
    await clock.advance(DAY);
    expect(prs(plan(apps, {}, clock.now()))).toEqual({ remove: [1, 3], keep: [2] });
  });

  it('never touches the app itself, a look-alike, or another app\'s previews, however old', () => {
    const old = '2025-01-01T00:00:00Z';
    const apps = ['hotdash', 'hotdash-pr-12-old', 'hotdash-pr-012', 'hotdash-api-pr-3', 'old-hotdash-pr-4', 'hotdash-staging', 'hotdash-pr-5'].map((n) => app(n, old));
    const p = plan(apps, { protectedApps: ['hotdash', 'hotdash-staging'] });
    expect(p.remove.map((e) => e.app)).toEqual(['hotdash-pr-5']);
    expect(p.keep).toEqual([]);
    // An environment's own app is never a preview, even when the template could have named it.
    expect(plan([app('hotdash-pr-9', old)], { protectedApps: ['hotdash', 'hotdash-pr-9'] })).toEqual({ remove: [], keep: [] });
  });

  it('keeps an app with no machines and no record: its age is unknown', () => {
    expect(plan([app('hotdash-pr-6')])).toEqual({
      remove: [],
      keep: [{ pr: 6, environment: 'pr-6', app: 'hotdash-pr-6', lastActivity: null, reason: 'no machines and no record on this host: its age is unknown (a first deploy may still be running); shipgate preview down --pr 6 removes it' }],
    });
    // Machine times that cannot be read count as none.
    expect(plan([app('hotdash-pr-6', undefined, 'soon')]).keep.map((e) => e.lastActivity)).toEqual([null]);
  });

  it('merges this host\'s records: the newer time wins, and a record whose app is gone goes', () => {
    const apps = [app('hotdash-pr-1', '2026-03-01T12:00:00Z'), app('hotdash-pr-2', '2026-03-09T12:00:00Z'), app('hotdash-pr-3')];
    const records = [record(1, '2026-03-09T00:00:00Z'), record(2, '2026-03-01T00:00:00Z'), record(3, '2026-03-01T00:00:00Z'), record(4, '2026-03-09T00:00:00Z'), record(5, '2026-03-01T00:00:00Z', 'local')];
    const p = plan(apps, { records });
    expect(p.keep.map((e) => [e.pr, e.reason])).toEqual([
      [1, 'last brought up from this host 1d12h ago, within 7d'],
      [2, 'its machines last changed 1d ago, within 7d'],
    ]);
    expect(p.remove.map((e) => [e.pr, e.reason])).toEqual([
      [3, 'last brought up from this host 9d12h ago, longer ago than 7d'],
      [4, 'its Fly.io app is gone already; only this host\'s record is removed'],
    ]);
  });

  it('follows the template: another shape, another app', () => {
    const apps = [app('pr7-hotdash', '2026-03-01T00:00:00Z'), app('hotdash-pr-7', '2026-03-01T00:00:00Z'), app('pr8-web', '2026-03-01T00:00:00Z')];
    expect(prs(plan(apps, { template: 'pr{pr}-{app}' }))).toEqual({ remove: [7], keep: [] });
    expect(plan(apps, { template: 'pr{pr}-{app}' }).remove[0]?.app).toBe('pr7-hotdash');
  });
});

describe('the apps a config names', () => {
  it('collects provider.app at the top and in each environment', () => {
    const doc = { app: 'x', provider: { type: 'fly', app: 'hotdash' }, environments: { production: {}, staging: { provider: { app: 'hotdash-staging' } }, qa: 'not a map' } };
    expect(environmentApps(doc)).toEqual(['hotdash', 'hotdash-staging']);
    expect(environmentApps({ app: 'x' })).toEqual([]);
  });
});
