import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NotifySchema } from '../../../src/config/schema/notify.js';
import { pagerDutyChangeUrl } from '../../../src/notify/channels/http.js';
import type { NotificationFacts } from '../../../src/notify/contract.js';
import { emailMessage, pagerDutyChangeEvent, pagerDutyEvent, slackMessage, teamsMessage } from '../../../src/notify/messages.js';
import { createOutboxRoute } from '../../../src/notify/route.js';
import { asHtml, asLine, asSlack, PLACEHOLDERS, renderTemplate, unknownPlaceholders } from '../../../src/notify/template.js';
import { configErrorOf, loadText, MINIMAL_YAML as M } from '../config/helpers.js';

const FACTS: NotificationFacts = {
  event: 'rolled_back',
  deploymentId: 'dep_20261203T150000Z_0001',
  app: 'shop',
  environment: 'production',
  version: 'v1.4.0',
  previousVersion: 'v1.3.9',
  kind: 'deploy',
  actor: 'alice',
  reason: 'hotfix <b>now</b> & "quick"',
  gitSha: '0123456789abcdef0123456789abcdef01234567',
  at: '2026-12-03T15:00:00.000Z',
  error: 'smoke api: HTTP 500',
  ciUrl: 'https://ci.example.com/runs/42',
  health: 'v1.3.9 is live again (v1.4.0 undone)',
};

describe('templates', () => {
  it('fills every placeholder from the facts; an absent fact is empty; spaces inside the braces are allowed', () => {
    const all = PLACEHOLDERS.map((p) => `${p}=[{{${p}}}]`).join(' ');
    expect(renderTemplate(all, FACTS)).toBe(
      'event=[rolled_back] subject=[⚠️ Production Rollback Executed] app=[shop] environment=[production] version=[v1.4.0] previousVersion=[v1.3.9] kind=[deploy] actor=[alice] reason=[hotfix <b>now</b> & "quick"] commit=[0123456789abcdef0123456789abcdef01234567] time=[2026-12-03T15:00:00.000Z] error=[smoke api: HTTP 500] url=[https://ci.example.com/runs/42] health=[v1.3.9 is live again (v1.4.0 undone)] deployment=[dep_20261203T150000Z_0001]',
    );
    expect(renderTemplate('{{ version }} by {{actor}}: {{reason}}', { ...FACTS, reason: null })).toBe('v1.4.0 by alice: ');
  });

  it('fills in one pass: a value that looks like a placeholder stays as written', () => {
    expect(renderTemplate('{{reason}}', { ...FACTS, reason: 'see {{actor}} and {{nope}}' })).toBe('see {{actor}} and {{nope}}');
  });

  it('lists the unknown placeholders once each', () => {
    expect(unknownPlaceholders('{{version}} {{ sha }} {{sha}} {{}} {{ a b }} {single} {{url}}')).toEqual(['sha', '', 'a b']);
    expect(unknownPlaceholders('Deployed {{version}} to {{environment}}')).toEqual([]);
  });

  it('escapes values for HTML, so no value opens a tag or leaves an attribute (any text)', () => {
    const decode = (s: string): string => s.replace(/&(amp|lt|gt|quot|#39);/g, (_e, n: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[n]!);
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'<>&"\'ab/ =;#{}x') }), fc.string(), (reason, actor) => {
        const html = renderTemplate('<a title="{{actor}}">{{reason}}</a>', { ...FACTS, reason, actor }, asHtml);
        const inner = html.slice('<a title="'.length, -'</a>'.length).split('">');
        expect(inner).toHaveLength(2);
        for (const part of inner) expect(part).not.toMatch(/[<>"']/);
        expect(decode(inner[0]!)).toBe(actor);
        expect(decode(inner[1]!)).toBe(reason);
      }),
    );
  });

  it('escapes values for Slack: a reason cannot mention @channel or hide a link', () => {
    expect(renderTemplate('{{reason}}', { ...FACTS, reason: '<!channel> <https://evil.example|click> & more' }, asSlack)).toBe('&lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; more');
    fc.assert(fc.property(fc.string(), (reason) => !/[<>]/.test(renderTemplate('{{reason}}', { ...FACTS, reason }, asSlack))));
  });

  it('keeps a subject on one line', () => {
    expect(renderTemplate('{{version}}: {{reason}}', { ...FACTS, reason: 'a\r\nBcc: x@example.com\nc' }, asLine)).toBe('v1.4.0: a Bcc: x@example.com c');
  });
});

describe('templates in messages', () => {
  it('email: each part replaces its own; a text template without html makes the mail plain text', () => {
    expect(emailMessage(FACTS, { subject: '[{{environment}}] {{version}} {{event}}' })).toMatchObject({ subject: '[production] v1.4.0 rolled_back', text: expect.stringContaining('Deployed by: alice') as string, html: expect.stringContaining('<table>') as string });
    expect(emailMessage(FACTS, { text: '{{version}} by {{actor}}' })).toEqual({ subject: '⚠️ Production Rollback Executed', text: 'v1.4.0 by alice' });
    expect(emailMessage(FACTS, { html: '<p>{{reason}}</p>' }).html).toBe('<p>hotfix &lt;b&gt;now&lt;/b&gt; &amp; &quot;quick&quot;</p>');
    expect(emailMessage(FACTS).subject).toBe('⚠️ Production Rollback Executed');
  });

  it('slack and teams: the template is the whole message', () => {
    expect(slackMessage(FACTS, { text: '*{{app}}* {{version}}: {{reason}} <{{url}}|CI>' })).toEqual({
      text: '*shop* v1.4.0: hotfix &lt;b&gt;now&lt;/b&gt; &amp; "quick" <https://ci.example.com/runs/42|CI>',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*shop* v1.4.0: hotfix &lt;b&gt;now&lt;/b&gt; &amp; "quick" <https://ci.example.com/runs/42|CI>' } }],
    });
    const card = (teamsMessage(FACTS, { text: '{{subject}} ({{commit}})' }) as { attachments: { content: { body: unknown[] } }[] }).attachments[0]!.content;
    expect(card.body).toEqual([{ type: 'TextBlock', wrap: true, text: '⚠️ Production Rollback Executed (0123456789abcdef0123456789abcdef01234567)' }]);
  });

  it('pagerduty: the summary template serves the alert and the change event', () => {
    const t = { summary: '{{app}} {{version}} {{event}} in {{environment}}' };
    expect((pagerDutyEvent(FACTS, 'key', t).payload as { summary: string }).summary).toBe('shop v1.4.0 rolled_back in production');
    expect(pagerDutyChangeEvent(FACTS, 'key', t)).toMatchObject({ payload: { summary: 'shop v1.4.0 rolled_back in production' } });
    expect((pagerDutyEvent(FACTS, 'key', { summary: 'x'.repeat(2000) }).payload as { summary: string }).summary).toHaveLength(1024);
  });
});

