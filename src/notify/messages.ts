/** Pure: what each channel sends, from the facts of one delivery. */
import type { NotificationFacts } from './contract.js';
import type { NotifyChannelConfig } from '../config/schema/notify.js';
import { subjectOf } from './subject.js';
import { asHtml, asLine, asSlack, asText, renderTemplate } from './template.js';

export type EmailTemplate = NonNullable<Extract<NotifyChannelConfig, { type: 'email' }>['template']>;
export type TextTemplate = NonNullable<Extract<NotifyChannelConfig, { type: 'slack' | 'teams' }>['template']>;
export type SummaryTemplate = NonNullable<Extract<NotifyChannelConfig, { type: 'pagerduty' }>['template']>;

/** Slack's longest section text; PagerDuty's longest summary. */
const SLACK_TEXT_MAX = 3000;
const PAGERDUTY_SUMMARY_MAX = 1024;

export { subjectOf };

/** The fields every message carries, in order, as label and value (absent ones left out). */
export function fieldsOf(f: NotificationFacts): [string, string][] {
  const all: [string, string | null][] = f.incident ? incidentFields(f, f.incident) : [
    ['Alert', f.alert ? `${f.alert.rule} (${f.alert.kind}, ${f.alert.id})` : null],
    ['Fired at', f.alert?.firedAt ?? null],
    ['App', f.app],
    ['Environment', f.environment],
    ['Version', f.previousVersion ? `${f.version} (was ${f.previousVersion})` : f.version],
    ['Commit', f.gitSha],
    ['Reason', f.reason],
    [f.alert ? (f.event === 'alert_resolved' ? 'Resolved by' : 'By') : 'Deployed by', f.actor],
    ['Time', f.at],
    ['Health', f.health],
    ['Error', f.error],
    ['CI run', f.ciUrl],
    ['Deployment', f.deploymentId],
  ];
  return all.filter((e): e is [string, string] => e[1] !== null && e[1] !== '');
}

function incidentFields(f: NotificationFacts, i: NonNullable<NotificationFacts['incident']>): [string, string | null][] {
  return [
    ['App', f.app],
    ['Environment', f.environment],
    ['Incident', `${i.id} (${i.type}, ${i.severity})`],
    ['Details', i.details],
    ['Reported by', f.actor],
    ['Time', f.at],
    ['Version', f.version],
    ['Deployments', i.deploymentIds.join(', ')],
    ['CI run', f.ciUrl],
  ];
}

export function textBody(f: NotificationFacts): string {
  return [subjectOf(f), '', ...fieldsOf(f).map(([k, v]) => `${k}: ${v}`), ''].join('\n');
}

export const escapeHtml = asHtml;

export function htmlBody(f: NotificationFacts): string {
  const rows = fieldsOf(f).map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${k === 'CI run' ? `<a href="${escapeHtml(v)}">${escapeHtml(v)}</a>` : escapeHtml(v)}</td></tr>`);
  return `<!doctype html><html><body><h2>${escapeHtml(subjectOf(f))}</h2><table>${rows.join('')}</table></body></html>`;
}

/** An email's subject and parts: the channel's template where it has one (without an `html` template, a `text` one makes the mail plain text only). */
export function emailMessage(f: NotificationFacts, t?: EmailTemplate): { subject: string; text: string; html?: string } {
  const subject = t?.subject ? renderTemplate(t.subject, f, asLine) : subjectOf(f);
  const text = t?.text ? renderTemplate(t.text, f, asText) : textBody(f);
  const html = t?.html ? renderTemplate(t.html, f, asHtml) : t?.text ? undefined : htmlBody(f);
  return html === undefined ? { subject, text } : { subject, text, html };
}

/** Slack Block Kit: a header, the fields, and a link to the CI run when there is one; with a template, its text alone. */
export function slackMessage(f: NotificationFacts, t?: TextTemplate): Record<string, unknown> {
  if (t) {
    const text = renderTemplate(t.text, f, asSlack).slice(0, SLACK_TEXT_MAX);
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
  }
  const fields = fieldsOf(f).map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}:*\n${v}` }));
  const blocks: Record<string, unknown>[] = [{ type: 'header', text: { type: 'plain_text', text: subjectOf(f), emoji: true } }];
  // Slack takes at most 10 fields per section.
  for (let i = 0; i < fields.length; i += 10) blocks.push({ type: 'section', fields: fields.slice(i, i + 10) });
  if (f.ciUrl) blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'CI run' }, url: f.ciUrl }] });
  return { text: subjectOf(f), blocks };
}

