import { describe, expect, it } from 'vitest';
import { judgeScratch, parseScratchName, scratchName } from '../../../src/databases/scratch.js';

const OWNER = { pid: 4242, start: 'a1b2c3d4', host: 'deadbeef' };

describe('scratch database names', () => {
  it('record their process, fit PostgreSQL and MySQL identifiers, and read back', () => {
    const name = scratchName({ pid: 4_294_967_295, start: 'a1b2c3d4', host: 'deadbeef' });
    expect(name).toMatch(/^shipgate_verify_[0-9a-f]{8}_4294967295_a1b2c3d4_deadbeef$/);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(parseScratchName(scratchName(OWNER))).toEqual(OWNER);
    expect(parseScratchName('shipgate_verify_0123456789ab')).toBeNull();
    expect(parseScratchName('shipgate_verify_0123abcd_1_none_deadbeef; DROP')).toBeNull();
  });
});

describe('judgeScratch', () => {
  it('stale only on this host, when the pid is gone or runs another process', () => {
    expect(judgeScratch(OWNER, 'deadbeef', { alive: false, start: 'none' })).toBe('stale');
    expect(judgeScratch(OWNER, 'deadbeef', { alive: true, start: '99999999' })).toBe('stale');
    expect(judgeScratch(OWNER, 'deadbeef', { alive: true, start: 'a1b2c3d4' })).toBe('live');
    expect(judgeScratch(OWNER, 'deadbeef', { alive: true, start: 'none' })).toBe('live');
    expect(judgeScratch({ ...OWNER, start: 'none' }, 'deadbeef', { alive: true, start: '99999999' })).toBe('live');
    expect(judgeScratch(OWNER, 'cafebabe', { alive: false, start: 'none' })).toBe('unknown');
    expect(judgeScratch(null, 'deadbeef', { alive: false, start: 'none' })).toBe('unknown');
  });
});
