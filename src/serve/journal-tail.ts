/**
 * Follows the journal in the store with a cursor (the seq of the last event seen):
 * every event any process journals reaches the server's subscribers (SSE clients,
 * metrics), whichever runner wrote it. Nothing relies on an in-memory bus.
 */
import type { Store, StoredEvent } from '../store/contract.js';

export const DEFAULT_TAIL_POLL_MS = 250;
const PAGE = 500;

export type EventListener = (event: StoredEvent) => void;

export interface JournalTailOptions {
  app: string;
  /** @default DEFAULT_TAIL_POLL_MS */
  pollMs?: number;
  /** Called when a read fails (the tail keeps going and tries again). */
  onError?: (err: unknown) => void;
}

export class JournalTail {
  private seq = 0;
  private readonly listeners = new Set<EventListener>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly store: Pick<Store, 'listEventsAfter'>,
    private readonly opts: JournalTailOptions,
  ) {}

  /** The seq of the newest event handed to subscribers. */
  get lastSeq(): number {
    return this.seq;
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads everything journaled since the last read (page by page) and hands it out. */
  async poll(): Promise<void> {
    for (;;) {
      const page = await this.store.listEventsAfter(this.seq, { limit: PAGE, app: this.opts.app });
      for (const event of page) this.handOut(event);
      if (page.length < PAGE || this.stopped) return;
    }
  }

  private handOut(event: StoredEvent): void {
    this.seq = event.seq;
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.opts.onError?.(err);
      }
    }
  }

  /** Polls every `pollMs` until stopped. */
  start(): void {
    const tick = (): void => {
      this.running = this.poll()
        .catch((err: unknown) => this.opts.onError?.(err))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.opts.pollMs ?? DEFAULT_TAIL_POLL_MS);
        });
    };
    this.timer = setTimeout(tick, this.opts.pollMs ?? DEFAULT_TAIL_POLL_MS);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
