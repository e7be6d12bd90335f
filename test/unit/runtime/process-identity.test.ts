import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { currentIdentity, isAlive, startToken } from '../../../src/runtime/process-identity.js';

describe('process identity', () => {
  it('identifies this process by pid, host and a start token', () => {
    const me = currentIdentity();
    expect(me.pid).toBe(process.pid);
    expect(me.host.length).toBeGreaterThan(0);
    expect(me.start).toBe(startToken(process.pid));
  });

  it('isAlive: this process with its token yes; with another token or pid gone no; without token the pid decides', () => {
    const me = currentIdentity();
    expect(isAlive(process.pid, me.start)).toBe(true);
    expect(isAlive(process.pid, null)).toBe(true);
    expect(isAlive(process.pid, `${me.start}-reused`)).toBe(false);
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    expect(isAlive(gone, null)).toBe(false);
    expect(startToken(gone)).toBeNull();
  });
});
