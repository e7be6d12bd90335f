import { describe, expect, it } from 'vitest';
import { EventLog } from '../../../../src/agent/dataplane/events.js';
import type { VersionStats } from '../../../../src/rollout/contract.js';

const stats: VersionStats = { version: 'v2', windowMs: 10_000, requests: 5, errors5xx: 5, connErrors: 0, errorRate: 1, p50: 1, p95: 1, p99: 1, ejected: true };
const ejected = (version: string) => ({ type: 'ejected' as const, version, at: '2026-11-23T17:00:00.000Z', stats: { ...stats, version } });

describe('EventLog', () => {
  it('numbers events from 1 and answers what came after a sequence number', () => {
    const log = new EventLog('boot-a');
    log.push(ejected('v2'));
    log.push(ejected('v3'));
    expect(log.since(0, 'boot-a')).toMatchObject({ boot: 'boot-a', next: 2, events: [{ seq: 1, version: 'v2' }, { seq: 2, version: 'v3' }] });
    expect(log.since(1, 'boot-a').events.map((e) => e.seq)).toEqual([2]);
    expect(log.since(2, 'boot-a').events).toEqual([]);
  });

  it('a reader that knew another router process gets every event this one has', () => {
    const log = new EventLog('boot-b');
    log.push(ejected('v2'));
    expect(log.since(7, 'boot-a').events.map((e) => e.seq)).toEqual([1]);
    expect(log.since(7, null).events.map((e) => e.seq)).toEqual([1]);
  });

  it('keeps only the newest events', () => {
    const log = new EventLog('b', 2);
    for (const v of ['v1', 'v2', 'v3']) log.push(ejected(v));
    expect(log.since(0, 'b').events.map((e) => e.version)).toEqual(['v2', 'v3']);
  });

  it('a long-poll ends when the next event arrives', async () => {
    const log = new EventLog('b');
    const waiting = log.after(0, 'b', 60_000);
    setTimeout(() => log.push(ejected('v2')), 5);
    expect((await waiting).events.map((e) => e.version)).toEqual(['v2']);
  });

  it('a long-poll with nothing new ends empty after its wait', async () => {
    const log = new EventLog('b');
    expect(await log.after(0, 'b', 10)).toEqual({ boot: 'b', next: 0, events: [] });
  });
});
