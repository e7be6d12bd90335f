import { readFileSync } from 'node:fs';
import { isAlive } from '../runtime/process-identity.js';
import type { RouterReport } from './contract.js';
import { readKeeperFile } from './dataplane/keeper-file.js';
import { RouterLink } from './dataplane/router-link.js';
import type { AgentPaths } from './paths.js';

/**
 * What can be told about the agent and the router from their files and
 * sockets, without the agent's help: the CLI reports this when the agent does
 * not answer, and the agent reports the router the same way.
 */

/** Why the agent does not answer, or null when it was never started or was stopped (no pid file). */
export function agentAbsence(paths: AgentPaths): string | null {
  let pid: number;
  try {
    pid = Number(readFileSync(paths.pidFile, 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0) return 'no answer on its socket';
  return isRunning(pid) ? `pid ${pid} runs but does not answer on its socket` : `no answer on its socket; pid ${pid} is gone`;
}

/** Alive and not a zombie (a killed process nobody has reaped yet is gone for our purposes). */
function isRunning(pid: number): boolean {
  if (!isAlive(pid, null)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/**
 * The router as its own socket and its keeper's pid file tell it. `expected`
 * is what the agent knows: the address it should serve, and why it could not.
 */
export async function observeRouter(paths: AgentPaths, expected: { listen: string | null; error: string | null } = { listen: null, error: null }): Promise<RouterReport> {
  const process = await new RouterLink(paths.routerSocket).status(1000).catch(() => null);
  if (process !== null) return { state: 'serving', listen: process.listen, process, error: null };
  const keeper = readKeeperFile(paths.keeperPidFile);
  const listen = expected.listen ?? keeper?.listen ?? null;
  const down = (error: string): RouterReport => ({ state: 'down', listen, process: null, error });
  if (expected.error !== null) return down(expected.error);
  if (keeper !== null) return down(isAlive(keeper.pid, keeper.start) ? `no answer on its socket; its keeper (pid ${keeper.pid}) is restarting it` : `no answer on its socket, and its keeper (pid ${keeper.pid}) is gone`);
  return expected.listen === null ? { state: 'not_running', listen: null, process: null, error: null } : down('no router process runs');
}