/** Teams Workflows: a message with one Adaptive Card (with a template, its text alone). */
export function teamsMessage(f: NotificationFacts, t?: TextTemplate): Record<string, unknown> {
  const body = t
    ? [{ type: 'TextBlock', wrap: true, text: renderTemplate(t.text, f, asText) }]
    : [
        { type: 'TextBlock', size: 'Large', weight: 'Bolder', wrap: true, text: subjectOf(f) },
        { type: 'FactSet', facts: fieldsOf(f).map(([title, value]) => ({ title, value })) },
      ];
  const card = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body,
    ...(f.ciUrl ? { actions: [{ type: 'Action.OpenUrl', title: 'CI run', url: f.ciUrl }] } : {}),
  };
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }] };
}

/** PagerDuty dedup key: one incident per app and environment. */
export function pagerDutyDedupKey(f: NotificationFacts): string {
  // A test opens (and names) an incident of its own, never the environment's.
  if (f.incident) return `shipgate/${f.app}/${f.environment}/incident/${f.incident.id}`;
  if (f.alert) return `shipgate/${f.app}/${f.environment}/alert/${f.alert.rule}`;
  return `shipgate/${f.app}/${f.environment}${f.event === 'test' ? '/test' : ''}`;
}

/** A PagerDuty summary: the template's, else the subject, app, version and error. */
function pagerDutySummary(f: NotificationFacts, t?: SummaryTemplate): string {
  const summary = t ? renderTemplate(t.summary, f, asLine) : `${subjectOf(f)}: ${f.app} ${f.version}${f.error ? `: ${f.error}` : ''}${f.incident ? `: ${f.incident.details}` : ''}`;
  return summary.slice(0, PAGERDUTY_SUMMARY_MAX);
}

/** PagerDuty Events API v2: trigger on a failure, resolve on the next success. */
export function pagerDutyEvent(f: NotificationFacts, routingKey: string, t?: SummaryTemplate): Record<string, unknown> {
  const dedup_key = pagerDutyDedupKey(f);
  if (f.event === 'succeeded' || f.event === 'alert_resolved') return { routing_key: routingKey, event_action: 'resolve', dedup_key };
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key,
    payload: {
      summary: pagerDutySummary(f, t),
      source: `shipgate/${f.app}/${f.environment}`,
      severity: f.incident ? pagerDutySeverity(f.incident.severity) : f.event === 'rollback_failed' ? 'critical' : f.event === 'alert_firing' ? 'warning' : 'error',
      timestamp: f.at,
      component: f.app,
      group: f.environment,
      class: f.event,
      custom_details: Object.fromEntries(fieldsOf(f)),
    },
    ...(f.ciUrl ? { links: [{ href: f.ciUrl, text: 'CI run' }] } : {}),
  };
}

/** An incident's severity as PagerDuty's (the lists are the same; anything else is a warning). */
function pagerDutySeverity(severity: string): string {
  return ['critical', 'error', 'warning', 'info'].includes(severity) ? severity : 'warning';
}

/** PagerDuty change event (`/v2/change/enqueue`): a deploy happened, whatever its outcome; it pages nobody. */
export function pagerDutyChangeEvent(f: NotificationFacts, routingKey: string, t?: SummaryTemplate): Record<string, unknown> {
  return {
    routing_key: routingKey,
    payload: { summary: pagerDutySummary(f, t), timestamp: f.at, source: `shipgate/${f.app}/${f.environment}`, custom_details: { event: f.event, ...Object.fromEntries(fieldsOf(f)) } },
    ...(f.ciUrl ? { links: [{ href: f.ciUrl, text: 'CI run' }] } : {}),
  };
}

/** The generic webhook's JSON body. */
export function webhookPayload(f: NotificationFacts): Record<string, unknown> {
  // An incident is `incident.opened`, an alert `alert.firing` / `alert.resolved`; everything else is about a deployment.
  const type = f.incident ? 'incident.opened' : f.alert ? `alert.${f.event.slice('alert_'.length)}` : `deployment.${f.event}`;
  return { type, timestamp: f.at, data: { ...f, subject: subjectOf(f) } };
}
