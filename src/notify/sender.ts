/**
 * Sends what the outbox holds: right away when an event is journaled, with a per-attempt
 * timeout, and again later (backoff with jitter) when a channel fails. It runs beside the
 * pipeline and is never awaited by it: a channel that hangs delays no stage, no rollback,
 * and the exit only by the short grace of {@link OutboxSender.stopForExit}.
 */
import type { Clock } from '../runtime/clock.js';
import type { Masker } from '../runtime/secrets.js';
import type { NotificationRow, Store } from '../store/contract.js';
import { retryDelay } from './backoff.js';
import type { NotificationChannel, NotificationFacts, SendResult } from './contract.js';
import { factsOf } from './facts.js';
import { DEFAULT_NOTIFY_EXIT_WAIT_MS, exitWait, RELEASE_WAIT_MS, type AttemptUnderWay } from './hand-off.js';

/** How long {@link OutboxSender.flush} waits by default (`shipgate serve` stopping). */
export const DEFAULT_FLUSH_WAIT_MS = 2_000;
/** What a delivery cut off by its sender's stop says (it is due again at once, for the next sender). */
export const STOPPED_ERROR = 'cut off when its sender stopped (sent again by the next sender)';
/** Extra time a sender holds a row beyond the attempt's timeout before another process may take it. */
const LEASE_MARGIN_MS = 1_000;
const PAGE = 50;

export interface OutboxSenderOptions {
  store: Store;
  channels: readonly NotificationChannel[];
  clock: Clock;
  masker: Masker;
  /** [0, 1) for retry jitter. @default Math.random */
  random?: () => number;
  /** Told about each failed attempt (already masked). */
  onFailure?: (row: NotificationRow, error: string) => void;
}

export class OutboxSender {
  private readonly channels: Map<string, NotificationChannel>;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  /** Each attempt under way, by row id, with the promise of its end. */
  private readonly inFlight = new Map<string, AttemptUnderWay & { done: Promise<void> }>();
  /** Channels on which an attempt of this sender timed out. */
  private readonly stalled = new Set<string>();
  /** Channels that answered an attempt of this sender. */
  private readonly answered = new Set<string>();
  private readonly stop = new AbortController();

  constructor(private readonly opts: OutboxSenderOptions) {
    this.channels = new Map(opts.channels.map((c) => [c.name, c]));
  }

