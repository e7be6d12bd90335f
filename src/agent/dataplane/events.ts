import type { RouterEvent, RouterEventBatch } from '../contract.js';

/** Events a router process keeps for its agent; older ones are dropped (an agent that was away that long has missed nothing it still needs). */
export const DEFAULT_EVENTS_KEPT = 100;

type NewEvent = Omit<RouterEvent, 'seq'>;

/**
 * The router process's recent events, numbered from 1, with long-poll readers:
 * `after(n, waitMs)` answers at once when there are newer events, else when
 * the next one arrives or the wait is over (with none).
 */
export class EventLog {
  private readonly events: RouterEvent[] = [];
  private seq = 0;
  private waiters: (() => void)[] = [];

  constructor(
    readonly boot: string,
    private readonly kept = DEFAULT_EVENTS_KEPT,
  ) {}

  push(e: NewEvent): RouterEvent {
    const event = { ...e, seq: ++this.seq } as RouterEvent;
    this.events.push(event);
    if (this.events.length > this.kept) this.events.shift();
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
    return event;
  }

  /** Events after `after`. A reader that knew another router process (`boot`) gets all of them. */
  since(after: number, boot: string | null): RouterEventBatch {
    const from = boot === this.boot ? after : 0;
    return { boot: this.boot, next: this.seq, events: this.events.filter((e) => e.seq > from) };
  }

  async after(after: number, boot: string | null, waitMs: number): Promise<RouterEventBatch> {
    const now = this.since(after, boot);
    if (now.events.length > 0 || waitMs <= 0) return now;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => done(), waitMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      this.waiters.push(done);
    });
    return this.since(after, boot);
  }
}
