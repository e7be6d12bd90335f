/** Notifications: the channels a config names, and the sender that drains the outbox into them. */
import type { NotifyChannelConfig } from '../config/schema/notify.js';
import { toMs } from '../config/duration.js';
import type { HttpClient } from '../runtime/http.js';
import type { Masker } from '../runtime/secrets.js';
import { createEmailChannel } from './channels/email.js';
import { createHttpChannel } from './channels/http.js';
import type { NotificationChannel } from './contract.js';
import { changeChannelName, channelName } from './route.js';

export { createOutboxRoute, NO_OUTBOX, type OutboxRoute } from './route.js';
export { OutboxSender } from './sender.js';
export { DEFAULT_NOTIFY_EXIT_WAIT_MS } from './hand-off.js';

/** One channel per configured entry, by its name (and `<name>:change` for a PagerDuty channel's change events). */
export function createChannels(config: readonly NotifyChannelConfig[], http: HttpClient, masker: Masker): NotificationChannel[] {
  return config.flatMap((c, i) => {
    const name = channelName(c, i);
    const timeoutMs = toMs(c.timeout);
    if (c.type === 'email') return [createEmailChannel(c, name, timeoutMs, masker)];
    const own = createHttpChannel(c, name, timeoutMs, http, masker);
    return c.type === 'pagerduty' && c.changeEvents ? [own, createHttpChannel({ type: 'pagerduty-change', channel: c }, changeChannelName(name), timeoutMs, http, masker)] : [own];
  });
}