  /** Starts sending what is due (never throws, never waits). */
  kick(): void {
    if (this.stopped || this.channels.size === 0) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => (this.running = null));
  }

  /** Sends what is due now and waits at most `maxMs` for it; then stops, leaving the rest pending (what it cut off due at once). */
  async flush(maxMs = DEFAULT_FLUSH_WAIT_MS): Promise<void> {
    this.kick();
    await this.idleWithin(maxMs);
    this.stopped = true;
    this.stop.abort();
    await this.idleWithin(RELEASE_WAIT_MS);
  }

  /**
   * At exit: takes no new row, gives each attempt under way `graceMs` from its start (a
   * receiver that answers at all answers within it), then cuts off the rest. A delivery cut
   * off is released, due at once, for the background sender (or the next command) to send
   * again with the same idempotency key. Nothing is waited for beyond the grace, but the
   * release's write (itself bounded).
   */
  async stopForExit(graceMs = DEFAULT_NOTIFY_EXIT_WAIT_MS): Promise<void> {
    this.stopped = true;
    const wait = exitWait([...this.inFlight.values()], { stalled: this.stalled, answered: this.answered }, this.opts.clock.now(), graceMs);
    if (wait.ms > 0) await within(Promise.all(wait.ids.map((id) => this.inFlight.get(id)?.done)), wait.ms);
    this.stop.abort();
    await this.idleWithin(RELEASE_WAIT_MS);
  }

  private async idleWithin(ms: number): Promise<void> {
    await within(this.idle(), ms);
  }

  /** Resolves when nothing is being sent. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        const skipped = new Set<string>();
        for (;;) {
          const due = (await this.opts.store.listDueNotifications(this.iso(), PAGE)).filter((r) => this.channels.has(r.channel) && !skipped.has(r.id));
          if (due.length === 0 || this.stopped) break;
          await Promise.all(due.map((r) => this.attempt(r).then((done) => void (!done && skipped.add(r.id)))));
        }
      } while (this.again && !this.stopped);
    } catch {
      // The store went away (the command is closing): what is left stays pending for the next command.
    }
  }

  /** One attempt at one row; false when another sender holds it. */
  private async attempt(row: NotificationRow): Promise<boolean> {
    if (this.stopped) return true;
    const channel = this.channels.get(row.channel)!;
    const now = this.opts.clock.now();
    const lease = new Date(now + channel.timeoutMs + LEASE_MARGIN_MS).toISOString();
    if (!(await this.opts.store.claimNotification(row.id, row.nextAt, lease))) return false;
    const done = this.send(channel, row, now).then((result) => this.finish(row, lease, result));
    this.inFlight.set(row.id, { id: row.id, channel: row.channel, startedAt: now, done: done.catch(() => undefined) });
    try {
      await done;
    } finally {
      this.inFlight.delete(row.id);
    }
    return true;
  }

  private async send(channel: NotificationChannel, row: NotificationRow, now: number): Promise<SendResult> {
    const timeout = AbortSignal.timeout(channel.timeoutMs);
    const signal = AbortSignal.any([timeout, this.stop.signal]);
    try {
      const facts: NotificationFacts = this.opts.masker.maskValue(await factsOf(this.opts.store, row));
      const sent = channel.send({ id: row.id, facts, now, signal }).then((result) => {
        this.answered.add(channel.name);
        return result;
      });
      const aborted = new Promise<SendResult>((resolve) => signal.addEventListener('abort', () => resolve(timeout.aborted ? this.timedOut(channel) : { ok: false, error: STOPPED_ERROR }), { once: true }));
      const result = await Promise.race([sent, aborted]);
      // Cut off at exit: the channel's own error for the abort ("request aborted") is not its failure.
      return !result.ok && this.stop.signal.aborted && !timeout.aborted ? { ok: false, error: STOPPED_ERROR } : result;
    } catch (err) {
      if (this.stop.signal.aborted && !timeout.aborted) return { ok: false, error: STOPPED_ERROR };
      return { ok: false, error: this.opts.masker.mask((err as Error).message) };
    }
  }

  private timedOut(channel: NotificationChannel): SendResult {
    this.stalled.add(channel.name);
    return { ok: false, error: `no answer within ${channel.timeoutMs}ms` };
  }

  /** Writes the outcome while this sender still holds the row; past its lease another sender's outcome wins. */
  private async finish(row: NotificationRow, lease: string, result: SendResult): Promise<void> {
    const now = this.opts.clock.now();
    if (result.ok) {
      await this.opts.store.finishNotification(row.id, lease, { sentAt: new Date(now).toISOString() });
      return;
    }
    if (result.error === STOPPED_ERROR && this.stop.signal.aborted) {
      // Not the channel's failure: due again at once, for whoever sends next.
      await this.opts.store.finishNotification(row.id, lease, { error: STOPPED_ERROR, nextAt: new Date(now).toISOString() });
      return;
    }
    this.opts.onFailure?.(row, result.error);
    const delay = retryDelay(row.attempts + 1, (this.opts.random ?? Math.random)(), { retryAfterMs: result.retryAfterMs, permanent: result.permanent });
    const held = await this.opts.store.finishNotification(row.id, lease, { error: result.error, nextAt: delay === null ? null : new Date(now + delay).toISOString() });
    if (held && delay !== null && !this.stopped) this.retryLater(delay);
  }

  /** A retry within this process's life: a timer that does not keep the process alive. */
  private retryLater(delay: number): void {
    setTimeout(() => this.kick(), delay).unref();
  }

  private iso(): string {
    return new Date(this.opts.clock.now()).toISOString();
  }
}

/** Waits for `work`, at most `ms`. */
async function within(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
