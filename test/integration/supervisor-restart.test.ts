import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appSpec, get, harness, waitUntil, type Harness } from './supervisor-harness.js';

/** Watching instances after they are ready: restarts with backoff, crash loops, readiness. */

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => h.cleanup());

describe('supervisor: restarts and readiness', () => {
  it('restarts an instance that crashes after it was ready, on the same port, and reports each state', async () => {
    const [first] = await h.sup.start(appSpec('v1', h.releaseDir, { CRASH_AFTER_MS: '1500' }), 1);
    const restarted = await waitUntil('a restarted, ready instance', () => {
      const i = h.sup.instances('v1')[0];
      return i && i.restarts >= 1 && i.state === 'ready' ? i : null;
    });
    expect(restarted.id).toBe(first!.id);
    expect(restarted.port).toBe(first!.port);
    expect(restarted.pid).not.toBe(first!.pid);
    expect(restarted.lastExit).toMatchObject({ code: 1, signal: null });
    expect(h.states('v1#1').slice(0, 4)).toEqual(['starting', 'ready', 'starting', 'ready']);
    const down = h.changes.find((c) => c.id === 'v1#1' && c.state === 'starting' && c.lastExit !== null)!;
    expect(down.pid).toBeNull();
    expect(h.lines).toContain('v1#1: exited with code 1; restarting in 50ms');
    expect((await get(restarted.port))?.body).toContain('hello from v1');
  });

  it('reports a crash loop as `crashloop` and keeps retrying with growing delays', async () => {
    await h.sup.start(appSpec('v2', h.releaseDir, { CRASH_AFTER_MS: '100' }), 1);
    await waitUntil('crashloop', () => h.changes.some((c) => c.state === 'crashloop'));
    const looping = h.lines.find((l) => l.includes('crash loop'))!;
    // The app exits 100 ms after its start: on a loaded machine that can come before its first readiness probe passed.
    expect(looping).toMatch(/^v2#1: exited with code 1( before it was ready)? \(crash loop: 3 exits within 1m\); restarting in 200ms$/);
    // Still retrying: it comes back (ready) and crashes again.
    const restarts = h.sup.instances('v2')[0]!.restarts;
    await waitUntil('another restart', () => h.sup.instances('v2')[0]!.restarts > restarts + 1);
    expect(h.lines.some((l) => l.endsWith('restarting in 400ms'))).toBe(true);
    expect(h.lines.filter((l) => /restarting in 800ms/.test(l))).toEqual([]);
  });

  it('turns unhealthy after 3 failed probes (the process keeps running), and ready again after a good probe', async () => {
    const [i] = await h.sup.start(appSpec('v3', h.releaseDir, { UNHEALTHY_AFTER_MS: '300', UNHEALTHY_FOR_MS: '600' }), 1);
    await waitUntil('unhealthy', () => h.sup.instances('v3')[0]!.state === 'unhealthy');
    await waitUntil('ready again', () => h.sup.instances('v3')[0]!.state === 'ready');
    expect(h.states('v3#1')).toEqual(['starting', 'ready', 'unhealthy', 'ready']);
    expect(h.sup.instances('v3')[0]).toMatchObject({ pid: i!.pid, restarts: 0 });
    expect(h.lines).toContain('v3#1: unhealthy after 3 failed probes (HTTP 503 from http://127.0.0.1:' + i!.port + '/health)');
  });

  it('a restarted instance that is not ready within grace is killed and retried', async () => {
    // The first run is ready and crashes; then the version's spec changes to one that starts too slowly for
    // its grace, and the next restarts use it.
    const spec = appSpec('v4', h.releaseDir, { CRASH_AFTER_MS: '150' }, { readiness: { path: '/health', intervalMs: 50, timeoutMs: 200, graceMs: 1500 } });
    await h.sup.start(spec, 1);
    await waitUntil('the first restart', () => h.sup.instances('v4')[0]!.restarts >= 1);
    const slow = { ...spec, env: { SLOW_START_MS: '20000' }, readiness: { ...spec.readiness, graceMs: 300 } };
    await h.sup.start(slow, 0);
    await waitUntil('a run that was not ready within grace', () => h.lines.some((l) => l.startsWith('v4#1: was not ready within 300ms')), 15_000);
    const line = h.lines.find((l) => l.startsWith('v4#1: was not ready within 300ms'))!;
    expect(line).toMatch(/; restarting in \d+ms$/);
  });
});
