/** Pure: how alerts read in messages, and which channels hear them. */
import type { NotifyChannelConfig, NotifyEvent } from '../config/schema/notify.js';
import type { NewNotification } from '../store/contract.js';
import { channelEvents, channelName } from './route.js';

/** The health line of an alert's message. */
export function alertHealth(event: string, rule: string, summary: string): string {
  return event === 'alert_resolved' ? `${rule} recovered` : `${rule} firing: ${summary}`;
}

export type AlertEvent = Extract<NotifyEvent, 'alert_firing' | 'alert_resolved'>;

/** The outbox rows of one alert transition: channels that hear `alert_firing` hear its `alert_resolved` too. */
export type AlertRoute = (event: AlertEvent, environment: string) => NewNotification[];

export function createAlertRoute(channels: readonly NotifyChannelConfig[]): AlertRoute {
  const hearing = channels.map((c, i) => {
    const on = channelEvents(c);
    return { name: channelName(c, i), firing: on.has('alert_firing'), resolved: on.has('alert_firing') || on.has('alert_resolved'), environments: c.environments };
  });
  return (event, environment) =>
    hearing
      .filter((c) => (event === 'alert_firing' ? c.firing : c.resolved) && (c.environments === undefined || c.environments.includes(environment)))
      .map((c) => ({ channel: c.name, event }));
}
