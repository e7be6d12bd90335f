/** The channels that POST JSON: Slack, Teams, PagerDuty and signed webhooks. */
import { createHmac } from 'node:crypto';
import { PAGERDUTY_CHANGE_PATH, type NotifyChannelConfig } from '../../config/schema/notify.js';
import type { HttpClient, HttpResponse } from '../../runtime/http.js';
import type { Masker } from '../../runtime/secrets.js';
import { parseRetryAfter } from '../backoff.js';
import type { Delivery, NotificationChannel, SendResult } from '../contract.js';
import { pagerDutyChangeEvent, pagerDutyEvent, slackMessage, teamsMessage, webhookPayload } from '../messages.js';

type HttpChannelConfig = Extract<NotifyChannelConfig, { type: 'slack' | 'teams' | 'pagerduty' | 'webhook' }>;
type PagerDutyChannelConfig = Extract<NotifyChannelConfig, { type: 'pagerduty' }>;

/** The change events of a PagerDuty channel (`changeEvents: true`): a channel of their own in the outbox. */
export interface PagerDutyChangeConfig {
  type: 'pagerduty-change';
  channel: PagerDutyChannelConfig;
}

/** Pure: the change-event endpoint next to a PagerDuty channel's `url` (`…/v2/enqueue` → `…/v2/change/enqueue`). */
export function pagerDutyChangeUrl(url: string): string {
  return new URL(PAGERDUTY_CHANGE_PATH, url).toString();
}

interface Request {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Pure: Standard Webhooks `webhook-signature` of `body` (`v1,<base64 HMAC-SHA256>`). */
export function standardWebhookSignature(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

/** Pure: the request a channel makes for one delivery. Every body is masked once more as a whole. */
export function httpRequestOf(channel: HttpChannelConfig | PagerDutyChangeConfig, d: Pick<Delivery, 'id' | 'facts' | 'now'>, masker: Masker): Request {
  const json = { 'content-type': 'application/json' };
  switch (channel.type) {
    case 'slack':
      return { url: channel.webhook, headers: json, body: masker.mask(JSON.stringify(slackMessage(d.facts, channel.template))) };
    case 'teams':
      return { url: channel.webhook, headers: json, body: masker.mask(JSON.stringify(teamsMessage(d.facts, channel.template))) };
    case 'pagerduty': {
      // The routing key is the one secret that must go out (it addresses the service): set after masking.
      const event = { ...masker.maskValue(pagerDutyEvent(d.facts, '', channel.template)), routing_key: channel.routingKey };
      return { url: channel.url, headers: json, body: JSON.stringify(event) };
    }
    case 'pagerduty-change': {
      const pd = channel.channel;
      const event = { ...masker.maskValue(pagerDutyChangeEvent(d.facts, '', pd.template)), routing_key: pd.routingKey };
      return { url: pagerDutyChangeUrl(pd.url), headers: json, body: JSON.stringify(event) };
    }
    case 'webhook': {
      const body = masker.mask(JSON.stringify(webhookPayload(d.facts)));
      const ts = Math.floor(d.now / 1000);
      return { url: channel.url, headers: { ...json, 'webhook-id': d.id, 'webhook-timestamp': String(ts), 'webhook-signature': standardWebhookSignature(channel.secret, d.id, ts, body) }, body };
    }
  }
}

/** Pure: what an answer means for the delivery. */
export function resultOf(res: Pick<HttpResponse, 'status' | 'headers'>, now: number): SendResult {
  if (res.status >= 200 && res.status < 300) return { ok: true };
  const error = `HTTP ${res.status}`;
  if (res.status === 429) return { ok: false, error, ...retryAfter(res.headers['retry-after'], now) };
  if (res.status === 408 || res.status >= 500) return { ok: false, error, ...retryAfter(res.headers['retry-after'], now) };
  return { ok: false, error, permanent: true };
}

function retryAfter(header: string | undefined, now: number): { retryAfterMs?: number } {
  const ms = parseRetryAfter(header, now);
  return ms === undefined ? {} : { retryAfterMs: ms };
}

export function createHttpChannel(channel: HttpChannelConfig | PagerDutyChangeConfig, name: string, timeoutMs: number, http: HttpClient, masker: Masker): NotificationChannel {
  return {
    name,
    type: channel.type,
    timeoutMs,
    async send(d) {
      const req = httpRequestOf(channel, d, masker);
      const res = await http({ method: 'POST', url: req.url, headers: req.headers, body: req.body, timeoutMs, signal: d.signal });
      return resultOf(res, d.now);
    },
  };
}
