import { rmSync } from 'node:fs';
import { systemClock, type Clock } from '../../runtime/clock.js';
import type { VersionStats } from '../../rollout/contract.js';
import { AgentUnavailable } from '../client.js';
import type { RouterEvent, RouterOptions, RouterProcessStatus, RouterReport, RouterTableState, RoutingTable } from '../contract.js';
import { runningKeeper } from '../dataplane/keeper-file.js';
import { BindFailed, keeperOf, launchRouter, ROUTER_START_TIMEOUT_MS, stopRouter } from '../dataplane/launch.js';
import { RouterLink } from '../dataplane/router-link.js';
import { observeRouter } from '../observe.js';
import type { AgentPaths } from '../paths.js';
import { AgentApiError } from './errors.js';

/** How long one long-poll of the router's events waits. */
export const EVENTS_WAIT_MS = 25_000;
/** Pause before asking again when the router did not answer (it is restarting). */
const WATCH_RETRY_MS = 100;

export interface DataPlaneHooks {
  log: (line: string) => void;
  /** The router ejected a version. */
  onEjection: (e: RouterEvent) => void;
  /** A router process the agent had not told its table yet (restarted, or just adopted): send it the table. */
  resync: () => Promise<void>;
}

/**
 * The agent's handle on the data plane: the router process under its keeper.
 * It adopts a router that already runs (after an agent crash or restart),
 * starts one where none runs, moves it to another address, sends it tables,
 * reads its figures and long-polls its events (ejections; a new `boot` says
 * the router restarted and gets the table again).
 */
export class DataPlane {
  /** Where the router serves; null while none was started or adopted. */
  listen: string | null = null;
  /** Why the router is down (a failed bind names the address). */
  private error: string | null = null;
  private readonly link: RouterLink;
  private watching: AbortController | null = null;
  private boot: string | null = null;
  private after = 0;

  constructor(
    private readonly paths: AgentPaths,
    private readonly hooks: DataPlaneHooks,
    private readonly clock: Clock = systemClock,
  ) {
    this.link = new RouterLink(paths.routerSocket, clock);
  }

  /**
   * At agent start: adopts the router that runs (waiting for it while its keeper
   * restarts it), or, when none runs, starts one on `listen` with `state`.
   * Resolves with the adopted router's status (null when it started one or none).
   */
  async attach(state: RouterTableState | null): Promise<RouterProcessStatus | null> {
    const running = await this.findRunning();
    if (running !== null) {
      this.listen = running.listen;
      this.hooks.log(`adopted the router (pid ${running.pid}, keeper ${running.keeperPid ?? 'gone'}) serving ${running.listen}`);
      this.watch();
      return running;
    }
    const keeper = runningKeeper(this.paths.keeperPidFile);
    if (keeper !== null) {
      // Its keeper holds the address and keeps restarting it: binding it again could only fail. Wait for it.
      this.listen = keeper.listen;
      this.hooks.log(`the router on ${keeper.listen} does not answer yet; its keeper (pid ${keeper.pid}) is restarting it (see ${this.paths.routerLogFile})`);
      this.watch();
      return null;
    }
    if (state !== null) await this.bind(state).catch((err: Error) => this.hooks.log(err.message));
    return null;
  }

  private async findRunning(): Promise<RouterProcessStatus | null> {
    const keeper = keeperOf(this.paths);
    const until = this.clock.now() + (keeper === null ? 0 : ROUTER_START_TIMEOUT_MS);
    for (;;) {
      const status = await this.link.status(1000).catch(() => null);
      if (status !== null || this.clock.now() >= until) return status;
      await this.clock.sleep(WATCH_RETRY_MS);
    }
  }

