/**
 * The CLI's notifier: drains the outbox while a command runs. The first time a delivery goes
 * unanswered for 500 ms, it starts the detached background sender, which waits for
 * this process's exit. At exit it waits only that grace for deliveries under way, releases what
 * it cuts off in one write, and leaves what is pending to that sender (started now when none is
 * waiting): a channel that never answers delays neither the run nor the exit.
 */
import type { LoadedConfig } from '../config/load.js';
import { errorMessage } from '../errors.js';
import { startBackgroundSender } from '../notify/background-sender.js';
import { isAlive } from '../notify/starter-exit.js';
import { pendingFor } from '../notify/drain.js';
import { createChannels, DEFAULT_NOTIFY_EXIT_WAIT_MS, OutboxSender } from '../notify/index.js';
import type { EventBus } from '../pipeline/events.js';
import { systemClock } from '../runtime/clock.js';
import { fetchHttp } from '../runtime/http.js';
import type { Store } from '../store/contract.js';
import type { Output } from './output.js';

/** `SHIPGATE_NOTIFY_EXIT_WAIT_MS` overrides how long a delivery under way at exit may take (from its start) before it is handed over. */
export const NOTIFY_EXIT_WAIT_ENV = 'SHIPGATE_NOTIFY_EXIT_WAIT_MS';

export interface CliNotifier {
  start(store: Store): void;
  attach(bus: EventBus): () => void;
  /** At exit, before the store closes: stops sending, and hands what is pending to the background sender. */
  flush(): Promise<void>;
}

export function attachNotifier(loaded: LoadedConfig, out: Output, env: NodeJS.ProcessEnv = process.env): CliNotifier {
  let sending: { sender: OutboxSender; store: Store; channels: Set<string> } | null = null;
  const configured = Number(env[NOTIFY_EXIT_WAIT_ENV] ?? DEFAULT_NOTIFY_EXIT_WAIT_MS);
  const waitMs = Number.isFinite(configured) && configured >= 0 ? configured : DEFAULT_NOTIFY_EXIT_WAIT_MS;
  /** The stand-by background sender this process started when a channel stalled. */
  let standby: number | null = null;
  const startStandby = (): void => {
    try {
      standby = startBackgroundSender(loaded.root, loaded.path, loaded.environment, env, true);
    } catch {
      // The exit tries again.
    }
  };
  return {
    start(store) {
      if (loaded.config.notify.length === 0) return;
      const channels = createChannels(loaded.config.notify, fetchHttp, loaded.masker);
      const sender = new OutboxSender({
        store,
        channels,
        clock: systemClock,
        masker: loaded.masker,
        onFailure: (row, error) => out.err(`warning: notification ${row.event} to ${row.channel} failed: ${error} (retried later)`),
        holdMs: waitMs,
        onStall: startStandby,
      });
      sending = { sender, store, channels: new Set(channels.map((c) => c.name)) };
      sender.kick();
    },
    // Every journaled event may have put rows in the outbox: send them now, without holding up the run.
    attach: (bus) => bus.onAny(() => sending?.sender.kick()),
    async flush() {
      if (!sending) return;
      const released = await sending.sender.stopForExit(waitMs);
      // A stand-by is waiting for this exit: it sends what is pending (nothing to start, nothing to look up).
      if (standby !== null && isAlive(standby)) return;
      await handOff(loaded, sending.store, sending.channels, out, env, released > 0);
    },
  };
}

/**
 * Starts the background sender when the channels have anything pending (`pending`: known to be,
 * since the exit released rows just now); a failure leaves it for the next command.
 */
async function handOff(loaded: LoadedConfig, store: Store, channels: Set<string>, out: Output, env: NodeJS.ProcessEnv, pending: boolean): Promise<void> {
  try {
    if (!pending && (await pendingFor(store, channels)).length === 0) return;
    if (startBackgroundSender(loaded.root, loaded.path, loaded.environment, env) === null) throw new Error('it did not start');
  } catch (err) {
    out.err(`warning: pending notifications could not be handed to a background sender (${errorMessage(err)}); the next command or shipgate serve sends them`);
  }
}
