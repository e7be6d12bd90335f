import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { currentIdentity, isAlive, isZombie, startToken } from '../../../src/runtime/process-identity.js';

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

  it('a zombie (exited, not yet reaped) is not alive: a killed lock holder whose parent has not reaped it yet', async () => {
    // perl forks a child that exits at once, and never reaps it.
    const parent = spawn('perl', ['-e', 'my $p = fork(); if ($p == 0) { exit 0 } $| = 1; print "$p\\n"; sleep 10'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const zombie = Number(await new Promise<string>((r) => parent.stdout.once('data', (d: Buffer) => r(d.toString()))));
    for (let i = 0; i < 500 && !isZombie(zombie); i++) await new Promise((r) => setTimeout(r, 20));
    expect(isZombie(zombie)).toBe(true);
    expect(isAlive(zombie, startToken(zombie))).toBe(false);
    expect(isZombie(process.pid)).toBe(false);
    parent.kill('SIGKILL');
  });
});
