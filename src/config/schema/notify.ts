import { z } from 'zod';
import { type Duration } from '../duration.js';
import { durationWithin } from './duration.js';
import { HttpUrlSchema, NameSchema } from './primitives.js';
import { PLACEHOLDERS, unknownPlaceholders } from '../../notify/template.js';

/**
 * What a channel can be told about: the outcome of a deployment, moments a person may need to act,
 * exported incidents, and the alerts of `monitor:` (a channel that hears `alert_firing` also hears `alert_resolved`).
 */
export const NOTIFY_EVENTS = ['started', 'succeeded', 'failed', 'rolled_back', 'rollback_failed', 'cancelled', 'blocked', 'approval_needed', 'paused', 'incident', 'alert_firing', 'alert_resolved'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** Events a channel hears when it sets no `on:`. */
export const DEFAULT_NOTIFY_ON: readonly NotifyEvent[] = ['succeeded', 'failed', 'rolled_back', 'rollback_failed'];
/** PagerDuty pages a person: only a failed rollback unless `on:` says more. */
export const DEFAULT_PAGERDUTY_ON: readonly NotifyEvent[] = ['rollback_failed'];
/** Longest one delivery attempt may take. */
export const DEFAULT_NOTIFY_TIMEOUT = '10s' as Duration;
export const DEFAULT_PAGERDUTY_URL = 'https://events.pagerduty.com/v2/enqueue';
/** Where change events go, relative to the channel's `url` (`…/v2/enqueue` → `…/v2/change/enqueue`). */
export const PAGERDUTY_CHANGE_PATH = 'change/enqueue';
/** The outcomes a PagerDuty channel with `changeEvents: true` reports as change events (`blocked` changed nothing). */
export const CHANGE_EVENTS: readonly NotifyEvent[] = ['succeeded', 'failed', 'rolled_back', 'rollback_failed', 'cancelled'];
export const DEFAULT_EMAIL_FROM = 'shipgate <shipgate@localhost>';

const EMAIL_RE = /^[^\s@<>]+@[^\s@<>]+$/;
const SMTP_URL_RE = /^smtps?:\/\/[^\s]+$/;
/** Standard Webhooks secrets: base64, optionally prefixed `whsec_`. */
const WEBHOOK_SECRET_RE = /^(whsec_)?[A-Za-z0-9+/]{16,}={0,2}$/;

const common = {
  name: NameSchema.optional().describe('Name of the channel in `shipgate notify list|test|retry` and the outbox. Default: `<type>-<position from 1>`.'),
  on: z
    .array(z.enum(NOTIFY_EVENTS))
    .min(1, { error: 'expected at least one event' })
    .optional()
    .describe(`Events sent to this channel. Default: ${DEFAULT_NOTIFY_ON.join(', ')} (pagerduty: ${DEFAULT_PAGERDUTY_ON.join(', ')}).`),
  environments: z.array(NameSchema).min(1, { error: 'expected at least one environment' }).optional().describe('Only deployments to these environments. Default: every environment.'),
  timeout: durationWithin(100, 120_000).default(DEFAULT_NOTIFY_TIMEOUT).describe('Longest one delivery attempt may take; a slower one is retried later.'),
};

/** A template: text with `{{placeholder}}`s, each one of {@link PLACEHOLDERS}. */
const template = (what: string) =>
  z
    .string({ error: 'expected a template (text with {{placeholders}})' })
    .min(1, { error: 'expected a template (text with {{placeholders}})' })
    .superRefine((text, ctx) => {
      for (const name of unknownPlaceholders(text)) ctx.addIssue({ code: 'custom', message: `unknown placeholder {{${name}}}; expected one of ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}` });
    })
    .describe(`${what}; \`{{placeholders}}\` as in Notifications.`);

const secretUrl = (what: string) => HttpUrlSchema.describe(`${what} (a secret: masked everywhere).`);

export const EmailChannelSchema = z.strictObject({
  type: z.literal('email').describe('Email through SMTP (plain text and HTML).'),
  ...common,
  to: z.array(z.string().regex(EMAIL_RE, { error: 'expected an email address' })).min(1, { error: 'expected at least one address' }).describe('Recipients.'),
  from: z.string().min(1).default(DEFAULT_EMAIL_FROM).describe('Sender.'),
  smtp: z
    .strictObject({
    url: z.string({ error: 'expected smtp://user:password@host:port or smtps://…' }).regex(SMTP_URL_RE, { error: 'expected smtp://user:password@host:port or smtps://…' }).describe('SMTP server; its password is masked everywhere.'),
    })
    .describe('How mail is sent.'),
  template: z
    .strictObject({
      subject: template('Subject line').optional(),
      text: template('Plain text part (without `html`, the mail is plain text only)').optional(),
      html: template('HTML part (values are HTML-escaped)').optional(),
    })
    .optional()
    .describe('Own wording instead of the default message; each part replaces its own.'),
});

const textTemplate = (what: string) => z.strictObject({ text: template(what) }).optional().describe('Own wording instead of the default message.');

export const SlackChannelSchema = z.strictObject({
  type: z.literal('slack').describe('A Slack incoming webhook (Block Kit).'),
  ...common,
  webhook: secretUrl('Slack incoming webhook URL'),
  template: textTemplate('The whole message as mrkdwn (values escaped for Slack)'),
});
export const TeamsChannelSchema = z.strictObject({
  type: z.literal('teams').describe('A Teams Workflows URL (Adaptive Card).'),
  ...common,
  webhook: secretUrl('Teams Workflows URL'),
  template: textTemplate("The card's text"),
});

export const PagerDutyChannelSchema = z.strictObject({
  type: z.literal('pagerduty').describe('PagerDuty Events API v2: trigger on failure, resolve on the next success.'),
  ...common,
  routingKey: z.string({ error: 'expected the integration (routing) key' }).min(1, { error: 'expected the integration (routing) key' }).describe('Events API v2 integration key (a secret).'),
  url: HttpUrlSchema.default(DEFAULT_PAGERDUTY_URL).describe('Events API v2 endpoint.'),
  changeEvents: z.boolean().default(false).describe(`Also a change event for every outcome (${CHANGE_EVENTS.join(', ')}), POSTed to \`${PAGERDUTY_CHANGE_PATH}\` next to \`url\`.`),
  template: z.strictObject({ summary: template('Summary of the alert and of the change event') }).optional().describe('Own wording instead of the default summary.'),
});

export const WebhookChannelSchema = z.strictObject({
  type: z.literal('webhook').describe('An HTTP POST of the event as JSON, signed per Standard Webhooks.'),
  ...common,
  url: secretUrl('Where events are POSTed, signed per Standard Webhooks'),
  secret: z.string({ error: 'expected a signing secret' }).regex(WEBHOOK_SECRET_RE, { error: 'expected a base64 signing secret (optionally whsec_…), at least 16 characters' }).describe('Signing secret (Standard Webhooks, base64, optionally `whsec_`).'),
});

export const NotifyChannelSchema = z.discriminatedUnion('type', [EmailChannelSchema, SlackChannelSchema, PagerDutyChannelSchema, WebhookChannelSchema, TeamsChannelSchema], {
  error: 'expected a channel with type email, slack, pagerduty, webhook or teams',
});

export const NotifySchema = z.array(NotifyChannelSchema, { error: 'expected a list of channels' }).default([]).describe('Where people are told about deployments.');

export type NotifyChannelConfig = z.infer<typeof NotifyChannelSchema>;
export const NOTIFY_CHANNEL_TYPES = ['email', 'slack', 'pagerduty', 'webhook', 'teams'] as const;
