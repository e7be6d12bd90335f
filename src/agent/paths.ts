import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The agent process's entry script (dist/agent/daemon/entry.js). */
export const AGENT_ENTRY = fileURLToPath(new URL('./daemon/entry.js', import.meta.url));

/** Files of one agent, under `<project>/.shipgate/agent/`. */
export interface AgentPaths {
  dir: string;
  /** Control API: HTTP over this unix socket, mode 0600. */
  socket: string;
  pidFile: string;
  /** Persisted state (no secrets): lets a restarted agent re-adopt its instances. */
  stateFile: string;
  /** The agent's own log. */
  logFile: string;
  /** Instance logs: `<logsDir>/<version>/<instance>.log`. */
  logsDir: string;
}

export function agentPaths(stateDir: string): AgentPaths {
  return {
    dir: stateDir,
    socket: join(stateDir, 'agent.sock'),
    pidFile: join(stateDir, 'agent.pid'),
    stateFile: join(stateDir, 'state.json'),
    logFile: join(stateDir, 'agent.log'),
    logsDir: join(stateDir, 'logs'),
  };
}

/** `<root>/.shipgate/agent` */
export function agentStateDir(root: string): string {
  return join(root, '.shipgate', 'agent');
}
