import { describe, expect, it } from 'vitest';
import { pendingNote } from '../../../src/cli/commands/notify.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitWait, handOffArgv, MIN_WAKE_MS, nextWakeMs, WAIT_THEN_EXEC_SCRIPT } from '../../../src/notify/hand-off.js';
import type { NotificationRow } from '../../../src/store/contract.js';

const NOW = 1_000_000;
const seen = (stalled: string[] = [], answered: string[] = []) => ({ stalled: new Set(stalled), answered: new Set(answered) });

describe('the exit: which deliveries under way it waits for', () => {
  it('nothing under way: no wait', () => {
    expect(exitWait([], seen(), NOW, 250)).toEqual({ ms: 0, ids: [] });
  });

  it('waits until the newest attempt is the grace old, for those attempts only', () => {
    const attempts = [
      { id: 'a', channel: 'slack-1', startedAt: NOW - 100 },
      { id: 'b', channel: 'webhook-2', startedAt: NOW - 40 },
    ];
    expect(exitWait(attempts, seen([], ['slack-1', 'webhook-2']), NOW, 250)).toEqual({ ms: 210, ids: ['a', 'b'] });
  });

  it('a channel seen hanging is not waited for: one of its attempts is older than the grace, or one timed out in this process', () => {
    const attempts = [
      { id: 'started', channel: 'email-1', startedAt: NOW - 5_000 },
      { id: 'failed', channel: 'email-1', startedAt: NOW - 10 },
      { id: 'slack', channel: 'slack-2', startedAt: NOW - 10 },
      { id: 'hook', channel: 'webhook-3', startedAt: NOW - 50 },
    ];
    const answered = ['email-1', 'slack-2', 'webhook-3'];
    expect(exitWait(attempts, seen(['slack-2'], answered), NOW, 250)).toEqual({ ms: 200, ids: ['hook'] });
    expect(exitWait(attempts, seen(['slack-2', 'webhook-3'], answered), NOW, 250)).toEqual({ ms: 0, ids: [] });
  });

  it('a channel that has not answered yet in this process is not waited for: its attempt goes to the background sender', () => {
    const attempts = [
      { id: 'hung', channel: 'webhook-1', startedAt: NOW - 10 },
      { id: 'slack', channel: 'slack-2', startedAt: NOW - 50 },
    ];
    expect(exitWait(attempts, seen(), NOW, 250)).toEqual({ ms: 0, ids: [] });
    expect(exitWait(attempts, seen([], ['slack-2']), NOW, 250)).toEqual({ ms: 200, ids: ['slack'] });
  });

  it('a grace of 0 waits for nothing', () => {
    expect(exitWait([{ id: 'a', channel: 'slack-1', startedAt: NOW }], seen([], ['slack-1']), NOW, 0)).toEqual({ ms: 0, ids: [] });
  });
});

describe('the background sender', () => {
  it('wakes when the first pending row falls due, not before a short pause, and stops when none falls due in its time', () => {
    const until = NOW + 60_000;
    expect(nextWakeMs([], NOW, until)).toBeNull();
    expect(nextWakeMs([NOW + 4_000, NOW + 2_000], NOW, until)).toBe(2_000);
    expect(nextWakeMs([NOW - 500], NOW, until)).toBe(MIN_WAKE_MS);
    expect(nextWakeMs([until], NOW, until)).toBeNull();
    expect(nextWakeMs([until + 1, NOW + 10_000], NOW, until)).toBe(10_000);
  });

  it('is the same CLI with the same config file and environment, started through a fixed shell script once the starter exited; no secret on its command line', () => {
    const node = ['/usr/bin/node', '/opt/shipgate/bin/shipgate.js', 'notify', 'flush', '--config', '/srv/app/shipgate.yaml', '--env', 'production'];
    // A stand-by (started during a run): node at once; its entry waits for the starter.
    expect(handOffArgv('/usr/bin/node', '/opt/shipgate/bin/shipgate.js', '/srv/app/shipgate.yaml', 'production', 4242, 'node')).toEqual(node);
    expect(handOffArgv('/usr/bin/node', '/opt/shipgate/bin/shipgate.js', '/srv/app/shipgate.yaml', 'production', 4242, 'shell')).toEqual([
      '/bin/sh',
      '-c',
      WAIT_THEN_EXEC_SCRIPT,
      'shipgate-notify-flush',
      '4242',
      '/usr/bin/node',
      '/opt/shipgate/bin/shipgate.js',
      'notify',
      'flush',
      '--config',
      '/srv/app/shipgate.yaml',
      '--env',
      'production',
    ]);
    expect(WAIT_THEN_EXEC_SCRIPT).toBe('i=0; while [ "$i" -lt 150 ] && kill -0 "$1" 2>/dev/null; do sleep 0.02; i=$((i+1)); done; shift; exec "$@"');
  });

  it('the shell waits while the starter lives, then becomes the command with its argv untouched (same pid)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipgate-handoff-'));
    try {
      const entry = join(dir, 'entry.mjs');
      writeFileSync(entry, 'console.log(JSON.stringify({ pid: process.pid, argv: process.argv.slice(2), at: Date.now() }));\n');
      const starter = spawn('sleep', ['0.4'], { stdio: 'ignore' });
      const gone = new Promise<number>((resolve) => starter.on('exit', () => resolve(Date.now())));
      const argv = handOffArgv(process.execPath, entry, 'a b $HOME "q" `x`', '; exit 1', starter.pid!, 'shell');
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      const code = await new Promise((resolve) => child.on('close', resolve));
      expect(code).toBe(0);
      const seen = JSON.parse(out) as { pid: number; argv: string[]; at: number };
      expect(seen.pid).toBe(child.pid);
      expect(seen.argv).toEqual(['notify', 'flush', '--config', 'a b $HOME "q" `x`', '--env', '; exit 1']);
      expect(seen.at).toBeGreaterThanOrEqual(await gone);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('notify list says who sends what is pending', () => {
    const row = (status: NotificationRow['status']): NotificationRow => ({ id: `ntf_${status}`, seq: 1, deploymentId: 'dep_1', alertId: null, channel: 'slack-1', event: 'started', status, attempts: 1, nextAt: '2026-12-03T20:00:00.000Z', createdAt: '2026-12-03T20:00:00.000Z', sentAt: null, lastError: null });
    expect(pendingNote([row('sent'), row('failed')], [])).toEqual([]);
    expect(pendingNote([row('pending'), row('sent')], [])).toEqual(['1 pending: sent by the next deploy, rollback, resume or notify retry, or by shipgate serve']);
    expect(pendingNote([row('pending'), row('pending')], [{ pid: 4242, startedAt: '2026-12-03T20:00:00.000Z', until: '2026-12-03T20:05:00.000Z' }])).toEqual([
      '2 pending: in the hands of the background sender (pid 4242, trying until 2026-12-03T20:05:00.000Z); what it cannot send waits for the next command or shipgate serve',
    ]);
    expect(pendingNote([row('pending')], [{ pid: 4243, startedAt: '2026-12-03T20:00:00.000Z', until: '2026-12-03T20:05:00.000Z', waitingFor: 4000 }])).toEqual([
      '1 pending: in the hands of the background sender (pid 4243, starting when pid 4000 exits); what it cannot send waits for the next command or shipgate serve',
    ]);
  });
});
