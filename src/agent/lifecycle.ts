import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import type { Clock } from '../runtime/clock.js';
import { systemClock } from '../runtime/clock.js';
import { AgentClient, AgentUnavailable } from './client.js';
import { agentProcessEnv } from './daemon/instance-env.js';
import type { AgentStatus } from './contract.js';
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

function logTail(paths: AgentPaths, lines = 15): string {
  try {
    return readFileSync(paths.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no agent log)';
  }
}

async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs: number, clock: Clock, what: string, paths: AgentPaths): Promise<T> {
  const until = clock.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (clock.now() > until) throw new Error(`${what} within ${timeoutMs / 1000}s; last lines of ${paths.logFile}:\n${logTail(paths)}`);
    await clock.sleep(POLL_MS);
  }
}

export interface StartOptions {
  controlListen?: string;
  controlToken?: string;
  clock?: Clock;
}

/** Starts a detached agent for `stateDir` unless one runs; resolves with its status. */
export async function ensureAgent(stateDir: string, opts: StartOptions = {}): Promise<{ status: AgentStatus; started: boolean }> {
  const paths = agentPaths(stateDir);
  const running = await agentStatus(paths);
  if (running) return { status: running, started: false };
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const log = openSync(paths.logFile, 'a', 0o600);
  const args = [AGENT_ENTRY, '--state-dir', paths.dir, ...(opts.controlListen ? ['--control-listen', opts.controlListen] : [])];
  const env = { ...agentProcessEnv(process.env), ...(opts.controlToken ? { SHIPGATE_AGENT_TOKEN: opts.controlToken } : {}) };
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log], env });
  closeSync(log);
  child.unref();
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  const status = await waitFor(
    async () => {
      if (exited !== undefined) throw new Error(`the agent exited at start (code ${exited}); last lines of ${paths.logFile}:\n${logTail(paths)}`);
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
