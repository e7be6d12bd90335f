import { describe, expect, it } from 'vitest';
import { configErrorOf, loadText, MINIMAL_YAML as M } from './helpers.js';

const ISSUE_EXAMPLE = `${M}notify:
  - { type: email, to: [oncall@example.com], smtp: { url: "\${SMTP_URL}" }, on: [succeeded, failed, rolled_back, rollback_failed] }
  - { type: slack, webhook: "\${SLACK_WEBHOOK_URL}", on: [started, succeeded, failed, rolled_back, approval_needed, paused] }
  - { type: pagerduty, routingKey: "\${PAGERDUTY_INTEGRATION_KEY}", on: [rollback_failed, failed] }
  - { type: webhook, url: "https://hooks.example.com/deploys", secret: "\${WEBHOOK_SECRET}" }
  - { type: teams, webhook: "\${TEAMS_WORKFLOW_URL}", environments: [production] }
`;

const VARS = {
  SMTP_URL: 'smtp://mailer:smtp-pass-0451@127.0.0.1:2525',
  SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/slacksecret42',
  PAGERDUTY_INTEGRATION_KEY: 'R0UT1NGKEY0123456789abcdef012345',
  WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  TEAMS_WORKFLOW_URL: 'https://prod.logic.azure.com/workflows/abc/triggers/manual?sig=teamsSig987',
};

describe('notify config', () => {
  it('accepts the example of the issue, with defaults filled in', () => {
    const { config } = loadText(ISSUE_EXAMPLE, undefined, VARS);
    expect(config.notify.map((c) => c.type)).toEqual(['email', 'slack', 'pagerduty', 'webhook', 'teams']);
    expect(config.notify[3]).toMatchObject({ timeout: '10s' });
    expect(config.notify[3]?.on).toBeUndefined();
    expect(config.notify[2]).toMatchObject({ url: 'https://events.pagerduty.com/v2/enqueue' });
    expect(config.notify[4]).toMatchObject({ environments: ['production'] });
  });

  it('masks webhook URLs, the signing secret, the routing key and the SMTP password, even when written into the file', () => {
    const literal = ISSUE_EXAMPLE.replace('"https://hooks.example.com/deploys"', '"https://hooks.example.com/deploys/literal-hook-77"').replace('${SMTP_URL}', 'smtp://u:literal-pass-31@127.0.0.1:25');
    const { masker } = loadText(literal, undefined, VARS);
    const text = [...Object.values(VARS), 'https://hooks.example.com/deploys/literal-hook-77', 'literal-pass-31'].join(' ');
    const masked = masker.mask(`${text} MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw`);
    for (const secret of ['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'slacksecret42', 'R0UT1NGKEY0123456789abcdef012345', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'teamsSig987', 'literal-hook-77', 'literal-pass-31']) {
      expect(masked).not.toContain(secret);
    }
  });

  it('names the key path of each mistake', () => {
    const yaml = `${M}notify:
  - { type: email, to: [not-an-address], smtp: { url: "http://x" } }
  - { type: slack, webhook: "ftp://x", on: [deployed] }
  - { type: webhook, url: "https://h.example.com", secret: "short" }
  - { type: carrier-pigeon }
  - { type: teams, webhook: "https://t.example.com", name: twice }
  - { type: teams, webhook: "https://t.example.com", name: twice, colour: red }
`;
    const lines = configErrorOf(yaml).issues.join('\n');
    expect(lines).toContain('notify[0].to[0]: expected an email address');
    expect(lines).toContain('notify[0].smtp.url: expected smtp://user:password@host:port or smtps://…');
    expect(lines).toContain('notify[1].webhook: expected an http(s) URL');
    expect(lines).toMatch(/notify\[1\]\.on\[0\]: .*started/);
    expect(lines).toContain('notify[2].secret: expected a base64 signing secret (optionally whsec_…), at least 16 characters');
    expect(lines).toContain('notify[3].type: expected one of "email", "slack", "pagerduty", "webhook", "teams" (got "carrier-pigeon")');
    expect(lines).toContain('notify[5].colour: unknown key');
    expect(lines).toContain('notify[1].webhook: expected an http(s) URL (got "***")');
  });

  it('refuses two channels with one name', () => {
    const yaml = `${M}notify:\n  - { type: teams, webhook: "https://t.example.com", name: ops }\n  - { type: slack, webhook: "https://s.example.com", name: ops }\n`;
    expect(configErrorOf(yaml).issues.join('\n')).toMatch(/notify\[1\].*ops/);
  });

  it('never quotes a secret in an error', () => {
    const yaml = `${M}notify:\n  - { type: webhook, url: "https://h.example.com/hook-secret-path", secret: "bad secret value!" }\n`;
    const text = configErrorOf(yaml).issues.join('\n');
    expect(text).not.toContain('hook-secret-path');
    expect(text).not.toContain('bad secret value!');
  });
});
