import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { startToken } from '../../runtime/process-identity.js';
import { DEFAULT_ROUTER_SHUTDOWN_MS } from '../contract.js';
import { agentPaths, ROUTER_ENTRY, type AgentPaths } from '../paths.js';
import { processLogger } from '../process-log.js';
import { removeKeeperFile, writeKeeperFile } from './keeper-file.js';
import { recentExits, restartDelay } from './restart-policy.js';

/**
 * The keeper: a tiny parent that holds the router's listening socket (an
 * inherited file descriptor it never accepts on) and runs the router process
 * with it, restarting it at once when it exits. While no router runs, the
 * socket is still open and listening, so new connections wait in the kernel's
 * backlog instead of being refused; only requests in flight on the dead
 * router's own connections are lost. It runs in its own process group, so
 * signals to the agent's group do not reach it. SIGTERM stops the router
 * gracefully (in-flight requests finish), then the keeper.
 */

/** SIGKILL for a router that does not finish its shutdown. */
const STOP_GRACE_MS = DEFAULT_ROUTER_SHUTDOWN_MS + 5000;
/** Where the router finds the socket (after stdin, stdout, stderr). */
export const ROUTER_LISTENER_FD = 3;

export interface KeeperOptions {
  stateDir: string;
  listen: string;
  /** The listening socket, inherited from the agent that bound it. */
  listenerFd: number;
}

export function runKeeper(opts: KeeperOptions): void {
  const paths = agentPaths(opts.stateDir);
  const log = processLogger('keeper');
  writeKeeperFile(paths.keeperPidFile, { pid: process.pid, start: startToken(process.pid), listen: opts.listen });
  let child: ChildProcess | null = null;
  let stopping = false;
  let exits: number[] = [];
  let restarts = 0;
  const leave = (code: number): never => {
    removeKeeperFile(paths.keeperPidFile, process.pid);
    log(`exiting (${opts.listen} is no longer held)`);
    process.exit(code);
  };
  const exited = (what: string): void => {
    child = null;
    if (stopping) return leave(0);
    const now = Date.now();
    exits = recentExits([...exits, now], now);
    const delay = restartDelay(exits, now);
    log(`the router ${what}; starting another in ${delay}ms (new connections wait in the backlog meanwhile)`);
    setTimeout(() => (child = startRouter(paths, opts, ++restarts, exited)), delay);
  };
  child = startRouter(paths, opts, restarts, exited);
  log(`holding ${opts.listen}; router pid ${child.pid ?? '-'}`);
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      if (child === null) return leave(0);
      log(`${sig}: stopping the router (pid ${child.pid ?? '-'})`);
      child.kill('SIGTERM');
      setTimeout(() => child?.kill('SIGKILL'), STOP_GRACE_MS).unref();
    });
  }
  process.on('SIGHUP', () => undefined);
}

function startRouter(paths: AgentPaths, opts: KeeperOptions, restarts: number, exited: (what: string) => void): ChildProcess {
  const out = openSync(paths.routerLogFile, 'a', 0o600);
  const args = [ROUTER_ENTRY, '--state-dir', paths.dir, '--listen', opts.listen, '--listener-fd', String(ROUTER_LISTENER_FD), '--restarts', String(restarts), '--keeper-pid', String(process.pid)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', out, out, opts.listenerFd] });
  closeSync(out);
  let done = false;
  const once = (what: string): void => {
    if (done) return;
    done = true;
    exited(what);
  };
  child.once('exit', (code, signal) => once(`(pid ${child.pid}) exited (${signal ?? `code ${code}`})`));
  child.once('error', (err) => once(`could not be started: ${err.message}`));
  return child;
}
