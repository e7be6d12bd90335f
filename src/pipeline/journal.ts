import type { Clock } from '../runtime/clock.js';
import type { Masker } from '../runtime/secrets.js';
import type { NewNotification, Store } from '../store/contract.js';
import { DEFAULT_LISTENER_TIMEOUT_MS, type AnyLifecycleEvent, type EventBus, type EventContext, type LifecycleEventName, type LifecycleEvents } from './events.js';

/**
 * Test hook: `SHIPGATE_CRASH_AFTER=stage:finished:build` SIGKILLs this process right after that event is
 * journaled; `SHIPGATE_CRASH_AFTER=reject:stage:finished:build` leaves an unhandled rejection there instead.
 * A suffix `#N` picks the N-th event with that key (`stage:noted:migrate#3`: after the second migration's note).
 */
export const CRASH_HOOK_ENV = 'SHIPGATE_CRASH_AFTER';

export interface CrashPoint {
  /** `type:stage:step`, optionally prefixed with `reject:`. */
  key: string;
  /** Which occurrence of the key, from 1. */
  nth: number;
}

/** Pure: the hook's value as a key and an occurrence (`#N`; the first when absent or not a positive number). */
export function parseCrashPoint(spec: string): CrashPoint {
  const m = /^(.*)#(\d+)$/.exec(spec);
  const nth = m ? Number(m[2]) : 1;
  return m && nth >= 1 ? { key: m[1]!, nth } : { key: spec, nth: 1 };
}

/** The outbox rows an event brings (notifications to send), written in the same step as the event. */
export type OutboxRoute = (type: string, data: Record<string, unknown>, environment: string) => NewNotification[];

/** Events whose listeners the pipeline waits for (bounded) before it goes on: the run is ending. */
const AWAITED: ReadonlySet<LifecycleEventName> = new Set(['deploy:finished']);

/**
 * The journal of one deployment: every lifecycle event is masked, written to the
 * store, and only then handed to subscribers, with the deployment's context.
 * Writes are awaited, so the store never lags behind what happened; listeners
 * are not (but for the last event), so a slow or failing subscriber never holds
 * up a deploy or its rollback.
 */
export class Journal {
  private readonly crashAfter: CrashPoint | undefined;
  private crashSeen = 0;

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly masker: Masker,
    private readonly context: EventContext,
    env: NodeJS.ProcessEnv = process.env,
    private readonly listenerWaitMs = DEFAULT_LISTENER_TIMEOUT_MS,
    private readonly route: OutboxRoute = () => [],
  ) {
    const spec = env[CRASH_HOOK_ENV];
    this.crashAfter = spec ? parseCrashPoint(spec) : undefined;
  }

  async append<K extends LifecycleEventName>(type: K, payload: LifecycleEvents[K]): Promise<void> {
    const at = new Date(this.clock.now()).toISOString();
    const data = this.masker.maskValue(payload) as LifecycleEvents[K] & { stage?: string | null; step?: string };
    const record = data as unknown as Record<string, unknown>;
    await this.store.appendEvent(
      { deploymentId: data.deploymentId, at, type, stage: data.stage ?? null, step: data.step ?? null, data: record },
      this.route(type, record, this.context.environment),
    );
    const heard = this.bus.emit({ type, at, context: this.context, ...data } as AnyLifecycleEvent, AWAITED.has(type) ? this.listenerWaitMs : 0);
    if (AWAITED.has(type)) await heard;
    this.maybeCrash(type, data.stage ?? undefined, data.step);
  }

  private maybeCrash(type: string, stage?: string, step?: string): void {
    if (!this.crashAfter) return;
    const here = [type, stage, step].filter(Boolean).join(':');
    const { key, nth } = this.crashAfter;
    if (key !== here && key !== `reject:${here}`) return;
    if (++this.crashSeen !== nth) return;
    if (key === here) process.kill(process.pid, 'SIGKILL');
    else void Promise.reject(new Error(`injected by ${CRASH_HOOK_ENV} after ${here}`));
  }
}

/** The context of a deployment's events, from its facts or its stored row. */
export function eventContext(d: { id: string; app: string; environment: string; version: string; kind: EventContext['kind'] } & ({ actor: string } | { triggeredBy: string })): EventContext {
  return { deploymentId: d.id, app: d.app, environment: d.environment, version: d.version, kind: d.kind, actor: 'actor' in d ? d.actor : d.triggeredBy };
}
