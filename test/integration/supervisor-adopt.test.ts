import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VersionSpec } from '../../src/agent/contract.js';
import type { AdoptRecord, Supervisor } from '../../src/agent/supervisor/index.js';
import { isRunning } from '../../src/agent/supervisor/spawn.js';
import { startToken } from '../../src/runtime/process-identity.js';
import { REPO_ROOT } from '../support/project.js';
import { appSpec, get, harness, waitUntil, type Harness } from './supervisor-harness.js';

/**
 * An agent restart: the old supervisor detaches (instances keep running), a new
 * one adopts them from the snapshot and watches them by polling (they are not its children).
 */

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => h.cleanup());

/** Starts `count` instances, hands them over, and returns the successor with the records. */
async function handOver(spec: VersionSpec, count: number, specs: VersionSpec[] = [spec]): Promise<{ next: Supervisor; records: AdoptRecord[] }> {
  await h.sup.start(spec, count);
  const records = JSON.parse(JSON.stringify(h.sup.snapshot())) as AdoptRecord[];
  await h.sup.detach();
  const next = h.make();
  next.adopt(records, specs);
  return { next, records };
}

describe('supervisor: detach and adopt', () => {
  it('snapshot() is plain records of the running instances', async () => {
    const [i] = await h.sup.start(appSpec('v0', h.releaseDir), 1);
    expect(h.sup.snapshot()).toEqual([
      { id: 'v0#1', version: 'v0', pid: i!.pid, port: i!.port, startToken: startToken(i!.pid!), state: 'ready', restarts: 0, startedAt: i!.startedAt, readyAt: i!.readyAt },
    ]);
  });

  it('instances survive detach(); a new supervisor adopts them without respawning and stops them', async () => {
    const { next, records } = await handOver(appSpec('v1', h.releaseDir, {}, { stopTimeoutMs: 5000 }), 2);
    await expect(h.sup.start(appSpec('v1', h.releaseDir), 1)).rejects.toThrow('the supervisor was detached');
    for (const r of records) expect((await get(r.port))?.body).toBe(`hello from v1 on ${r.port}`);
    expect(next.instances('v1').map((i) => [i.id, i.pid, i.port, i.state, i.readyAt])).toEqual(records.map((r) => [r.id, r.pid, r.port, 'ready', r.readyAt]));
    expect(next.spec('v1')?.version).toBe('v1');
    // Still writing straight to its log file, with no agent in between.
    await get(records[0]!.port, '/log?line=after-the-handover');
    expect(await readFile(join(h.stateDir, 'logs', 'v1', 'v1#1.log'), 'utf8')).toContain('after-the-handover\n');
    const t0 = Date.now();
    await next.stop('v1#1');
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(h.lines.filter((l) => l.includes('SIGKILL'))).toEqual([]);
    expect(isRunning(records[0]!.pid!, records[0]!.startToken)).toBe(false);
    expect(h.states('v1#1').slice(-2)).toEqual(['draining', 'stopped']);
    await next.stopAll();
    expect(isRunning(records[1]!.pid!, records[1]!.startToken)).toBe(false);
  });

  it('notices by polling when an adopted instance dies, and restarts it like any other', async () => {
    const { next, records } = await handOver(appSpec('v2', h.releaseDir), 1);
    process.kill(records[0]!.pid!, 'SIGKILL');
    const back = await waitUntil('the restarted instance', () => {
      const i = next.instances('v2')[0];
      return i && i.restarts === 1 && i.state === 'ready' ? i : null;
    });
    expect(back).toMatchObject({ id: 'v2#1', port: records[0]!.port });
    expect(back.pid).not.toBe(records[0]!.pid);
    expect(h.lines).toContain('v2#1: exited; restarting in 50ms');
    expect((await get(back.port))?.body).toContain('hello from v2');
  });

  it('keeps watching readiness of adopted instances', async () => {
    const { next } = await handOver(appSpec('v3', h.releaseDir, { UNHEALTHY_AFTER_MS: '600' }), 1);
    await waitUntil('unhealthy', () => next.instances('v3')[0]!.state === 'unhealthy');
  });

  it('an adopted instance whose spec is unknown is not restarted: it is marked stopped, and the log says why', async () => {
    const { next, records } = await handOver(appSpec('v4', h.releaseDir, { SECRET: 'x' }), 1, []);
    expect(next.instances('v4')[0]!.state).toBe('ready');
    process.kill(records[0]!.pid!, 'SIGKILL');
    await waitUntil('stopped', () => next.instances('v4')[0]!.state === 'stopped');
    expect(next.instances('v4')[0]).toMatchObject({ pid: null, restarts: 0 });
    expect(h.lines).toContain('v4#1: exited and is not restarted: this agent does not know how to run v4 (its spec did not survive the agent restart); deploy v4 again to restore it');
    expect(next.snapshot()).toEqual([]);
    await next.stopVersion('v4');
    expect(next.instances()).toEqual([]);
  });

  it('a record whose process is already gone is restarted at once', async () => {
    await h.sup.start(appSpec('v5', h.releaseDir), 1);
    const records = h.sup.snapshot();
    await h.sup.detach();
    process.kill(records[0]!.pid!, 'SIGKILL');
    await waitUntil('the old process to be gone', () => !isRunning(records[0]!.pid!, records[0]!.startToken));
    const next = h.make();
    next.adopt(records, [appSpec('v5', h.releaseDir)]);
    const back = await waitUntil('ready again', () => next.instances('v5').find((i) => i.state === 'ready'));
    expect(back).toMatchObject({ id: 'v5#1', restarts: 1 });
    expect(back.pid).not.toBe(records[0]!.pid);
  });

  it('instances outlive the agent process that started them (the built supervisor in another process)', async () => {
    const spec = appSpec('v7', h.releaseDir);
    // A real, separate "old agent": starts one instance, prints its snapshot, detaches and exits.
    const script = `
      const { createSupervisor } = await import(process.env.SUPERVISOR_URL);
      const sup = createSupervisor({ stateDir: process.env.STATE_DIR });
      await sup.start(JSON.parse(process.env.SPEC), 1);
      const records = sup.snapshot();
      await sup.detach();
      process.stdout.write(JSON.stringify(records), () => process.exit(0));`;
    const env = { ...process.env, SUPERVISOR_URL: pathToFileURL(join(REPO_ROOT, 'dist/agent/supervisor/index.js')).href, STATE_DIR: h.stateDir, SPEC: JSON.stringify(spec) };
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { env, timeout: 20_000 });
    const records = JSON.parse(stdout) as AdoptRecord[];
    const next = h.make();
    next.adopt(records, [spec]);
    expect((await get(records[0]!.port))?.body).toBe(`hello from v7 on ${records[0]!.port}`);
    expect(next.instances('v7')[0]).toMatchObject({ id: 'v7#1', pid: records[0]!.pid, state: 'ready' });
    process.kill(records[0]!.pid!, 'SIGKILL');
    const back = await waitUntil('the restarted instance', () => next.instances('v7').find((i) => i.restarts === 1 && i.state === 'ready'));
    expect(back.pid).not.toBe(records[0]!.pid);
  });

  it('new instances of an adopted version get fresh ids', async () => {
    const { next } = await handOver(appSpec('v6', h.releaseDir), 2);
    const [added] = await next.start(appSpec('v6', h.releaseDir), 1);
    expect(added!.id).toBe('v6#3');
  });
});
