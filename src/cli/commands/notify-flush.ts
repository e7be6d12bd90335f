/**
 * `shipgate notify flush` (hidden): the background sender. A command that exits with
 * deliveries pending starts it detached; it sends them with the channels' timeouts, retries
 * as they fall due for {@link DEFAULT_BACKGROUND_SEND_MS} at most, then exits. What it could
 * not send stays pending for the next command or `shipgate serve`; a SIGKILL loses nothing.
 */
import { createChannels } from '../../notify/index.js';
import { registerSender } from '../../notify/background-sender.js';
import { drainOutbox } from '../../notify/drain.js';
import { DEFAULT_BACKGROUND_SEND_MS } from '../../notify/hand-off.js';
import { systemClock } from '../../runtime/clock.js';
import { fetchHttp } from '../../runtime/http.js';
import { openStore } from '../../store/index.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalOptions, Output } from '../output.js';
import { fullConfig } from '../pipeline-context.js';

export async function notifyFlushCommand(flags: GlobalOptions, out: Output): Promise<number> {
  const loaded = await fullConfig(flags, out);
  const say = (text: string): void => out.line(`${new Date().toISOString()} notify flush (pid ${process.pid}): ${text}`);
  const started = systemClock.now();
  const until = started + DEFAULT_BACKGROUND_SEND_MS;
  const store = await openStore(loaded.config.store.url, { root: loaded.root });
  const forget = registerSender(loaded.root, { pid: process.pid, startedAt: new Date(started).toISOString(), until: new Date(until).toISOString() });
  try {
    const channels = createChannels(loaded.config.notify, fetchHttp, loaded.masker);
    const left = await drainOutbox({ store, channels, clock: systemClock, masker: loaded.masker, until, onFailure: (row, error) => say(`${row.event} to ${row.channel} failed: ${error}`) });
    say(left === 0 ? 'nothing left pending' : `${left} left pending for the next command or shipgate serve`);
    return EXIT.ok;
  } finally {
    forget();
    await store.close();
  }
}
