/**
 * Every channel against a real receiver started here: an SMTP server (smtp-server, parsed with
 * mailparser) and local HTTP servers checking Slack's, Teams', PagerDuty's and Standard Webhooks'
 * shapes. The outbox is a real SQLite store; the sender is the one the CLI runs.
 */
import type { Server } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotifySchema, type NotifyChannelConfig } from '../../src/config/schema/notify.js';
import { createChannels, createOutboxRoute, OutboxSender } from '../../src/notify/index.js';
import { systemClock } from '../../src/runtime/clock.js';
import { fetchHttp } from '../../src/runtime/http.js';
import { Masker } from '../../src/runtime/secrets.js';
import type { NewDeployment, Store } from '../../src/store/contract.js';
import { openStore } from '../../src/store/index.js';
import { makeTempDir, type TempDir } from '../support/tmp.js';
import { receiver } from '../support/http-receiver.js';
import { SMTP_TEST_PASSWORD, smtpReceiver } from '../support/smtp-receiver.js';

const WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdef012345';
const SMTP_PASSWORD = SMTP_TEST_PASSWORD;
const DB_PASSWORD = 'db-pass-in-reason-7781';

const DEP: NewDeployment = {
  id: 'dep_20261122T173000Z_0001',
  app: 'shop',
  environment: 'staging',
  kind: 'deploy',
  version: 'v1.4.0',
  previousVersion: 'v1.3.9',
  status: 'succeeded',
  triggeredBy: 'alice',
  reason: `hotfix; the old one leaked ${DB_PASSWORD}`,
  gitSha: '0123456789abcdef0123456789abcdef01234567',
  gitRef: 'refs/tags/v1.4.0',
  rollbackOf: null,
  startedAt: '2026-11-22T17:30:00.000Z',
  meta: { ciUrl: 'https://ci.example.com/runs/42' },
};

let dir: TempDir;
let store: Store;
const closers: (() => Promise<void> | void)[] = [];

beforeEach(async () => {
  dir = await makeTempDir('shipgate-notify-');
  store = await openStore('sqlite:state.db', { root: dir.path });
  await store.createDeployment(DEP);
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await store.close();
  await dir.cleanup();
});

async function serve<T extends { server: Server }>(r: Promise<T>): Promise<T> {
  const got = await r;
  closers.push(() => new Promise<void>((res) => got.server.close(() => res())));
  return got;
}

/** Journals `status` for DEP through the outbox route of `config`, then sends until nothing is due. */
async function deliver(config: unknown[], type: string, data: Record<string, unknown>, masker: Masker): Promise<{ sender: OutboxSender; channels: NotifyChannelConfig[] }> {
  const channels = NotifySchema.parse(config);
  const rows = createOutboxRoute(channels)(type, data, DEP.environment);
  await store.appendEvent({ deploymentId: DEP.id, at: '2026-11-22T17:35:00.000Z', type, stage: null, step: null, data }, rows);
  const sender = new OutboxSender({ store, channels: createChannels(channels, fetchHttp, masker), clock: systemClock, masker, random: () => 0 });
  sender.kick();
  await sender.idle();
  return { sender, channels };
}

function maskerFor(...secrets: string[]): Masker {
  return new Masker(secrets);
}

