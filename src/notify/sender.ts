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
/**
 * An attempt unanswered this long is a stall (not a slow answer: Slack's webhook often takes
 * half a second): the CLI then starts the background sender, waiting for its exit.
 */
export const STALL_MS = 500;
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
  /**
   * Told once, the first time an attempt has gone `stallMs` without an answer: the CLI then
   * starts the background sender, which waits for this process's exit (its start-up takes no
   * CPU from that exit, and a SIGKILL of this process leaves nothing unsent).
   */
  onStall?: () => void;
  /** @default STALL_MS */
  stallMs?: number;
  /** How long an attempt may go unanswered before its channel gets no other attempt until it ends. @default DEFAULT_NOTIFY_EXIT_WAIT_MS */
  holdMs?: number;
}

export class OutboxSender {
  private readonly channels: Map<string, NotificationChannel>;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  /** Each attempt under way, by row id, with its lease and the promise of its end. */
  private readonly inFlight = new Map<string, AttemptUnderWay & { lease: string; done: Promise<void> }>();
  /** Rows the stop released in its one write: their attempts' own outcome is not written. */
  private readonly released = new Set<string>();
  private stallTold = false;
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
    await this.cutOff();
  }

  /**
   * At exit: takes no new row, gives each attempt under way `graceMs` from its start (a
   * receiver that answers at all answers within it), then cuts off the rest. A delivery cut
   * off is released, due at once, for the background sender (or the next command) to send
   * again with the same idempotency key. Nothing is waited for beyond the grace, but the
   * release's write (itself bounded). Resolves to how many rows it released.
   */
  async stopForExit(graceMs = DEFAULT_NOTIFY_EXIT_WAIT_MS): Promise<number> {
    this.stopped = true;
    const wait = exitWait([...this.inFlight.values()], { stalled: this.stalled, answered: this.answered }, this.opts.clock.now(), graceMs);
    if (wait.ms > 0) await within(Promise.all(wait.ids.map((id) => this.inFlight.get(id)?.done)), wait.ms);
    return this.cutOff();
  }

  /**
   * Cuts off every attempt under way and releases their rows, due at once, in one write (the
   * exit waits for that write only, bounded): whoever sends next sends them again.
   */
  private async cutOff(): Promise<number> {
    this.stop.abort();
    const held = [...this.inFlight.values()].map((a) => ({ id: a.id, lease: a.lease }));
    if (held.length === 0) return 0;
    for (const h of held) this.released.add(h.id);
    let released = 0;
    await within(
      this.opts.store.releaseNotifications(held, { error: STOPPED_ERROR, nextAt: this.iso() }).then(
        (n) => (released = n),
        () => undefined,
      ),
      RELEASE_WAIT_MS,
    );
    return released;
  }

  private async idleWithin(ms: number): Promise<void> {
    await within(this.idle(), ms);
  }

  /** Resolves when nothing is being sent: no pass over the outbox, no attempt under way. */
  async idle(): Promise<void> {
    for (;;) {
      if (this.running) await this.running;
      else if (this.inFlight.size > 0) await Promise.all([...this.inFlight.values()].map((a) => a.done));
      else return;
    }
  }

  /**
   * One pass: claims every due row and starts its attempt without waiting for it, so that a
   * channel that hangs holds up only its own deliveries, never another channel's or a later
   * event's. Pages until nothing due is left that this sender may take.
   */
  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        const skipped = new Set<string>();
        for (;;) {
          const stalling = this.stallingChannels();
          const due = (await this.opts.store.listDueNotifications(this.iso(), PAGE)).filter((r) => this.channels.has(r.channel) && !skipped.has(r.id) && !this.inFlight.has(r.id) && !stalling.has(r.channel));
          if (due.length === 0 || this.stopped) break;
          const taken = await Promise.all(due.map((r) => this.start(r)));
          due.forEach((r, i) => void (!taken[i] && skipped.add(r.id)));
        }
      } while (this.again && !this.stopped);
    } catch {
      // The store went away (the command is closing): what is left stays pending for the next command.
    }
  }

  /**
   * Channels with an attempt under way for longer than the hold time: they get no other attempt
   * until it ends (it would hang too); their rows stay pending, for this sender once that
   * attempt ends, or for the background sender.
   */
  private stallingChannels(): Set<string> {
    const now = this.opts.clock.now();
    const holdMs = this.opts.holdMs ?? DEFAULT_NOTIFY_EXIT_WAIT_MS;
    return new Set([...this.inFlight.values()].filter((a) => now - a.startedAt >= holdMs).map((a) => a.channel));
  }

  /** Claims one row and starts its attempt (not waited for); false when another sender holds it or this one stopped. */
  private async start(row: NotificationRow): Promise<boolean> {
    if (this.stopped) return false;
    const channel = this.channels.get(row.channel)!;
    const now = this.opts.clock.now();
    const lease = new Date(now + channel.timeoutMs + LEASE_MARGIN_MS).toISOString();
    if (!(await this.opts.store.claimNotification(row.id, row.nextAt, lease))) return false;
    const stall = this.opts.onStall && !this.stallTold ? setTimeout(() => this.tellStall(), this.opts.stallMs ?? STALL_MS) : undefined;
    stall?.unref();
    const done = this.send(channel, row, now)
      .then((result) => this.finish(row, lease, result))
      .catch(() => undefined)
      .finally(() => {
        clearTimeout(stall);
        this.inFlight.delete(row.id);
        // Rows held back while this attempt stalled its channel are sent now.
        if (this.opts.clock.now() - now >= (this.opts.holdMs ?? DEFAULT_NOTIFY_EXIT_WAIT_MS)) this.kick();
      });
    this.inFlight.set(row.id, { id: row.id, channel: row.channel, startedAt: now, lease, done });
    return true;
  }

  private tellStall(): void {
    if (this.stallTold) return;
    this.stallTold = true;
    try {
      this.opts.onStall?.();
    } catch {
      // A listener's failure is not the sender's: the exit hands over what is pending instead.
    }
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
      // Not the channel's failure: due again at once, for whoever sends next (most were released in the stop's one write).
      if (!this.released.has(row.id)) await this.opts.store.finishNotification(row.id, lease, { error: STOPPED_ERROR, nextAt: new Date(now).toISOString() });
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