describe('pagerduty change events', () => {
  it('have the documented shape: routing_key, payload{summary, timestamp, source, custom_details}, links; no event_action', () => {
    const e = pagerDutyChangeEvent(FACTS, 'R0UT1NG');
    expect(Object.keys(e).sort()).toEqual(['links', 'payload', 'routing_key']);
    expect(e).toMatchObject({
      routing_key: 'R0UT1NG',
      payload: { summary: '⚠️ Production Rollback Executed: shop v1.4.0: smoke api: HTTP 500', timestamp: FACTS.at, source: 'shipgate/shop/production', custom_details: { event: 'rolled_back', Version: 'v1.4.0 (was v1.3.9)', Commit: FACTS.gitSha } },
      links: [{ href: FACTS.ciUrl, text: 'CI run' }],
    });
    expect(pagerDutyChangeEvent({ ...FACTS, ciUrl: null }, 'k')).not.toHaveProperty('links');
  });

  it('go next to the events endpoint', () => {
    expect(pagerDutyChangeUrl('https://events.pagerduty.com/v2/enqueue')).toBe('https://events.pagerduty.com/v2/change/enqueue');
    expect(pagerDutyChangeUrl('http://127.0.0.1:8080/v2/enqueue')).toBe('http://127.0.0.1:8080/v2/change/enqueue');
  });

  it('are routed for every outcome (not blocked) to a channel of their own, within the environments filter', () => {
    const route = createOutboxRoute(NotifySchema.parse([{ type: 'pagerduty', routingKey: 'k', name: 'pd', changeEvents: true, environments: ['production'] }, { type: 'pagerduty', routingKey: 'k2' }]));
    for (const status of ['succeeded', 'failed', 'rolled_back', 'cancelled']) expect(route('deploy:finished', { status }, 'production')).toContainEqual({ channel: 'pd:change', event: status });
    expect(route('deploy:finished', { status: 'rollback_failed' }, 'production')).toEqual([{ channel: 'pd', event: 'rollback_failed' }, { channel: 'pd:change', event: 'rollback_failed' }, { channel: 'pagerduty-2', event: 'rollback_failed' }]);
    expect(route('deploy:finished', { status: 'blocked' }, 'production')).toEqual([]);
    expect(route('deploy:started', {}, 'production')).toEqual([]);
    expect(route('deploy:finished', { status: 'succeeded' }, 'staging')).toEqual([{ channel: 'pagerduty-2', event: 'succeeded' }]);
  });
});

describe('template config', () => {
  it('accepts templates per channel type', () => {
    const { config } = loadText(`${M}notify:
  - { type: email, to: [a@example.com], smtp: { url: "smtp://127.0.0.1:25" }, template: { subject: "{{environment}}: {{version}}", html: "<b>{{reason}}</b>" } }
  - { type: slack, webhook: "https://s.example.com/x", template: { text: "{{subject}}" } }
  - { type: pagerduty, routingKey: k, changeEvents: true, template: { summary: "{{app}} {{version}}" } }
`);
    expect(config.notify.map((c) => ('template' in c ? c.template : undefined))).toEqual([{ subject: '{{environment}}: {{version}}', html: '<b>{{reason}}</b>' }, { text: '{{subject}}' }, { summary: '{{app}} {{version}}' }]);
    expect(config.notify[2]).toMatchObject({ changeEvents: true });
  });

  it('an unknown placeholder is an error naming the key path and the placeholder; a template key a channel does not have is refused', () => {
    const lines = configErrorOf(`${M}notify:
  - { type: email, to: [a@example.com], smtp: { url: "smtp://127.0.0.1:25" }, template: { subject: "{{environment}} {{sha}}" } }
  - { type: teams, webhook: "https://t.example.com/x", template: { text: "{{ verison }}" } }
  - { type: pagerduty, routingKey: k, template: { summary: "" } }
  - { type: slack, webhook: "https://s.example.com/x", template: { subject: "{{version}}" } }
  - { type: webhook, url: "https://h.example.com", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", template: { text: "x" } }
`).issues.join('\n');
    expect(lines).toContain('notify[0].template.subject: unknown placeholder {{sha}}; expected one of {{event}}, {{subject}}');
    expect(lines).toContain('notify[1].template.text: unknown placeholder {{verison}}');
    expect(lines).toContain('notify[2].template.summary: expected a template');
    expect(lines).toContain('notify[3].template.subject: unknown key');
    expect(lines).toContain('notify[4].template: unknown key');
  });
});
