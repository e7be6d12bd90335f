import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRunning } from '../../src/agent/supervisor/spawn.js';
import { NotFound } from '../../src/errors.js';
import { appSpec, get, harness, isProcessAlive, waitUntil, type Harness } from './supervisor-harness.js';

/** Stopping instances: drain hook, SIGTERM, SIGKILL after stopTimeout, the whole process group. */

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => h.cleanup());

const logOf = (id: string, version: string): Promise<string> => readFile(join(h.stateDir, 'logs', version, `${id}.log`), 'utf8');

describe('supervisor: stop', () => {
  it('drains first (state draining), then SIGTERM; a well-behaved instance exits at once', async () => {
    // A generous stopTimeout: exit code 0 below then proves SIGTERM did it, however loaded the machine.
    const [i] = await h.sup.start(appSpec('v1', h.releaseDir, {}, { stopTimeoutMs: 5000 }), 1);
    const seen: string[] = [];
    const t0 = Date.now();
    await h.sup.stop(i!.id, async () => {
      seen.push(`beforeStop while ${h.changes.at(-1)!.state}, alive ${isProcessAlive(i!.pid!)}`);
    });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(seen).toEqual(['beforeStop while draining, alive true']);
    expect(isProcessAlive(i!.pid!)).toBe(false);
    expect(h.states('v1#1')).toEqual(['starting', 'ready', 'draining', 'stopped']);
    expect(h.changes.at(-1)).toMatchObject({ state: 'stopped', pid: null, lastExit: { code: 0, signal: null } });
    expect(await logOf('v1#1', 'v1')).toContain('SIGTERM: shutting down');
    expect(h.sup.instances()).toEqual([]);
  });

  it('SIGKILLs an instance that ignores SIGTERM after stopTimeout', async () => {
    const [i] = await h.sup.start(appSpec('v2', h.releaseDir, { IGNORE_SIGTERM: '1' }), 1);
    const t0 = Date.now();
    await h.sup.stop(i!.id);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(480);
    expect(took).toBeLessThan(3000);
    expect(isProcessAlive(i!.pid!)).toBe(false);
    expect(h.changes.at(-1)).toMatchObject({ state: 'stopped', lastExit: { code: null, signal: 'SIGKILL' } });
    expect(h.lines).toContain('v2#1: still running 500ms after SIGTERM; sending SIGKILL');
    expect(await logOf('v2#1', 'v2')).toContain('SIGTERM ignored');
  });

  it('signals the whole process group: what the instance forked stops too', async () => {
    const [i] = await h.sup.start(appSpec('v3', h.releaseDir, { FORK_CHILD: '1' }), 1);
    const child = Number((await get(i!.port, '/child'))!.body);
    expect(isProcessAlive(child)).toBe(true);
    await h.sup.stop(i!.id);
    // Orphaned, it is reaped by init whenever init gets to it: a zombie counts as gone.
    await waitUntil('the forked child to be gone', () => !isRunning(child, null));
  });

  it('stopVersion stops every instance of one version and forgets its spec; stopAll the rest', async () => {
    await h.sup.start(appSpec('v4', h.releaseDir), 2);
    const others = await h.sup.start(appSpec('v5', h.releaseDir), 1);
    const drained: string[] = [];
    await h.sup.stopVersion('v4', async (id) => void drained.push(id));
    expect(drained.sort()).toEqual(['v4#1', 'v4#2']);
    expect(h.sup.instances().map((i) => i.id)).toEqual(['v5#1']);
    expect(h.sup.spec('v4')).toBeUndefined();
    await h.sup.stopAll();
    expect(h.sup.instances()).toEqual([]);
    expect(isProcessAlive(others[0]!.pid!)).toBe(false);
  });

  it('a failing drain hook is logged and the instance is stopped anyway; unknown ids are NotFound', async () => {
    const [i] = await h.sup.start(appSpec('v6', h.releaseDir), 1);
    await h.sup.stop(i!.id, () => Promise.reject(new Error('router gone')));
    expect(h.lines).toContain('v6#1: draining failed (stopping anyway): router gone');
    expect(isProcessAlive(i!.pid!)).toBe(false);
    await expect(h.sup.stop('v6#9')).rejects.toBeInstanceOf(NotFound);
  });

  it('stopping an instance that waits for its restart cancels the restart', async () => {
    const sup = h.make({ backoff: { initialMs: 60_000, maxMs: 60_000 } });
    await sup.start(appSpec('v7', h.releaseDir, { CRASH_AFTER_MS: '100' }), 1);
    await waitUntil('the crash', () => sup.instances('v7')[0]!.lastExit !== null);
    expect(sup.instances('v7')[0]).toMatchObject({ state: 'starting', pid: null });
    const t0 = Date.now();
    await sup.stop('v7#1');
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(sup.instances()).toEqual([]);
  });
});
