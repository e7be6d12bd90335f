/** The background sender's work: send what is pending until nothing is, or its time is up. */
import type { NotificationRow, Store } from '../store/contract.js';
import { nextWakeMs } from './hand-off.js';
import { OutboxSender, type OutboxSenderOptions } from './sender.js';

/** Pending rows of these channels (due now, later, or held by a sender's lease). */
export async function pendingFor(store: Store, channels: ReadonlySet<string>): Promise<NotificationRow[]> {
  return (await store.listNotifications({ status: 'pending', limit: 10_000 })).filter((r) => channels.has(r.channel));
}

export interface DrainOptions extends OutboxSenderOptions {
  /** Clock ms after which nothing new is tried: what is left stays pending. */
  until: number;
}

/** Sends what the channels have pending, retrying as they fall due, until none is left or `until`; resolves with how many are left. */
export async function drainOutbox(opts: DrainOptions): Promise<number> {
  const sender = new OutboxSender(opts);
  const names = new Set(opts.channels.map((c) => c.name));
  for (;;) {
    sender.kick();
    if (!(await settles(sender, opts))) break;
    const wake = nextWakeMs((await pendingFor(opts.store, names)).map((r) => Date.parse(r.nextAt)), opts.clock.now(), opts.until);
    if (wake === null) break;
    await opts.clock.sleep(wake);
  }
  await sender.flush(0);
  return (await pendingFor(opts.store, names)).length;
}

/** Waits for the sender's pass, at most until `until`; false when the time is up first. */
async function settles(sender: OutboxSender, opts: DrainOptions): Promise<boolean> {
  const left = opts.until - opts.clock.now();
  if (left <= 0) return false;
  const stop = new AbortController();
  const timeUp = opts.clock.sleep(left, stop.signal).then(
    () => false,
    () => true,
  );
  const done = await Promise.race([sender.idle().then(() => true), timeUp]);
  stop.abort();
  return done;
}
