import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Cancelled } from '../../src/errors.js';
import { allocatePort } from '../../src/agent/supervisor/ports.js';
import { InstancesFailed } from '../../src/rollout/contract.js';
import { appSpec, get, harness, isProcessAlive, waitUntil, type Harness } from './supervisor-harness.js';

/** Starting instances: real processes of test/support/instance-app.mjs. */

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => h.cleanup());

async function failure(p: Promise<unknown>): Promise<InstancesFailed> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InstancesFailed);
  return err as InstancesFailed;
}

describe('supervisor: start', () => {
  it('starts N ready instances on distinct ports, in the release folder, with PORT, SHIPGATE_VERSION and the spec env', async () => {
    const started = await h.sup.start(appSpec('v1.0.0', h.releaseDir, { GREETING: 'hi' }), 3);
    expect(started.map((i) => i.id)).toEqual(['v1.0.0#1', 'v1.0.0#2', 'v1.0.0#3']);
    expect(started.every((i) => i.state === 'ready' && i.pid !== null && i.readyAt !== null)).toBe(true);
    expect(new Set(started.map((i) => i.port)).size).toBe(3);
    for (const i of started) {
      expect((await get(i.port))?.body).toBe(`hello from v1.0.0 on ${i.port}`);
      expect((await get(i.port, '/env?name=GREETING'))?.body).toBe('hi');
      expect((await get(i.port, '/env?name=SHIPGATE_INSTANCE'))?.body).toBe(i.id);
      expect((await get(i.port, '/cwd'))?.body).toBe(h.releaseDir);
    }
    expect(h.sup.instances('v1.0.0')).toHaveLength(3);
    expect(h.sup.instances('v2')).toEqual([]);
    expect(h.sup.spec('v1.0.0')?.env).toEqual({ GREETING: 'hi' });
    expect(h.states('v1.0.0#1')).toEqual(['starting', 'ready']);
  });

  it('a crash on start fails quickly, naming the instance, the exit code and the end of its log', async () => {
    const t0 = Date.now();
    const slowGrace = { readiness: { path: '/health', intervalMs: 50, timeoutMs: 500, graceMs: 30_000 } };
    const err = await failure(h.sup.start(appSpec('v2.0.0', h.releaseDir, { CRASH_ON_START: '1' }, slowGrace), 2));
    // Long before the grace: an exit fails the start at once.
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(err.version).toBe('v2.0.0');
    expect(err.message).toMatch(/^\d of 2 instances of v2\.0\.0 did not come up:\n/);
    // Either may crash first; the first failure stops the other.
    expect(err.message).toMatch(/\n {2}v2\.0\.0#[12] exited with code 3 before it was ready; last lines of its log:\n/);
    expect(err.message).toContain('    | app v2.0.0: crashing on start as asked');
    expect(err.message).not.toContain('--- shipgate:');
    expect(h.sup.instances()).toEqual([]);
    expect(h.states('v2.0.0#1').at(-1)).toBe('stopped');
    expect(h.states('v2.0.0#2').at(-1)).toBe('stopped');
  });

  it('an instance not ready within grace fails, and is stopped', async () => {
    const spec = appSpec('v3.0.0', h.releaseDir, { SLOW_START_MS: '20000' }, { readiness: { path: '/health', intervalMs: 50, timeoutMs: 200, graceMs: 400 } });
    const err = await failure(h.sup.start(spec, 1));
    expect(err.message).toContain('v3.0.0#1 was not ready within 400ms (last probe: http://127.0.0.1:');
    const pid = h.changes.find((c) => c.pid !== null)!.pid!;
    expect(isProcessAlive(pid)).toBe(false);
    expect(h.sup.instances()).toEqual([]);
  });

  it('a command that cannot run fails with the reason', async () => {
    const err = await failure(h.sup.start(appSpec('v4', h.releaseDir, {}, { argv: ['./no-such-app'] }), 1));
    expect(err.message).toContain('v4#1 could not start: spawn ./no-such-app ENOENT');
    const missing = await failure(h.sup.start(appSpec('v5', join(h.releaseDir, 'gone')), 1));
    expect(missing.message).toContain('v5#1 could not start: the release folder');
  });

  it('when one of several fails, the others that are not ready yet are stopped too', async () => {
    // Both crash on start: the first failure stops the other, which is listed only if it failed by itself.
    const err = await failure(h.sup.start(appSpec('v6', h.releaseDir, { CRASH_ON_START: '1' }), 2));
    expect(err.message).toMatch(/v6#\d exited with code 3/);
    expect(h.sup.instances()).toEqual([]);
  });

  it('retries on a new port when the instance could not bind its port', async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const taken = (busy.address() as { port: number }).port;
    let calls = 0;
    const sup = h.make({ allocatePort: (exclude) => (calls++ === 0 ? Promise.resolve(taken) : allocatePort(exclude)) });
    try {
      const [i] = await sup.start(appSpec('v7', h.releaseDir), 1);
      expect(i!.port).not.toBe(taken);
      expect(i!.restarts).toBe(0);
      expect((await get(i!.port))?.body).toContain('hello from v7');
      expect(h.lines).toContain(`v7#1: port ${taken} was taken; retrying on port ${i!.port}`);
    } finally {
      busy.close();
    }
  });

  it('an aborted start stops what it started and rejects with the abort reason', async () => {
    const ac = new AbortController();
    const pending = h.sup.start(appSpec('v8', h.releaseDir, { SLOW_START_MS: '20000' }), 2, ac.signal);
    await waitUntil('both processes spawned', () => h.sup.instances('v8').every((i) => i.pid !== null) && h.sup.instances('v8').length === 2);
    const pids = h.sup.instances('v8').map((i) => i.pid!);
    // A src error class: abortReason() keeps Error reasons, and the test file's own Error is another realm's under vitest.
    ac.abort(new Cancelled('deploy cancelled'));
    await expect(pending).rejects.toThrow('deploy cancelled');
    expect(pids.every((p) => !isProcessAlive(p))).toBe(true);
    expect(h.sup.instances()).toEqual([]);
  });

  it('ids never repeat in a state folder: a new supervisor continues after the existing log files', async () => {
    await h.sup.start(appSpec('v9', h.releaseDir), 2);
    await h.sup.stopVersion('v9');
    const next = await h.make().start(appSpec('v9', h.releaseDir), 1);
    expect(next.map((i) => i.id)).toEqual(['v9#3']);
    expect(existsSync(join(h.stateDir, 'logs', 'v9', 'v9#1.log'))).toBe(true);
    const log = await readFile(join(h.stateDir, 'logs', 'v9', 'v9#3.log'), 'utf8');
    expect(log).toMatch(/^--- shipgate: v9#3 starting on port \d+ at \S+ ---\n/);
  });
});
