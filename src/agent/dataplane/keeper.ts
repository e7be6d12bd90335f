import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import { openPrivate } from '../../runtime/private-files.js';
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
 * signals to the agent's group do not reach it.
 *
 * Signals: SIGTERM stops the router gracefully (in-flight requests finish),
 * then the keeper. SIGHUP replaces the router process (new code after an
 * upgrade): a new router starts on the same socket, and once it serves, the
 * old one stops accepting and finishes its in-flight requests.
 */

/** SIGKILL for a router that does not finish its shutdown. */
const STOP_GRACE_MS = DEFAULT_ROUTER_SHUTDOWN_MS + 5000;
/** Where the router finds the socket (after stdin, stdout, stderr and the IPC channel to its keeper). */
export const ROUTER_LISTENER_FD = 4;

export interface KeeperOptions {
  stateDir: string;
  listen: string;
  /** The listening socket, inherited from the agent that bound it. */
  listenerFd: number;
}

/** What a router process tells its keeper. */
export type RouterMessage = { type: 'serving'; pid: number };

export function runKeeper(opts: KeeperOptions): void {
  const keeper = new Keeper(agentPaths(opts.stateDir), opts, processLogger('keeper'));
  keeper.start();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => keeper.stop(sig));
  process.on('SIGHUP', () => keeper.replace());
}

class Keeper {
  private current: ChildProcess | null = null;
  /** Routers being replaced: they finish their requests, then exit. */
  private readonly retiring = new Set<ChildProcess>();
  /** The router started by SIGHUP, until it serves. */
  private next: { child: ChildProcess; old: ChildProcess } | null = null;
  private stopping = false;
  private exits: number[] = [];
  private restarts = 0;

  constructor(
    private readonly paths: AgentPaths,
    private readonly opts: KeeperOptions,
    private readonly log: (line: string) => void,
  ) {}

  start(): void {
    writeKeeperFile(this.paths.keeperPidFile, { pid: process.pid, start: startToken(process.pid), listen: this.opts.listen });
    this.current = this.spawn();
    this.log(`holding ${this.opts.listen}; router pid ${this.current.pid ?? '-'}`);
  }

  replace(): void {
    if (this.stopping || this.next !== null || this.current === null) return;
    const old = this.current;
    this.restarts++;
    this.current = this.spawn();
    this.next = { child: this.current, old };
    this.log(`SIGHUP: started router pid ${this.current.pid ?? '-'}; pid ${old.pid ?? '-'} stops once it serves`);
  }

  stop(sig: string): void {
    if (this.stopping) return;
    this.stopping = true;
    if (this.next !== null) {
      // Stopped in the middle of a replacement: the old router is still serving; it stops too.
      this.retiring.add(this.next.old);
      this.next = null;
    }
    const running = [...(this.current ? [this.current] : []), ...this.retiring];
    if (running.length === 0) return this.leave();
    this.log(`${sig}: stopping the router (pid ${running.map((c) => c.pid ?? '-').join(', ')})`);
    for (const child of running) child.kill('SIGTERM');
    setTimeout(() => running.forEach((c) => c.kill('SIGKILL')), STOP_GRACE_MS).unref();
  }

  private spawn(): ChildProcess {
    const child = startRouter(this.paths, this.opts, this.restarts, (what) => this.exited(child, what));
    child.on('message', (m: RouterMessage) => {
      if (m?.type === 'serving' && this.next?.child === child) this.retire(this.next.old);
    });
    return child;
  }

  private retire(old: ChildProcess): void {
    this.next = null;
    this.retiring.add(old);
    old.kill('SIGTERM');
  }

  private exited(child: ChildProcess, what: string): void {
    if (this.retiring.delete(child)) {
      this.log(`the replaced router ${what}`);
      return this.leaveIfDone();
    }
    if (this.next?.child === child) {
      // The replacement died before it served: the old router still serves; keep it.
      this.log(`the new router ${what} before it served; pid ${this.next.old.pid ?? '-'} keeps serving`);
      this.current = this.next.old;
      this.next = null;
      return;
    }
    if (child !== this.current) return;
    this.current = null;
    if (this.stopping) return this.leaveIfDone();
    this.restartSoon(what);
  }

  private restartSoon(what: string): void {
    const now = Date.now();
    this.exits = recentExits([...this.exits, now], now);
    const delay = restartDelay(this.exits, now);
    this.log(`the router ${what}; starting another in ${delay}ms (new connections wait in the backlog meanwhile)`);
    setTimeout(() => {
      if (this.stopping) return;
      this.restarts++;
      this.current = this.spawn();
    }, delay);
  }

  private leaveIfDone(): void {
    if (this.stopping && this.current === null && this.retiring.size === 0) this.leave();
  }

  private leave(): never {
    removeKeeperFile(this.paths.keeperPidFile, process.pid);
    this.log(`exiting (${this.opts.listen} is no longer held)`);
    process.exit(0);
  }
}

function startRouter(paths: AgentPaths, opts: KeeperOptions, restarts: number, exited: (what: string) => void): ChildProcess {
  const out = openPrivate(paths.routerLogFile, 'a');
  const args = [ROUTER_ENTRY, '--state-dir', paths.dir, '--listen', opts.listen, '--listener-fd', String(ROUTER_LISTENER_FD), '--restarts', String(restarts), '--keeper-pid', String(process.pid)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', out, out, 'ipc', opts.listenerFd] });
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
