import { spawn } from 'node:child_process';
import { closeSync, readFileSync } from 'node:fs';
import type { Clock } from '../runtime/clock.js';
import { ensurePrivateDir, openPrivate } from '../runtime/private-files.js';
import { systemClock } from '../runtime/clock.js';
import { AgentClient, AgentUnavailable } from './client.js';
import { controlArgs } from './control-args.js';
import type { AgentStatus, RouterProcessStatus } from './contract.js';
import { agentProcessEnv } from './daemon/instance-env.js';
import { runningKeeper } from './dataplane/keeper-file.js';
import { RouterLink } from './dataplane/router-link.js';
import { AGENT_ENTRY, agentPaths, type AgentPaths } from './paths.js';

export const AGENT_START_TIMEOUT_MS = 15_000;
const POLL_MS = 50;

export function clientFor(paths: AgentPaths): AgentClient {
  return new AgentClient({ socketPath: paths.socket });
}

/** The running agent's status, or null when none answers. */
export async function agentStatus(paths: AgentPaths): Promise<AgentStatus | null> {
  try {
    return await clientFor(paths).status();
  } catch (err) {
    if (err instanceof AgentUnavailable) return null;
    throw err;
  }
}

function logTail(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs: number, clock: Clock, what: string, paths: AgentPaths, logFile = paths.logFile): Promise<T> {
  const until = clock.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (clock.now() > until) throw new Error(`${what} within ${timeoutMs / 1000}s; last lines of ${logFile}:\n${logTail(logFile)}`);
    await clock.sleep(POLL_MS);
  }
}

export interface StartOptions {
  controlListen?: string;
  controlToken?: string;
  /** Absolute paths of the TCP control API's PEM certificate and key (HTTPS). */
  controlTls?: { cert: string; key: string };
  clock?: Clock;
}

/** Starts a detached agent for `stateDir` unless one runs; resolves with its status. */
export async function ensureAgent(stateDir: string, opts: StartOptions = {}): Promise<{ status: AgentStatus; started: boolean }> {
  const paths = agentPaths(stateDir);
  const running = await agentStatus(paths);
  if (running) return { status: running, started: false };
  ensurePrivateDir(paths.dir);
  const log = openPrivate(paths.logFile, 'a');
  const args = [AGENT_ENTRY, '--state-dir', paths.dir, ...controlArgs(opts.controlListen ? { listen: opts.controlListen, tls: opts.controlTls } : undefined)];
  const env = { ...agentProcessEnv(process.env), ...(opts.controlToken ? { SHIPGATE_AGENT_TOKEN: opts.controlToken } : {}) };
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log], env });
  closeSync(log);
  child.unref();
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  const status = await waitFor(
    async () => {
      if (exited !== undefined) throw new Error(`the agent exited at start (code ${exited}); last lines of ${paths.logFile}:\n${logTail(paths.logFile)}`);
      return agentStatus(paths);
    },
    AGENT_START_TIMEOUT_MS,
    opts.clock ?? systemClock,
    'the agent did not start',
    paths,
  );
  return { status, started: true };
}

/** Hands the agent over to a fresh process (new code, same socket); resolves with the new status. */
export async function restartAgent(stateDir: string, clock: Clock = systemClock): Promise<{ from: number; to: AgentStatus }> {
  const paths = agentPaths(stateDir);
  const before = await agentStatus(paths);
  if (!before) throw new AgentUnavailable('no agent is running; start it with: shipgate agent start');
  const { pid } = await clientFor(paths).restart();
  const to = await waitFor(async () => {
    const s = await agentStatus(paths);
    return s && s.pid === pid ? s : null;
  }, AGENT_START_TIMEOUT_MS, clock, 'the new agent did not answer', paths);
  return { from: before.pid, to };
}

/**
 * Replaces the router process (to run the installed code) without refusing a
 * connection: its keeper starts a new router on the same socket, and once that
 * one serves, the old one stops accepting and finishes its requests in flight.
 */
export async function restartRouter(stateDir: string, clock: Clock = systemClock): Promise<{ from: number; to: RouterProcessStatus }> {
  const paths = agentPaths(stateDir);
  const link = new RouterLink(paths.routerSocket);
  const before = await link.status();
  const keeper = runningKeeper(paths.keeperPidFile);
  if (before === null || keeper === null) throw new AgentUnavailable('no router runs under a keeper here (shipgate agent status says why)');
  process.kill(keeper.pid, 'SIGHUP');
  const to = await waitFor(async () => {
    const s = await link.status().catch(() => null);
    return s !== null && s.pid !== before.pid ? s : null;
  }, AGENT_START_TIMEOUT_MS, clock, 'the new router did not answer', paths, paths.routerLogFile);
  return { from: before.pid, to };
}

/** Stops the agent (and its instances unless `keepInstances`); resolves when it has exited. */
export async function stopAgent(stateDir: string, keepInstances: boolean, clock: Clock = systemClock): Promise<number | null> {
  const paths = agentPaths(stateDir);
  const before = await agentStatus(paths);
  if (!before) return null;
  await clientFor(paths).stop(!keepInstances);
  await waitFor(async () => (isProcessGone(before.pid) ? true : null), 60_000, clock, 'the agent did not exit', paths);
  return before.pid;
}

function isProcessGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
