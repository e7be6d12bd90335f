import { AgentClient, AgentUnavailable } from '../client.js';
import type { RouterEventBatch, RouterOptions, RouterProcessStatus, RoutingTable } from '../contract.js';
import type { VersionStats } from '../../rollout/contract.js';
import { systemClock, type Clock } from '../../runtime/clock.js';

/** How long a call waits for a router that does not answer (a restarted router is back within a second). */
export const ROUTER_RETRY_MS = 5000;
const RETRY_PAUSE_MS = 50;
/** Extra time over a drain's own timeout before its call gives up. */
const DRAIN_SLACK_MS = 5000;

interface Push {
  table: RoutingTable;
  options: RouterOptions;
  waiters: { resolve(): void; reject(err: Error): void }[];
}

/**
 * The agent's side of the router process's control socket. Tables go out one
 * at a time and the newest wins: a push made while another is on its way
 * replaces any push still waiting, and resolves when a table at least that new
 * is served. Calls that find no router (it is restarting) are retried for
 * ROUTER_RETRY_MS.
 */
export class RouterLink {
  private readonly client: AgentClient;
  private next: Push | null = null;
  private sending = false;

  constructor(
    socketPath: string,
    private readonly clock: Clock = systemClock,
  ) {
    this.client = new AgentClient({ socketPath }, 'router');
  }

  /** The router's own status, or null when nothing answers on its socket. */
  async status(timeoutMs = 2000): Promise<RouterProcessStatus | null> {
    try {
      return await this.client.call<RouterProcessStatus>('GET', '/v1/status', undefined, timeoutMs);
    } catch (err) {
      if (err instanceof AgentUnavailable) return null;
      throw err;
    }
  }

  push(table: RoutingTable, options: RouterOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiters = [...(this.next?.waiters ?? []), { resolve, reject }];
      this.next = { table, options, waiters };
      if (!this.sending) void this.sendAll();
    });
  }

  private async sendAll(): Promise<void> {
    this.sending = true;
    while (this.next !== null) {
      const push = this.next;
      this.next = null;
      try {
        await this.retrying(() => this.client.call('POST', '/v1/table', { table: push.table, options: push.options }));
        for (const w of push.waiters) w.resolve();
      } catch (err) {
        for (const w of push.waiters) w.reject(err as Error);
      }
    }
    this.sending = false;
  }

  stats(version: string, windowMs: number): Promise<VersionStats> {
    return this.retrying(() => this.client.call('GET', `/v1/stats?version=${encodeURIComponent(version)}&windowMs=${windowMs}`));
  }

  async drain(id: string, timeoutMs: number): Promise<void> {
    await this.retrying(() => this.client.call('POST', '/v1/drain', { id, timeoutMs }, timeoutMs + DRAIN_SLACK_MS));
  }

  /** Long-polls the router's events after `after` (of the router process `boot`). */
  events(boot: string | null, after: number, waitMs: number, signal?: AbortSignal): Promise<RouterEventBatch> {
    const query = `after=${after}&waitMs=${waitMs}${boot === null ? '' : `&boot=${encodeURIComponent(boot)}`}`;
    return this.client.call('GET', `/v1/events?${query}`, undefined, waitMs + DRAIN_SLACK_MS, signal);
  }

  private async retrying<T>(call: () => Promise<T>): Promise<T> {
    const until = this.clock.now() + ROUTER_RETRY_MS;
    for (;;) {
      try {
        return await call();
      } catch (err) {
        if (!(err instanceof AgentUnavailable) || this.clock.now() > until) throw err;
        await this.clock.sleep(RETRY_PAUSE_MS);
      }
    }
  }
}
