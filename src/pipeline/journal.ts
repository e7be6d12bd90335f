import type { Clock } from '../runtime/clock.js';
import type { Masker } from '../runtime/secrets.js';
import type { Store } from '../store/contract.js';
import type { AnyLifecycleEvent, EventBus, LifecycleEventName, LifecycleEvents } from './events.js';

/** Test hook: `SHIPGATE_CRASH_AFTER=stage:finished:build` SIGKILLs this process right after that event is journaled. */
export const CRASH_HOOK_ENV = 'SHIPGATE_CRASH_AFTER';

/**
 * The journal: every lifecycle event is masked, written to the store, and only
 * then handed to subscribers. Writes are awaited, so the store never lags behind
 * what happened.
 */
export class Journal {
  private readonly crashAfter: string | undefined;

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly masker: Masker,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.crashAfter = env[CRASH_HOOK_ENV] || undefined;
  }

  async append<K extends LifecycleEventName>(type: K, payload: LifecycleEvents[K]): Promise<void> {
    const at = new Date(this.clock.now()).toISOString();
    const data = this.masker.maskValue(payload) as LifecycleEvents[K] & { stage?: string; step?: string };
    await this.store.appendEvent({
      deploymentId: data.deploymentId,
      at,
      type,
      stage: data.stage ?? null,
      step: data.step ?? null,
      data: data as unknown as Record<string, unknown>,
    });
    this.bus.emit({ type, at, ...data } as AnyLifecycleEvent);
    this.maybeCrash(type, data.stage, data.step);
  }

  private maybeCrash(type: string, stage?: string, step?: string): void {
    if (!this.crashAfter) return;
    const here = [type, stage, step].filter(Boolean).join(':');
    if (here === this.crashAfter) process.kill(process.pid, 'SIGKILL');
  }
}
