import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { describeEnvironment } from '../../../src/pipeline/environment-status.js';
import { currentIdentity } from '../../../src/runtime/process-identity.js';
import type { DeploymentRow, LockRow } from '../../../src/store/contract.js';
import { makeRow } from './helpers.js';

const NOW = Date.parse('2026-11-23T18:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const me = currentIdentity();

const live = makeRow({ id: 'dep_live', version: 'v1.1.0', previousVersion: 'v1.0.0', status: 'succeeded', finishedAt: iso(NOW - 30 * 60_000) });
const running = makeRow({ id: 'dep_run', version: 'v1.2.0', previousVersion: 'v1.1.0', status: 'running', finishedAt: null, currentStage: 'deploy' });

/** A lock held by this (live) process. */
function liveLock(deploymentId: string): LockRow {
  return { app: 'demo', environment: 'production', deploymentId, holder: 'alice', pid: me.pid, host: me.host, processStart: me.start, acquiredAt: iso(NOW - 60_000), heartbeatAt: iso(NOW - 1000) };
}

function deadLock(deploymentId: string): LockRow {
  return { ...liveLock(deploymentId), pid: spawnSync(process.execPath, ['-e', '0']).pid! };
}

function describe_(input: { live?: DeploymentRow; unfinished?: DeploymentRow[]; lock?: LockRow; nowMs?: number; rollbackWindow?: string }) {
  return describeEnvironment({ app: 'demo', environment: 'production', live: input.live, unfinished: input.unfinished ?? [], lock: input.lock, me, nowMs: input.nowMs ?? NOW, rollbackWindow: input.rollbackWindow ?? '60m' });
}

describe('describeEnvironment', () => {
  it('with nothing deployed: no live version, no rollback, no activity, no lock', () => {
    expect(describe_({})).toEqual({ app: 'demo', environment: 'production', live: null, rollbackTarget: null, rolledBackFrom: null, rollbackDeadline: null, rollbackOpen: false, activity: [], lock: null, stopSigns: [], warnings: [] });
  });

  it('after a rollback there is no rollback target: the version rolled away from is named instead', () => {
    const rolledBack = makeRow({ id: 'dep_rb', kind: 'rollback', version: 'v1.0.0', previousVersion: 'v1.1.0', status: 'succeeded', finishedAt: iso(NOW - 60_000) });
    expect(describe_({ live: rolledBack })).toMatchObject({ rollbackTarget: null, rolledBackFrom: 'v1.1.0', rollbackOpen: false });
    expect(describe_({ live })).toMatchObject({ rollbackTarget: 'v1.0.0', rolledBackFrom: null });
  });

  it('a deployment whose own process holds the lock is running', () => {
    const s = describe_({ live, unfinished: [running], lock: liveLock('dep_run') });
    expect(s.activity).toEqual([{ deployment: running, state: 'running', by: null }]);
    expect(s.lock).toEqual({ ...liveLock('dep_run'), stale: false });
  });

  it('a deployment parked in the approval gate is awaiting_approval', () => {
    const parked = { ...running, status: 'awaiting_approval' as const };
    expect(describe_({ unfinished: [parked], lock: liveLock('dep_run') }).activity).toEqual([{ deployment: parked, state: 'awaiting_approval', by: null }]);
  });

  it('an unfinished deployment while another live run holds the lock is being recovered by it', () => {
    expect(describe_({ unfinished: [running], lock: liveLock('dep_next') }).activity).toEqual([{ deployment: running, state: 'recovering', by: 'dep_next' }]);
  });

  it('an unfinished deployment with no lock, or a dead holder, is interrupted', () => {
    expect(describe_({ unfinished: [running] }).activity).toEqual([{ deployment: running, state: 'interrupted', by: null }]);
    const s = describe_({ unfinished: [running], lock: deadLock('dep_run') });
    expect(s.activity).toEqual([{ deployment: running, state: 'interrupted', by: null }]);
    expect(s.lock?.stale).toBe(true);
    const remote = { ...liveLock('dep_run'), host: 'elsewhere', heartbeatAt: iso(NOW - 10 * 60_000) };
    expect(describe_({ unfinished: [running], lock: remote }).activity[0]?.state).toBe('interrupted');
  });

  it('the rollback window is open until finished_at + window (inclusive), then closed', () => {
    const open = describe_({ live });
    expect(open).toMatchObject({ live, rollbackTarget: 'v1.0.0', rollbackDeadline: iso(NOW + 30 * 60_000), rollbackOpen: true });
    expect(describe_({ live, nowMs: NOW + 30 * 60_000 }).rollbackOpen).toBe(true);
    const closed = describe_({ live, nowMs: NOW + 30 * 60_000 + 1 });
    expect(closed).toMatchObject({ rollbackTarget: 'v1.0.0', rollbackDeadline: iso(NOW + 30 * 60_000), rollbackOpen: false });
    expect(describe_({ live, rollbackWindow: '10m' })).toMatchObject({ rollbackDeadline: iso(NOW - 20 * 60_000), rollbackOpen: false });
  });

  it('after a first deployment there is nothing to roll back to: closed', () => {
    const first = { ...live, previousVersion: null };
    expect(describe_({ live: first })).toMatchObject({ rollbackTarget: null, rollbackOpen: false, rollbackDeadline: iso(NOW + 30 * 60_000) });
  });
});
