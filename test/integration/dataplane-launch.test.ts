import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { RouterTableState } from '../../src/agent/contract.js';
import type { Clock } from '../../src/runtime/clock.js';
import { eventually, freePort, killLeftovers } from '../support/local-project.js';
import { REPO_ROOT } from '../support/project.js';

/**
 * Starting and stopping the data plane with real processes (the built keeper
 * and router): a launch that fails leaves nothing behind (no process holding the
 * address, no table that replaced the one served), and a keeper stopped in the
 * middle of a router replacement stops both routers.
 */

const dist = (path: string): string => pathToFileURL(join(REPO_ROOT, 'dist', path)).href;
const { launchRouter, BindFailed } = (await import(dist('agent/dataplane/launch.js'))) as typeof import('../../src/agent/dataplane/launch.js');
const { agentPaths } = (await import(dist('agent/paths.js'))) as typeof import('../../src/agent/paths.js');
const { RouterLink } = (await import(dist('agent/dataplane/router-link.js'))) as typeof import('../../src/agent/dataplane/router-link.js');
const { DEFAULT_EJECT_AFTER, DEFAULT_MAX_CONNECTIONS } = (await import(dist('agent/contract.js'))) as typeof import('../../src/agent/contract.js');

let dir: string | null = null;
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) s.close();
  if (dir) {
    killLeftovers(dir);
    await rm(dir, { recursive: true, force: true });
  }
  dir = null;
});

async function stateDir(): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), 'shipgate-launch-'));
  return dir;
}

function table(listen: string, weights: Record<string, number>): RouterTableState {
  return {
    format: 1,
    listen,
    options: { stickyCookie: false, versionHeader: true, bodyLimit: 1024, retry: true, ejectAfter: DEFAULT_EJECT_AFTER, maxConnections: DEFAULT_MAX_CONNECTIONS },
    table: { weights, backends: [] },
  };
}

/** Pids of the processes whose command line names `d` (the keeper's and routers' --state-dir). */
function processesOf(d: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(d);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ host: '127.0.0.1', port }, () => s.close(() => resolve(true)));
  });
}

describe('launching the router', () => {
  it('a bind that fails leaves the table on disk as it was (no stray temporary file either)', async () => {
    const d = await stateDir();
    const paths = agentPaths(d);
    const port = await freePort();
    const taken = createServer();
    servers.push(taken);
    await new Promise<void>((r) => taken.listen({ host: '127.0.0.1', port }, r));
    const served = `${JSON.stringify(table('127.0.0.1:1', { 'v1.0.0': 100 }))}\n`;
    await writeFile(paths.routerTableFile, served);

    const err = await launchRouter(paths, table(`127.0.0.1:${port}`, { 'v2.0.0': 100 })).catch((e: Error) => e);
    expect(err).toBeInstanceOf(BindFailed);
    expect((err as Error).message).toContain(`cannot listen on 127.0.0.1:${port}: the address is already in use`);
    expect(await readFile(paths.routerTableFile, 'utf8')).toBe(served);
    expect((await readdir(d)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(processesOf(d)).toEqual([]);
  });

  it('a router that does not answer in time is stopped with its keeper, and the address is free again', async () => {
    const d = await stateDir();
    const port = await freePort();
    // A clock past the start timeout at the first look: the router never gets the time to answer.
    let now = 0;
    const clock: Clock = { now: () => (now += 60_000), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
    const err = await launchRouter(agentPaths(d), table(`127.0.0.1:${port}`, {}), clock).catch((e: Error) => e);
    expect((err as Error).message).toContain('did not answer within 10s, so it was stopped');
    // No waiting: the failed start answers only once the address is free again.
    expect(await canBind(port)).toBe(true);
    expect(processesOf(d)).toEqual([]);
  });

  it('a keeper stopped while it replaces its router (SIGHUP, then SIGTERM at once) stops both routers and lets go of the address', async () => {
    const d = await stateDir();
    const paths = agentPaths(d);
    const port = await freePort();
    const started = await launchRouter(paths, table(`127.0.0.1:${port}`, {}));
    expect(started.keeperPid).not.toBeNull();
    const keeper = started.keeperPid!;
    process.kill(keeper, 'SIGHUP');
    process.kill(keeper, 'SIGTERM');
    await eventually(async () => (processesOf(d).length === 0 ? true : undefined), `the keeper and both routers to be gone (left: ${processesOf(d).join(', ')})`, 15_000);
    // Once in a full CI run (2026-12-04) the bind failed right after the last process was gone; the cause was not found
    // (the address may have been released a moment later, or taken by a parallel test). It must be free within seconds.
    await eventually(async () => ((await canBind(port)) ? true : undefined), `127.0.0.1:${port} to be free`, 5_000);
    expect(await new RouterLink(paths.routerSocket).status(500).catch(() => null)).toBeNull();
  });
});
