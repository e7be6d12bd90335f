/** Pure: which lifecycle events become which notifications, for which channels. */
import { CHANGE_EVENTS, DEFAULT_NOTIFY_ON, DEFAULT_PAGERDUTY_ON, type NotifyChannelConfig, type NotifyEvent } from '../config/schema/notify.js';
import type { OutboxRoute } from '../pipeline/journal.js';

/** Outcome statuses of `deploy:finished` that channels hear under their own name. */
const FINISHED: ReadonlySet<string> = new Set(['succeeded', 'failed', 'rolled_back', 'rollback_failed', 'cancelled', 'blocked']);

/** The notification a journal event stands for, or null. */
export function notifyEventOf(type: string, data: Record<string, unknown>): NotifyEvent | null {
  if (type === 'deploy:started') return 'started';
  if (type === 'deploy:finished' && typeof data.status === 'string' && FINISHED.has(data.status)) return data.status as NotifyEvent;
  if (type === 'gate:waiting' && data.gate === 'approval') return 'approval_needed';
  if (type === 'rollout:paused') return 'paused';
  if (type === 'incident:opened') return 'incident';
  return null;
}

/** A channel's name: as configured, else `<type>-<position from 1>`. */
export function channelName(channel: NotifyChannelConfig, index: number): string {
  return channel.name ?? `${channel.type}-${index + 1}`;
}

/** The outbox channel of a PagerDuty channel's change events (`:` is never in a configured name). */
export function changeChannelName(name: string): string {
  return `${name}:change`;
}

/** The events a channel hears. PagerDuty also hears `succeeded`: it resolves the incident a failure opened. */
export function channelEvents(channel: NotifyChannelConfig): ReadonlySet<NotifyEvent> {
  const on = channel.on ?? (channel.type === 'pagerduty' ? DEFAULT_PAGERDUTY_ON : DEFAULT_NOTIFY_ON);
  return new Set(channel.type === 'pagerduty' ? [...on, 'succeeded'] : on);
}

export type { OutboxRoute } from '../pipeline/journal.js';

export const NO_OUTBOX: OutboxRoute = () => [];

/** The outbox rows of one journal event under `channels`. */
export function createOutboxRoute(channels: readonly NotifyChannelConfig[]): OutboxRoute {
  if (channels.length === 0) return NO_OUTBOX;
  const compiled = channels.flatMap((c, i) => {
    const name = channelName(c, i);
    const own = { name, events: channelEvents(c), environments: c.environments };
    // Change events are deliveries of their own: retried, listed and keyed apart from the page.
    return c.type === 'pagerduty' && c.changeEvents ? [own, { name: changeChannelName(name), events: new Set(CHANGE_EVENTS), environments: c.environments }] : [own];
  });
  return (type, data, environment) => {
    const event = notifyEventOf(type, data);
    if (event === null) return [];
    return compiled.filter((c) => c.events.has(event) && (c.environments === undefined || c.environments.includes(environment))).map((c) => ({ channel: c.name, event }));
  };
}