  /**
   * Serves `state.listen`: starts a router there, then stops the one that served
   * another address (it finishes its in-flight requests). A failed bind throws
   * a 409 that names the address; the router that runs keeps serving.
   */
  async bind(state: RouterTableState): Promise<void> {
    const old = await this.link.status(1000).catch(() => null);
    let started: RouterProcessStatus;
    try {
      started = await launchRouter(this.paths, state, this.clock);
    } catch (err) {
      const message = (err as Error).message;
      if (old === null) this.error = message;
      throw new AgentApiError(err instanceof BindFailed ? 409 : 500, old === null ? message : `${message}; the router keeps serving ${old.listen}`);
    }
    this.listen = state.listen;
    this.error = null;
    this.hooks.log(`router started on ${state.listen} (pid ${started.pid}, keeper ${started.keeperPid})`);
    if (old !== null && old.pid !== started.pid) {
      this.hooks.log(`stopping the router on ${old.listen} (pid ${old.pid}): it finishes its requests in flight`);
      void stopRouter({ keeper: old.keeperPid, router: old.pid }, this.clock);
    }
    this.watch();
  }

  /** A router answers, or its keeper runs (and is restarting it). */
  async isUp(): Promise<boolean> {
    return keeperOf(this.paths) !== null || (await this.link.status(1000).catch(() => null)) !== null;
  }

  /** Sends a table (and the options); resolves when the router serves it. */
  async push(table: RoutingTable, options: RouterOptions): Promise<void> {
    if (this.listen === null) return;
    await this.link.push(table, options).catch((err: unknown) => rethrow(err));
  }

  stats(version: string, windowMs: number): Promise<VersionStats> {
    if (this.listen === null) throw new AgentApiError(409, this.error ?? 'the router is not configured yet');
    return this.link.stats(version, windowMs).catch((err: unknown) => rethrow(err));
  }

  async drain(id: string, timeoutMs: number): Promise<void> {
    if (this.listen === null) return;
    await this.link.drain(id, timeoutMs).catch((err: unknown) => rethrow(err));
  }

  /** What `agent status` and `shipgate status` show about the router. */
  report(): Promise<RouterReport> {
    return observeRouter(this.paths, { listen: this.listen, error: this.error });
  }

  /** Stops listening to the router's events; the router keeps serving (handover, `agent stop --keep-instances`). */
  detach(): void {
    this.watching?.abort();
    this.watching = null;
  }

  /** Stops the router and its keeper (`agent stop`). */
  async stop(): Promise<void> {
    this.detach();
    const status = await this.link.status(1000).catch(() => null);
    await stopRouter({ keeper: status?.keeperPid ?? keeperOf(this.paths), router: status?.pid ?? null }, this.clock);
    rmSync(this.paths.routerSocket, { force: true });
    this.listen = null;
  }

  private watch(): void {
    if (this.watching !== null) return;
    const stop = new AbortController();
    this.watching = stop;
    void this.watchLoop(stop.signal);
  }

  private async watchLoop(signal: AbortSignal): Promise<void> {
    let failure: string | null = null;
    while (!signal.aborted) {
      try {
        // The first call answers at once: the agent learns which router process it talks to.
        const batch = await this.link.events(this.boot, this.after, this.boot === null ? 0 : EVENTS_WAIT_MS, signal);
        if (batch.boot !== this.boot) {
          if (this.boot !== null) this.hooks.log(`the router restarted (boot ${batch.boot}); sending it the table again`);
          this.boot = batch.boot;
          await this.hooks.resync().catch((err: Error) => this.hooks.log(`could not send the table to the router: ${err.message}`));
        }
        this.after = batch.next;
        for (const e of batch.events) this.hooks.onEjection(e);
        failure = null;
      } catch (err) {
        if (signal.aborted) break;
        // A router restarting fails many polls the same way: said once, and again when the reason changes.
        const message = (err as Error).message;
        if (message !== failure) this.hooks.log(`the router's events: ${message}; asking again`);
        failure = message;
        await this.clock.sleep(WATCH_RETRY_MS).catch(() => undefined);
      }
    }
  }
}

/** A router that cannot be reached is a 503 of the agent's API, with a message that says so. */
function rethrow(err: unknown): never {
  if (err instanceof AgentUnavailable) throw new AgentApiError(503, `the router process does not answer (${err.message}); its keeper restarts it within a second, or \`shipgate agent status\` says why not`);
  throw err;
}
