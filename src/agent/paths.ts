import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The agent process's entry script (dist/agent/daemon/entry.js). */
export const AGENT_ENTRY = fileURLToPath(new URL('./daemon/entry.js', import.meta.url));
/** The keeper: holds the router's listening socket and restarts the router process (dist/agent/dataplane/keeper-entry.js). */
export const KEEPER_ENTRY = fileURLToPath(new URL('./dataplane/keeper-entry.js', import.meta.url));
/** The router process (dist/agent/dataplane/router-entry.js). */
export const ROUTER_ENTRY = fileURLToPath(new URL('./dataplane/router-entry.js', import.meta.url));

/** Files of one agent, under `<project>/.shipgate/agent/<environment>/`. */
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
  /** The router process's control API (table, stats, drains, ejections): HTTP over this unix socket, mode 0600. */
  routerSocket: string;
  /** The keeper's pid and start token: it holds the listening socket and restarts the router. */
  keeperPidFile: string;
  /** The last routing table and router options the router was given: a restarted router serves it at once. No secrets. */
  routerTableFile: string;
  /** The keeper's and the router process's log. */
  routerLogFile: string;
}

export function agentPaths(stateDir: string): AgentPaths {
  return {
    dir: stateDir,
    socket: join(stateDir, 'agent.sock'),
    pidFile: join(stateDir, 'agent.pid'),
    stateFile: join(stateDir, 'state.json'),
    logFile: join(stateDir, 'agent.log'),
    logsDir: join(stateDir, 'logs'),
    routerSocket: join(stateDir, 'router.sock'),
    keeperPidFile: join(stateDir, 'keeper.pid'),
    routerTableFile: join(stateDir, 'router-table.json'),
    routerLogFile: join(stateDir, 'router.log'),
  };
}

/** `<root>/.shipgate/agent`: one folder per environment below it. */
export function agentsDir(root: string): string {
  return join(root, '.shipgate', 'agent');
}

/**
 * `<root>/.shipgate/agent/<environment>`. Each environment has an agent of its
 * own (router, weights, instances): two environments never share a weight table.
 * Environment names are config names (letters, digits, `.`, `_`, `-`, starting
 * with a letter or digit), so they are safe as folder names.
 */
export function agentStateDir(root: string, environment: string): string {
  return join(agentsDir(root), environment);
}

/**
 * Where an agent of the layout before per-environment agents kept its files
 * (`.shipgate/agent/agent.sock`): one agent, one weight table for every
 * environment. Only looked at to tell the user to stop it.
 */
export function legacyAgentPaths(root: string): AgentPaths {
  return agentPaths(agentsDir(root));
}
