import { describe, expect, it } from 'vitest';
import { pendingNote } from '../../../src/cli/commands/notify.js';
import { exitWait, handOffArgv, MIN_WAKE_MS, nextWakeMs } from '../../../src/notify/hand-off.js';
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

  it('is the same CLI with the same config file and environment; no secret on its command line', () => {
    expect(handOffArgv('/usr/bin/node', '/opt/shipgate/bin/shipgate.js', '/srv/app/shipgate.yaml', 'production')).toEqual([
      '/usr/bin/node',
      '/opt/shipgate/bin/shipgate.js',
      'notify',
      'flush',
      '--config',
      '/srv/app/shipgate.yaml',
      '--env',
      'production',
    ]);
  });

  it('notify list says who sends what is pending', () => {
    const row = (status: NotificationRow['status']): NotificationRow => ({ id: `ntf_${status}`, seq: 1, deploymentId: 'dep_1', alertId: null, channel: 'slack-1', event: 'started', status, attempts: 1, nextAt: '2026-12-03T20:00:00.000Z', createdAt: '2026-12-03T20:00:00.000Z', sentAt: null, lastError: null });
    expect(pendingNote([row('sent'), row('failed')], [])).toEqual([]);
    expect(pendingNote([row('pending'), row('sent')], [])).toEqual(['1 pending: sent by the next deploy, rollback, resume or notify retry, or by shipgate serve']);
    expect(pendingNote([row('pending'), row('pending')], [{ pid: 4242, startedAt: '2026-12-03T20:00:00.000Z', until: '2026-12-03T20:05:00.000Z' }])).toEqual([
      '2 pending: in the hands of the background sender (pid 4242, trying until 2026-12-03T20:05:00.000Z); what it cannot send waits for the next command or shipgate serve',
    ]);
  });
});
