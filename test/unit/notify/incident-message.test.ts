import { describe, expect, it } from 'vitest';
import type { NotificationFacts } from '../../../src/notify/contract.js';
import { fieldsOf, pagerDutyEvent, subjectOf, webhookPayload } from '../../../src/notify/messages.js';
import { createOutboxRoute } from '../../../src/notify/route.js';

const facts: NotificationFacts = {
  event: 'incident',
  deploymentId: 'dep_20260101T100000Z_00abc',
  app: 'shop',
  environment: 'production',
  version: 'v1.0.0',
  previousVersion: 'v1.1.0',
  kind: 'rollback',
  actor: 'alice',
  reason: 'Rolled back due to: 5xx',
  gitSha: null,
  at: '2026-01-01T10:10:00.000Z',
  error: null,
  ciUrl: null,
  health: 'incident open (critical)',
  incident: { id: 'inc_20260101T101000Z_abcde', type: 'rollback', severity: 'critical', details: 'Rolled back due to: 5xx', deploymentIds: ['dep_20260101T100000Z_00abc', 'dep_20260101T095000Z_00abc'] },
};

describe('incident notifications', () => {
  it('only channels that ask for incident hear incident:opened', () => {
    const route = createOutboxRoute([
      { type: 'slack', webhook: 'https://hooks.example.com/a', timeout: '10s' as never, on: ['incident'] },
      { type: 'slack', webhook: 'https://hooks.example.com/b', timeout: '10s' as never },
    ]);
    expect(route('incident:opened', {}, 'production')).toEqual([{ channel: 'slack-1', event: 'incident' }]);
  });

  it('carry the type, severity, details and deployments; PagerDuty keeps the severity and one key per incident', () => {
    expect(subjectOf(facts)).toBe('🔥 Production Incident: rollback (critical)');
    expect(Object.fromEntries(fieldsOf(facts))).toMatchObject({ Incident: 'inc_20260101T101000Z_abcde (rollback, critical)', Details: 'Rolled back due to: 5xx', 'Reported by': 'alice', Deployments: 'dep_20260101T100000Z_00abc, dep_20260101T095000Z_00abc' });
    expect(pagerDutyEvent(facts, 'key')).toMatchObject({ event_action: 'trigger', dedup_key: 'shipgate/shop/production/incident/inc_20260101T101000Z_abcde', payload: { severity: 'critical' } });
    expect(webhookPayload(facts)).toMatchObject({ type: 'incident.opened' });
  });
});
