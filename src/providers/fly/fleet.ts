import { InstancesFailed } from '../../rollout/contract.js';
import type { Clock } from '../../runtime/clock.js';
import { MAX_WAIT_SECONDS, type FlyClient, type FlyMachine, type FlyMachineConfig } from './client.js';
import { criticalChecks, isReady, versionOf } from './machine-config.js';

/** Leases last this long and are refreshed while a deploy goes on; a killed deploy's leases end by themselves after it. */
export const LEASE_TTL_SECONDS = 120;
/** How often a machine's checks are read while waiting for them to pass. */
export const CHECK_POLL_MS = 100;
/** What shipgate writes in the leases it takes: how a later command knows them for its own. */
export const LEASE_PREFIX = 'shipgate deployment ';

export interface FleetOptions {
  deploymentId: string;
  /** How long a machine may take to start and pass its checks. */
  waitMs: number;
  signal?: AbortSignal;
}

/**
 * The machines a deploy changes, each under a lease (with its nonce) taken
 * before the first change and released when the deploy ends. Every change
 * is a Machines API call; every wait is the API's `wait` or a read of checks.
 */
export class Fleet {
  private readonly leases = new Map<string, string>();
  private refreshedAt: number;

  constructor(
    readonly client: FlyClient,
    private readonly clock: Clock,
    private readonly opts: FleetOptions,
  ) {
    this.refreshedAt = clock.now();
  }

  /** Machine ids this run holds leases on. */
  leased(): string[] {
    return [...this.leases.keys()];
  }

  async lease(id: string): Promise<string> {
    const held = this.leases.get(id);
    if (held !== undefined) return held;
    const lease = await this.client.lease(id, LEASE_TTL_SECONDS, `${LEASE_PREFIX}${this.opts.deploymentId}`);
    this.leases.set(id, lease.nonce);
    return lease.nonce;
  }

  /** Extends the leases once a third of their time has passed. */
  async refreshLeases(): Promise<void> {
    if (this.clock.now() - this.refreshedAt < (LEASE_TTL_SECONDS * 1000) / 3) return;
    this.refreshedAt = this.clock.now();
    for (const [id, nonce] of this.leases) await this.client.lease(id, LEASE_TTL_SECONDS, `${LEASE_PREFIX}${this.opts.deploymentId}`, nonce);
  }

  async releaseAll(): Promise<void> {
    for (const [id, nonce] of [...this.leases]) {
      await this.client.releaseLease(id, nonce);
      this.leases.delete(id);
    }
  }

  /** Replaces a machine's config (a new image: the machine restarts on it). */
  async update(m: FlyMachine, config: FlyMachineConfig, opts: { cordoned?: boolean } = {}): Promise<FlyMachine> {
    const nonce = await this.lease(m.id);
    return this.client.update(m.id, { config, ...(opts.cordoned !== undefined ? { skip_service_registration: opts.cordoned } : {}) }, nonce);
  }

  /** Creates a machine and leases it at once; `cordoned` creates it without service registration (blue-green's green). */
  async create(config: FlyMachineConfig, region: string, cordoned = false): Promise<FlyMachine> {
    const m = await this.client.create({ config, region, ...(cordoned ? { skip_service_registration: true } : {}) });
    await this.lease(m.id);
    return m;
  }

  async destroy(id: string): Promise<void> {
    await this.client.destroy(id, await this.lease(id));
    this.leases.delete(id);
  }

  async stop(id: string): Promise<void> {
    await this.client.stop(id, await this.lease(id));
  }

  async start(id: string): Promise<void> {
    await this.client.start(id, await this.lease(id));
  }

  async cordon(id: string): Promise<void> {
    await this.client.cordon(id, await this.lease(id));
  }

  async uncordon(id: string): Promise<void> {
    await this.client.uncordon(id, await this.lease(id));
  }

  async setMetadata(id: string, key: string, value: string): Promise<void> {
    await this.client.setMetadata(id, key, value, await this.lease(id));
  }

  async deleteMetadata(id: string, key: string): Promise<void> {
    await this.client.deleteMetadata(id, key, await this.lease(id));
  }

  /** Waits for a state through the API's `wait`, in calls of at most its 60 s, until the deadline. */
  async waitState(m: FlyMachine, state: 'started' | 'stopped' | 'destroyed', deadline = this.clock.now() + this.opts.waitMs): Promise<void> {
    for (;;) {
      const left = deadline - this.clock.now();
      if (left <= 0) throw new InstancesFailed(versionOf(m) ?? m.config.image, `machine ${m.id} did not reach ${state} within ${Math.round(this.opts.waitMs / 1000)}s`);
      if (await this.client.wait(m.id, state, Math.min(MAX_WAIT_SECONDS, left / 1000), state === 'started' ? m.instance_id : undefined)) return;
    }
  }

  /** Started and every check passing; a check gone critical, or the deadline, fails it. */
  async waitReady(m: FlyMachine): Promise<FlyMachine> {
    const deadline = this.clock.now() + this.opts.waitMs;
    await this.waitState(m, 'started', deadline);
    for (;;) {
      const now = await this.client.get(m.id);
      if (isReady(now)) return now;
      if (this.clock.now() >= deadline) {
        const failing = criticalChecks(now);
        throw new InstancesFailed(versionOf(now) ?? now.config.image, `machine ${m.id} is ${now.state}${failing.length ? ` with critical checks: ${failing.join(', ')}` : ' and its checks did not pass'} after ${Math.round(this.opts.waitMs / 1000)}s`);
      }
      await this.clock.sleep(CHECK_POLL_MS, this.opts.signal);
    }
  }
}