describe('notification channels against real receivers', () => {
  it('webhook: signed per Standard Webhooks, verified with the standardwebhooks library', async () => {
    const hook = await serve(receiver());
    await deliver([{ type: 'webhook', url: `${hook.url}/deploys`, secret: WEBHOOK_SECRET }], 'deploy:finished', { deploymentId: DEP.id, status: 'succeeded' }, maskerFor(WEBHOOK_SECRET, DB_PASSWORD));
    expect(hook.hits).toHaveLength(1);
    const [hit] = hook.hits;
    const verified = new Webhook(WEBHOOK_SECRET).verify(hit!.body, hit!.headers as Record<string, string>) as { type: string; data: Record<string, unknown> };
    expect(verified.type).toBe('deployment.succeeded');
    expect(verified.data).toMatchObject({ app: 'shop', environment: 'staging', version: 'v1.4.0', actor: 'alice', gitSha: DEP.gitSha, ciUrl: DEP.meta.ciUrl, subject: '✅ Staging Deployment Successful' });
    expect(hit!.headers['webhook-id']).toMatch(/^ntf_dep_20261122T173000Z_0001_\d+_webhook-1$/);
    // A tampered body fails verification: the check is real.
    expect(() => new Webhook(WEBHOOK_SECRET).verify(hit!.body.replace('alice', 'mallory'), hit!.headers as Record<string, string>)).toThrow();
  });

  it('slack: a Block Kit message; a 429 with Retry-After is honoured, then it is sent', async () => {
    const slack = await serve(receiver((_h, n) => (n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 })));
    const started = Date.now();
    const { sender } = await deliver([{ type: 'slack', webhook: `${slack.url}/services/T0/B0/x`, on: ['failed'] }], 'deploy:finished', { deploymentId: DEP.id, status: 'failed', error: 'smoke api: HTTP 500' }, maskerFor(DB_PASSWORD));
    const [row] = await store.listNotifications({ limit: 5 });
    expect(row).toMatchObject({ status: 'pending', lastError: 'HTTP 429' });
    expect(Date.parse(row!.nextAt) - started).toBeGreaterThanOrEqual(1000);
    await waitFor(async () => (await store.getNotification(row!.id))?.status === 'sent');
    await sender.flush(0);
    expect(slack.hits).toHaveLength(2);
    expect(Date.parse(String(slack.hits[1]!.headers.date ?? '')) || Date.now()).toBeGreaterThan(0);
    const body = JSON.parse(slack.hits[1]!.body) as { text: string; blocks: { type: string; text?: { text: string }; fields?: { text: string }[] }[] };
    expect(body.text).toBe('🚨 Staging Deployment Failed');
    expect(body.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: '🚨 Staging Deployment Failed', emoji: true } });
    expect(body.blocks[1]!.fields!.map((f) => f.text)).toContain('*Error:*\nsmoke api: HTTP 500');
    expect(body.blocks.at(-1)).toMatchObject({ type: 'actions' });
  });

  it('teams: an Adaptive Card message', async () => {
    const teams = await serve(receiver((_h) => ({ status: 202 })));
    await deliver([{ type: 'teams', webhook: `${teams.url}/workflows/x`, on: ['rolled_back'] }], 'deploy:finished', { deploymentId: DEP.id, status: 'rolled_back' }, maskerFor(DB_PASSWORD));
    const body = JSON.parse(teams.hits[0]!.body) as { type: string; attachments: { contentType: string; content: { type: string; version: string; body: { type: string; text?: string; facts?: { title: string; value: string }[] }[] } }[] };
    expect(body.type).toBe('message');
    expect(body.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(body.attachments[0]!.content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    expect(body.attachments[0]!.content.body[0]!.text).toBe('⚠️ Staging Rollback Executed');
    expect(body.attachments[0]!.content.body[1]!.facts).toContainEqual({ title: 'Health', value: 'v1.3.9 is live again (v1.4.0 undone)' });
  });

  it('pagerduty: trigger on rollback_failed with a dedup key per app and environment, resolve on the next success', async () => {
    const pd = await serve(receiver(() => ({ status: 202 })));
    const config = [{ type: 'pagerduty', routingKey: ROUTING_KEY, url: `${pd.url}/v2/enqueue` }];
    await deliver(config, 'deploy:finished', { deploymentId: DEP.id, status: 'rollback_failed', error: 'undo migrate failed' }, maskerFor(ROUTING_KEY, DB_PASSWORD));
    await deliver(config, 'deploy:finished', { deploymentId: DEP.id, status: 'succeeded' }, maskerFor(ROUTING_KEY, DB_PASSWORD));
    const [trigger, resolve] = pd.hits.map((h) => JSON.parse(h.body) as Record<string, unknown> & { payload?: Record<string, unknown> });
    expect(trigger).toMatchObject({ routing_key: ROUTING_KEY, event_action: 'trigger', dedup_key: 'shipgate/shop/staging' });
    expect(trigger!.payload).toMatchObject({ severity: 'critical', source: 'shipgate/shop/staging', component: 'shop', group: 'staging', class: 'rollback_failed' });
    expect(String(trigger!.payload!.summary)).toContain('undo migrate failed');
    expect(resolve).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: 'shipgate/shop/staging' });
  });

  it('email: seed 001 subject with the environment name, the fields, plain text and HTML', async () => {
    const smtp = await smtpReceiver();
    closers.push(() => new Promise<void>((r) => smtp.server.close(() => r())));
    await deliver([{ type: 'email', to: ['oncall@example.com'], smtp: { url: smtp.url } }], 'deploy:finished', { deploymentId: DEP.id, status: 'succeeded' }, maskerFor(SMTP_PASSWORD, DB_PASSWORD));
    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0]!;
    expect(mail.subject).toBe('✅ Staging Deployment Successful');
    expect(mail.messageId).toMatch(/^<ntf_dep_20261122T173000Z_0001_\d+_email-1@shipgate>$/);
    for (const field of ['Commit: 0123456789abcdef0123456789abcdef01234567', 'Deployed by: alice', 'Version: v1.4.0 (was v1.3.9)', 'Time: 2026-11-22T17:35:00.000Z', 'CI run: https://ci.example.com/runs/42', 'Health: healthy: v1.4.0 is live and passed its checks', 'Reason: hotfix; the old one leaked ***']) {
      expect(mail.text).toContain(field);
    }
    expect(mail.html).toContain('<a href="https://ci.example.com/runs/42">');
    expect(mail.html).toContain('<th align="left">Commit</th><td>0123456789abcdef0123456789abcdef01234567</td>');
  });

  it.each([
    ['the default messages', false],
    ['own templates and PagerDuty change events', true],
  ])('no secret reaches any receiver (everything every receiver got, grepped): %s', async (_what, templated) => {
    const [hook, slack, teams, pd] = await Promise.all([serve(receiver()), serve(receiver()), serve(receiver(() => ({ status: 202 }))), serve(receiver(() => ({ status: 202 })))]);
    const smtp = await smtpReceiver();
    closers.push(() => new Promise<void>((r) => smtp.server.close(() => r())));
    const slackUrl = `${slack.url}/services/T0/B0/slack-secret-path-99`;
    const teamsUrl = `${teams.url}/workflows/x?sig=teams-sig-secret-12`;
    // Templates quote every fact that may carry a secret, and one quotes a secret outright (as \${VAR} in the file would).
    const own = (text: string) => (templated ? { template: { text } } : {});
    const config = [
      { type: 'webhook', url: `${hook.url}/deploys`, secret: WEBHOOK_SECRET, on: ['rollback_failed'] },
      { type: 'slack', webhook: slackUrl, on: ['rollback_failed'], ...own('{{error}} / {{reason}} / {{subject}}') },
      { type: 'teams', webhook: teamsUrl, on: ['rollback_failed'], ...own(`{{error}} / {{reason}} / ${DB_PASSWORD}`) },
      { type: 'pagerduty', routingKey: ROUTING_KEY, url: `${pd.url}/v2/enqueue`, ...(templated ? { changeEvents: true, template: { summary: `{{error}} {{reason}} ${DB_PASSWORD}` } } : {}) },
      { type: 'email', to: ['oncall@example.com'], smtp: { url: smtp.url }, on: ['rollback_failed'], ...(templated ? { template: { subject: '{{reason}} {{error}}', text: `{{error}} {{reason}} ${slackUrl}`, html: '<p>{{error}}</p><p>{{reason}}</p>' } } : {}) },
    ];
    // What loadConfig's masker holds for this config (test/unit/config/notify.test.ts pins that).
    const masker = maskerFor(WEBHOOK_SECRET, WEBHOOK_SECRET.slice('whsec_'.length), ROUTING_KEY, SMTP_PASSWORD, DB_PASSWORD, slackUrl, teamsUrl);
    // The error quotes secrets, as a failing command's output might.
    const error = `undo failed: psql postgres://app:${DB_PASSWORD}@db/x; posted to ${slackUrl} with ${WEBHOOK_SECRET.slice('whsec_'.length)}`;
    await deliver(config, 'deploy:finished', { deploymentId: DEP.id, status: 'rollback_failed', error }, masker);
    // Headers and bodies: the request path of a secret URL is its own address, which only its receiver sees.
    const everything = [...[hook, slack, teams, pd].flatMap((r) => r.hits.map((h) => `${JSON.stringify(h.headers)}\n${h.body}`)), ...smtp.raw].join('\n');
    expect([hook, slack, teams, pd].map((r) => r.hits.length)).toEqual([1, 1, 1, templated ? 2 : 1]);
    expect(smtp.raw).toHaveLength(1);
    // The templates were used: each receiver got the masked error where its template put it.
    if (templated) {
      expect(JSON.parse(slack.hits[0]!.body)).toMatchObject({ text: expect.stringMatching(/^undo failed: psql postgres:\/\/app:\*\*\*@db\/x/) as string });
      expect(smtp.mails[0]!.subject).toMatch(/^hotfix; the old one leaked \*\*\* undo failed/);
      expect(smtp.mails[0]!.html).toMatch(/^<p>undo failed/);
      expect(pd.hits.map((h) => h.path).sort()).toEqual(['/v2/change/enqueue', '/v2/enqueue']);
    }
    for (const secret of [WEBHOOK_SECRET, WEBHOOK_SECRET.slice('whsec_'.length), SMTP_PASSWORD, DB_PASSWORD, 'slack-secret-path-99', 'teams-sig-secret-12']) {
      expect(everything).not.toContain(secret);
    }
    // The routing key goes to PagerDuty only, where it is the address; nowhere else.
    expect(everything.split(ROUTING_KEY).length - 1).toBe(pd.hits.length);
    for (const h of pd.hits) expect(h.body).toContain(ROUTING_KEY);
  });

  it('pagerduty change events: the documented shape for every outcome, to /v2/change/enqueue beside the alerts', async () => {
    const pd = await serve(receiver(() => ({ status: 202 })));
    const config = [{ type: 'pagerduty', routingKey: ROUTING_KEY, url: `${pd.url}/v2/enqueue`, changeEvents: true }];
    for (const status of ['succeeded', 'rolled_back', 'failed', 'rollback_failed']) await deliver(config, 'deploy:finished', { deploymentId: DEP.id, status }, maskerFor(ROUTING_KEY, DB_PASSWORD));
    const changes = pd.hits.filter((h) => h.path === '/v2/change/enqueue').map((h) => ({ headers: h.headers, body: JSON.parse(h.body) as Record<string, unknown> & { payload: Record<string, unknown> } }));
    const alerts = pd.hits.filter((h) => h.path === '/v2/enqueue').map((h) => JSON.parse(h.body) as { event_action: string });
    // The alert side is unchanged: the success resolves, the rollback_failed triggers (default on:).
    expect(alerts.map((a) => a.event_action)).toEqual(['resolve', 'trigger']);
    expect(changes).toHaveLength(4);
    for (const [i, c] of changes.entries()) {
      expect(c.headers['content-type']).toBe('application/json');
      // Events API v2 change event: routing_key, payload{summary (≤ 1024), timestamp, source, custom_details}, links; no event_action, no dedup_key, no severity.
      expect(Object.keys(c.body).sort()).toEqual(['links', 'payload', 'routing_key']);
      expect(c.body.routing_key).toBe(ROUTING_KEY);
      expect(Object.keys(c.body.payload).sort()).toEqual(['custom_details', 'source', 'summary', 'timestamp']);
      expect(String(c.body.payload.summary).length).toBeLessThanOrEqual(1024);
      expect(c.body.payload).toMatchObject({ timestamp: '2026-11-22T17:35:00.000Z', source: 'shipgate/shop/staging', custom_details: { event: ['succeeded', 'rolled_back', 'failed', 'rollback_failed'][i], App: 'shop', Commit: DEP.gitSha } });
      expect(c.body.links).toEqual([{ href: 'https://ci.example.com/runs/42', text: 'CI run' }]);
    }
    expect(changes.map((c) => c.body.payload.summary)).toEqual([
      '✅ Staging Deployment Successful: shop v1.4.0',
      '⚠️ Staging Rollback Executed: shop v1.4.0',
      '🚨 Staging Deployment Failed: shop v1.4.0',
      '🔥 Staging Rollback Failed: Action Required: shop v1.4.0',
    ]);
    // Each is a delivery of its own in the outbox, keyed apart from the alert.
    const rows = await store.listNotifications({ limit: 20 });
    expect(rows.filter((r) => r.channel === 'pagerduty-1:change' && r.status === 'sent')).toHaveLength(4);
  });

  it('email with its own templates: HTML-escaped values in the HTML part, the text part as written', async () => {
    const smtp = await smtpReceiver();
    closers.push(() => new Promise<void>((r) => smtp.server.close(() => r())));
    const template = { subject: '[{{environment}}] {{app}} {{version}}: {{event}}', text: '{{actor}} deployed {{commit}}: {{error}}', html: '<p title="{{error}}">{{error}}</p>' };
    await deliver([{ type: 'email', to: ['oncall@example.com'], smtp: { url: smtp.url }, template }], 'deploy:finished', { deploymentId: DEP.id, status: 'failed', error: '<script>alert("x")</script> & co' }, maskerFor(SMTP_PASSWORD));
    const mail = smtp.mails[0]!;
    expect(mail.subject).toBe('[staging] shop v1.4.0: failed');
    expect(mail.text?.trim()).toBe(`alice deployed ${DEP.gitSha}: <script>alert("x")</script> & co`);
    expect(mail.html).toBe('<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co</p>');
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
