/**
 * Pure: a channel's own wording, `{{name}}` placeholders filled from the facts of one delivery.
 * Nothing else is evaluated: no expressions, no helpers, and a value is never read as a template
 * (one pass), so a reason that contains `{{...}}` stays as written.
 */
import type { NotificationFacts } from './contract.js';
import { subjectOf } from './subject.js';

/** The placeholders a template may use. */
export const PLACEHOLDERS = ['event', 'subject', 'app', 'environment', 'version', 'previousVersion', 'kind', 'actor', 'reason', 'commit', 'time', 'error', 'url', 'health', 'deployment'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

const KNOWN: ReadonlySet<string> = new Set(PLACEHOLDERS);
/** `{{ name }}`: anything between double braces is a placeholder (and must be a known one). */
const PLACEHOLDER_RE = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The placeholders of `template` that are not known, in order, each once. */
export function unknownPlaceholders(template: string): string[] {
  const unknown = [...template.matchAll(PLACEHOLDER_RE)].map((m) => m[1]!).filter((name) => !KNOWN.has(name));
  return [...new Set(unknown)];
}

/** What each placeholder stands for; an absent fact is the empty string. */
export function placeholderValues(f: NotificationFacts): Record<Placeholder, string> {
  return {
    event: f.event,
    subject: subjectOf(f),
    app: f.app,
    environment: f.environment,
    version: f.version,
    previousVersion: f.previousVersion ?? '',
    kind: f.kind,
    actor: f.actor,
    reason: f.reason ?? '',
    commit: f.gitSha ?? '',
    time: f.at,
    error: f.error ?? '',
    url: f.ciUrl ?? '',
    health: f.health,
    deployment: f.deploymentId,
  };
}

/** How values are written into a template of each kind. */
export type TemplateEscape = (value: string) => string;

/** Values as they are (plain text: an email's text part, a PagerDuty summary, a Teams card). */
export const asText: TemplateEscape = (v) => v;

/** One line: an email subject (a value's line breaks become spaces). */
export const asLine: TemplateEscape = (v) => v.replace(/[\r\n]+/g, ' ');

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** HTML: `& < > " '` escaped, so a value can neither open a tag nor leave an attribute. */
export const asHtml: TemplateEscape = (v) => v.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/** Slack mrkdwn: `& < >` escaped, so a value cannot mention `<!channel>` or hide a link. */
export const asSlack: TemplateEscape = (v) => v.replace(/[&<>]/g, (c) => HTML_ESCAPES[c]!);

/** `template` with each placeholder replaced by its value, written with `escape`. Unknown ones were refused by the config. */
export function renderTemplate(template: string, f: NotificationFacts, escape: TemplateEscape = asText): string {
  const values = placeholderValues(f);
  return template.replace(PLACEHOLDER_RE, (whole, name: string) => (KNOWN.has(name) ? escape(values[name as Placeholder]) : whole));
}
