import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/runtime/clock.js';
import { previewDocument } from '../../../src/previews/document.js';
import { parsePr, previewAppName, previewEnvironment, previewPrOf, previewVersion } from '../../../src/previews/name.js';
import { previewBase } from '../../../src/previews/preview.js';
import { planRecordPrune, stalePreviews } from '../../../src/previews/prune.js';
import type { PreviewRecord } from '../../../src/previews/records.js';

const DAY = 86_400_000;

function record(pr: number, updatedAt: string): PreviewRecord {
  return { pr, environment: previewEnvironment(pr), base: 'staging', provider: 'local', url: 'http://127.0.0.1:1', version: 'v0.0.0-pr.1', createdAt: updatedAt, updatedAt };
}

describe('preview prune', () => {
  it('picks only the previews last brought up more than the given age ago', async () => {
    const clock = new FakeClock(Date.parse('2026-03-10T12:00:00Z'));
    const records = [record(1, '2026-03-01T12:00:00Z'), record(2, '2026-03-03T11:59:59Z'), record(3, '2026-03-03T12:00:00Z'), record(4, '2026-03-10T11:00:00Z')];
    expect(stalePreviews(records, clock.now(), 7 * DAY).map((r) => r.pr)).toEqual([1, 2]);
    await clock.advance(DAY);
    expect(stalePreviews(records, clock.now(), 7 * DAY).map((r) => r.pr)).toEqual([1, 2, 3]);
  });

  it('counts a record whose time cannot be read as stale', () => {
    expect(stalePreviews([record(5, 'yesterday')], Date.parse('2026-03-10T12:00:00Z'), DAY).map((r) => r.pr)).toEqual([5]);
  });

  it('says for each record why it goes or stays', () => {
    const clock = new FakeClock(Date.parse('2026-03-10T12:00:00Z'));
    const plan = planRecordPrune([record(1, '2026-03-01T12:00:00Z'), record(2, '2026-03-09T12:00:00Z'), record(3, 'yesterday')], clock.now(), 7 * DAY);
    expect(plan).toEqual({
      remove: [
        { pr: 1, environment: 'pr-1', lastActivity: '2026-03-01T12:00:00.000Z', reason: 'last brought up 9d ago, longer ago than 7d' },
        { pr: 3, environment: 'pr-3', lastActivity: null, reason: 'its record\'s time cannot be read ("yesterday")' },
      ],
      keep: [{ pr: 2, environment: 'pr-2', lastActivity: '2026-03-09T12:00:00.000Z', reason: 'last brought up 1d ago, within 7d' }],
    });
  });
});

describe('preview names', () => {
  it('parses --pr, and says what is wrong with a bad one', () => {
    expect(parsePr('42')).toBe(42);
    expect(() => parsePr(undefined)).toThrow('--pr is required: the pull request number, e.g. --pr 42');
    expect(() => parsePr('abc')).toThrow('--pr: expected a pull request number like 42 (got "abc")');
    expect(() => parsePr('0')).toThrow('--pr: expected a pull request number like 42 (got "0")');
    expect(() => parsePr('4 2')).toThrow('--pr: expected a pull request number');
  });

  it('names the Fly.io app from the template, and refuses a name Fly.io would not take', () => {
    expect(previewAppName('{app}-pr-{pr}', 'hotdash', 42)).toBe('hotdash-pr-42');
    expect(previewAppName('pr{pr}-{app}', 'hotdash', 7)).toBe('pr7-hotdash');
    expect(() => previewAppName('{app}-pr-{pr}', 'a'.repeat(60), 42)).toThrow('provider.previewApp: "{app}-pr-{pr}" gives');
  });

  it('reads the pull request back out of a preview app\'s name, and out of no other name', () => {
    expect(previewPrOf('{app}-pr-{pr}', 'hotdash', 'hotdash-pr-42')).toBe(42);
    expect(previewPrOf('pr{pr}-{app}', 'hotdash', 'pr7-hotdash')).toBe(7);
    for (const name of ['hotdash', 'hotdash-pr-12-old', 'hotdash-pr-012', 'hotdash-pr-0', 'hotdash-pr-', 'hotdash-api-pr-3', 'old-hotdash-pr-3', 'hotdash-pr-1234567890']) {
      expect(previewPrOf('{app}-pr-{pr}', 'hotdash', name), name).toBeNull();
    }
    // The app's name is matched as it is written, not as a pattern; {pr} twice must be one number.
    expect(previewPrOf('{app}-pr-{pr}', 'hot.dash', 'hotXdash-pr-1')).toBeNull();
    expect(previewPrOf('{app}-{pr}-{pr}', 'hotdash', 'hotdash-3-3')).toBe(3);
    expect(previewPrOf('{app}-{pr}-{pr}', 'hotdash', 'hotdash-3-4')).toBeNull();
    for (const pr of [1, 42, 999_999_999]) expect(previewPrOf('{app}-pr-{pr}', 'hotdash', previewAppName('{app}-pr-{pr}', 'hotdash', pr))).toBe(pr);
  });

  it('defaults the version to the pull request and its short sha', () => {
    expect(previewVersion(42, 'ABCDEF0123456789')).toBe('v0.0.0-pr.42.gabcdef0');
    expect(previewVersion(42, '0123456789')).toBe('v0.0.0-pr.42.g0123456');
    expect(previewVersion(42, null)).toBe('v0.0.0-pr.42');
    expect(previewVersion(42, 'not-a-sha;rm')).toBe('v0.0.0-pr.42');
  });
});

describe('preview config', () => {
  it('copies the base environment and lays the preview\'s provider over it', () => {
    const doc = { app: 'x', provider: { type: 'local', command: ['node'] }, environments: { staging: { provider: { listen: '127.0.0.1:4000', instances: 1 } }, production: {} } };
    const out = previewDocument(doc, 'staging', 'pr-9', { provider: { listen: '127.0.0.1:5000' } });
    expect(out.environments).toEqual({ staging: { provider: { listen: '127.0.0.1:4000', instances: 1 } }, production: {}, 'pr-9': { provider: { listen: '127.0.0.1:5000', instances: 1 } } });
    expect(doc.environments).not.toHaveProperty('pr-9');
    expect(previewDocument({ app: 'x' }, 'production', 'pr-1', { provider: { app: 'x-pr-1' } }).environments).toEqual({ 'pr-1': { provider: { app: 'x-pr-1' } } });
  });

  it('is made from preview, else staging, else the only environment', () => {
    expect(previewBase(['production', 'staging', 'preview'], undefined)).toBe('preview');
    expect(previewBase(['production', 'staging'], undefined)).toBe('staging');
    expect(previewBase(['production'], undefined)).toBe('production');
    expect(previewBase(['production', 'staging'], 'production')).toBe('production');
    expect(() => previewBase(['production', 'qa'], undefined)).toThrow('choose the environment previews are made from with --env (one of production, qa)');
    expect(() => previewBase(['production'], 'nope')).toThrow('unknown environment "nope"');
  });
});
