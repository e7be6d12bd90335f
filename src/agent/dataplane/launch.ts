import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, readFileSync } from 'node:fs';
import { openPrivate } from '../../runtime/private-files.js';
import { createServer } from 'node:net';
import { parseListen } from '../../config/schema/local.js';
import { systemClock, type Clock } from '../../runtime/clock.js';
import { isAlive } from '../../runtime/process-identity.js';
import type { RouterProcessStatus, RouterTableState } from '../contract.js';
import { fdOf } from '../daemon/handover.js';
import { daemonEnv } from '../daemon/instance-env.js';
import { KEEPER_ENTRY, type AgentPaths } from '../paths.js';
import { runningKeeper } from './keeper-file.js';
import { RouterLink } from './router-link.js';
import { prepareTableFile, type PreparedTable } from './table-file.js';

/**
 * Starting and stopping the data plane from the agent. The agent binds the
 * address itself (so a failed bind is its answer to the request that asked
 * for it, naming the address) and hands the listening socket to a new keeper
 * in the same turn of its event loop, before it could accept a connection on
 * it; then it closes its own copy. The keeper is detached: its own session and
 * process group, so it outlives the agent and signals sent to the agent's
 * group do not reach it.
 */

/** How long a new router may take to answer on its control socket. */
export const ROUTER_START_TIMEOUT_MS = 10_000;
/** How long `stopRouter` waits for the keeper and its router to exit (they finish in-flight requests first). */
export const ROUTER_STOP_TIMEOUT_MS = 40_000;
const POLL_MS = 25;
/** Where the keeper finds the socket. */
const KEEPER_LISTENER_FD = 3;

/** The address could not be bound (the message names it and why). */
export class BindFailed extends Error {}

export function bindFailure(listen: string, err: NodeJS.ErrnoException): string {
  const why: Record<string, string> = {
    EADDRINUSE: 'the address is already in use (another program listens there)',
    EACCES: 'permission denied (ports below 1024 need privileges)',
    EADDRNOTAVAIL: 'this host has no such address',
  };
  return `cannot listen on ${listen}: ${why[err.code ?? ''] ?? err.message}`;
}

/** Binds `listen`, puts the table in place and starts a keeper with the socket; rejects with BindFailed. */
function bindAndSpawnKeeper(paths: AgentPaths, listen: string, table: PreparedTable): Promise<ChildProcess> {
  const { host, port } = parseListen(listen);
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err) => reject(new BindFailed(bindFailure(listen, err))));
    server.listen({ host, port }, () => {
      // Synchronously, before this event loop polls the socket: this process never accepts on it.
      try {
        table.commit();
        resolve(spawnKeeper(paths, listen, fdOf(server)!));
      } catch (err) {
        reject(err as Error);
      } finally {
        server.close();
      }
    });
  });
}

function spawnKeeper(paths: AgentPaths, listen: string, fd: number): ChildProcess {
  const out = openPrivate(paths.routerLogFile, 'a');
  try {
    const args = [KEEPER_ENTRY, '--state-dir', paths.dir, '--listen', listen, '--listener-fd', String(KEEPER_LISTENER_FD)];
    // The keeper and the router need no secrets: the allowlist the instances get.
    const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', out, out, fd], env: daemonEnv(process.env) });
    child.unref();
    return child;
  } finally {
    closeSync(out);
  }
}

/**
 * Starts a router on `listen` serving `state.table`: writes the table, binds,
 * starts the keeper, waits until its router answers. Rejects with BindFailed
 * (nothing was started) or with why the router did not come up.
 */
export async function launchRouter(paths: AgentPaths, state: RouterTableState, clock: Clock = systemClock): Promise<RouterProcessStatus> {
  const table = await prepareTableFile(paths.routerTableFile, state);
  let keeper: ChildProcess;
  try {
    keeper = await bindAndSpawnKeeper(paths, state.listen, table);
  } finally {
    table.discard();
  }
  let exited: string | null = null;
  const reaped = new Promise<void>((resolve) => keeper.once('exit', () => resolve()));
  keeper.once('exit', (code, signal) => (exited = signal ?? `code ${code}`));
  const link = new RouterLink(paths.routerSocket);
  const until = clock.now() + ROUTER_START_TIMEOUT_MS;
  for (;;) {
    const status = await link.status(1000).catch(() => null);
    if (status !== null && status.keeperPid === keeper.pid) return status;
    if (exited !== null) throw new Error(`the router's keeper exited at start (${exited}); last lines of ${paths.routerLogFile}:\n${logTail(paths.routerLogFile)}`);
    if (clock.now() > until) {
      // Nothing may keep the address while the caller is told the start failed: the keeper and its router go (one process group).
      // The group, and the keeper itself: killed right after the spawn, it may not have made its own group yet.
      if (keeper.pid !== undefined) await killGroup(keeper.pid, reaped);
      throw new Error(`the router on ${state.listen} did not answer within ${ROUTER_START_TIMEOUT_MS / 1000}s, so it was stopped; last lines of ${paths.routerLogFile}:\n${logTail(paths.routerLogFile)}`);
    }
    await clock.sleep(POLL_MS);
  }
}

/**
 * Stops a keeper (and so its router, which finishes its in-flight requests
 * first); when the keeper is gone but its router still runs, stops the router.
 * Resolves when both are gone.
 */
export async function stopRouter(pids: { keeper: number | null; router: number | null }, clock: Clock = systemClock): Promise<void> {
  const target = pids.keeper !== null && isAlive(pids.keeper, null) ? pids.keeper : pids.router;
  if (target === null) return;
  signal(target, 'SIGTERM');
  const until = clock.now() + ROUTER_STOP_TIMEOUT_MS;
  while ([pids.keeper, pids.router].some((pid) => pid !== null && isAlive(pid, null))) {
    if (clock.now() > until) {
      for (const pid of [pids.router, pids.keeper]) if (pid !== null) signal(pid, 'SIGKILL');
      return;
    }
    await clock.sleep(POLL_MS);
  }
}

/** How long a killed keeper group may take to be gone (its sockets are closed only when a process has fully exited). */
const KILL_SETTLE_MS = 5_000;

/**
 * SIGKILLs the keeper's group, and the keeper itself (killed right after the
 * spawn, it may not have made its own group yet), then waits until the keeper
 * was reaped and no process of its group is left. A killed process releases its
 * memory (and with it what the process list shows of it) before it closes its
 * sockets, so "signalled" is not yet "the address is free".
 */
async function killGroup(pid: number, reaped: Promise<void>): Promise<void> {
  for (const target of [-pid, pid]) signal(target, 'SIGKILL');
  const until = Date.now() + KILL_SETTLE_MS;
  await Promise.race([reaped, new Promise((r) => setTimeout(r, KILL_SETTLE_MS).unref())]);
  while (groupExists(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, POLL_MS));
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

/** The running keeper of this state folder, if any. */
export function keeperOf(paths: AgentPaths): number | null {
  return runningKeeper(paths.keeperPidFile)?.pid ?? null;
}

export function logTail(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
