import { errorMessage } from '../../errors.js';
import type { Clock } from '../../runtime/clock.js';
import { FlyApiError, type FlyClient, type FlyMachine } from './client.js';
import { isStandby, STANDBY_KEY } from './machine-config.js';

/*
 * Blue machines a blue-green switch keeps stopped, so that a rollback within the
 * window is an instant switch. Each carries its keep-until time in its metadata;
 * once it has passed they are destroyed: by the next deploy (which replaces
 * them) or, without one, by `shipgate serve`'s sweeper at that time.
 */

/** How often the sweeper looks again when no kept machine is due sooner (a new blue-green deploy may have kept some). */
export const STANDBY_RESCAN_MS = 60_000;

/** When a kept machine's window ends (NaN when its metadata cannot be read: it is due). */
export function keptUntil(m: Pick<FlyMachine, 'config'>): number {
  return Date.parse(m.config.metadata?.[STANDBY_KEY] ?? '');
}

/** Pure: kept machines whose rollback window has closed (a time that cannot be read counts as closed). */
export function expiredStandby(all: readonly FlyMachine[], nowMs: number): FlyMachine[] {
  return all.filter((m) => isStandby(m) && m.state !== 'destroyed' && m.state !== 'destroying' && !(keptUntil(m) > nowMs));
}

/** Pure: when the sweeper should look next: the first window still open, or the rescan. */
export function nextSweepAt(all: readonly FlyMachine[], nowMs: number): number {
  const open = all.filter((m) => isStandby(m) && m.state !== 'destroyed' && keptUntil(m) > nowMs).map(keptUntil);
  return Math.min(nowMs + STANDBY_RESCAN_MS, ...open);
}

export interface SweepResult {
  destroyed: string[];
  /** Machines another holder has leased (a deploy in progress): left for the next sweep. */
  busy: string[];
  nextAt: number;
}

/** Destroys the kept machines whose window has closed, each under a lease of its own. */
export async function sweepStandby(client: FlyClient, clock: Clock): Promise<SweepResult> {
  const all = await client.list();
  const now = clock.now();
  const destroyed: string[] = [];
  const busy: string[] = [];
  for (const m of expiredStandby(all, now)) {
    let nonce: string;
    try {
      nonce = (await client.lease(m.id, 30, 'shipgate: rollback window closed')).nonce;
    } catch (err) {
      if (err instanceof FlyApiError && err.status === 409) {
        busy.push(m.id);
        continue;
      }
      throw err;
    }
    await client.destroy(m.id, nonce);
    destroyed.push(m.id);
  }
  return { destroyed, busy, nextAt: nextSweepAt(all, now) };
}

/**
 * `shipgate serve` on a Fly.io environment: sweeps at each kept machine's
 * deadline (and every STANDBY_RESCAN_MS) until stopped. A failed sweep is
 * reported and tried again at the next rescan.
 */
export function startStandbySweeper(opts: { client: FlyClient; clock: Clock; onSwept: (r: SweepResult) => void; onError: (message: string) => void }): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const schedule = (at: number): void => {
    if (stopped) return;
    timer = setTimeout(() => (running = sweep()), Math.max(0, at - opts.clock.now()));
    timer.unref?.();
  };
  const sweep = async (): Promise<void> => {
    try {
      const r = await sweepStandby(opts.client, opts.clock);
      if (r.destroyed.length > 0 || r.busy.length > 0) opts.onSwept(r);
      schedule(r.busy.length > 0 ? Math.min(r.nextAt, opts.clock.now() + 5_000) : r.nextAt);
    } catch (err) {
      opts.onError(`kept blue machines: ${errorMessage(err)} (tried again in ${STANDBY_RESCAN_MS / 1000} s)`);
      schedule(opts.clock.now() + STANDBY_RESCAN_MS);
    }
  };
  running = sweep();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
