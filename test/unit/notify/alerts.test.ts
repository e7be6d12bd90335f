import { describe, expect, it } from 'vitest';
import { NotifySchema } from '../../../src/config/schema/notify.js';
import { createAlertRoute } from '../../../src/notify/alert-facts.js';
import type { NotificationFacts } from '../../../src/notify/contract.js';
import { pagerDutyEvent, subjectOf, webhookPayload } from '../../../src/notify/messages.js';

const FACTS: NotificationFacts = {
  event: 'alert_firing',
  deploymentId: 'dep_20260301T110000Z_00abc',
  app: 'web',
  environment: 'production',
  version: 'v1.2.0',
  previousVersion: null,
  kind: 'deploy',
  actor: 'monitor',
  reason: null,
  gitSha: null,
  at: '2026-03-01T12:00:00.000Z',
  error: 'error rate 1.3% (13 of 1000 requests) is above 1%',
  ciUrl: null,
  health: 'errors firing: error rate 1.3%',
  alert: { id: 'alr_20260301T120000Z_0a1b2c', rule: 'errors', kind: 'error-rate', summary: 'error rate 1.3%', firedAt: '2026-03-01T12:00:00.000Z', resolvedAt: null, resolvedBy: null, resolution: null },
};

describe('alert notifications', () => {
  it('only channels whose on: lists alert_firing hear alerts; they hear the resolution too', () => {
    const route = createAlertRoute(
      NotifySchema.parse([
        { type: 'slack', webhook: 'https://s.example.com/x' },
        { type: 'pagerduty', routingKey: 'k', name: 'pd', on: ['rollback_failed', 'alert_firing'] },
        { type: 'teams', webhook: 'https://t.example.com/x', on: ['alert_resolved'], environments: ['production'] },
      ]),
    );
    expect(route('alert_firing', 'staging')).toEqual([{ channel: 'pd', event: 'alert_firing' }]);
    expect(route('alert_resolved', 'staging')).toEqual([{ channel: 'pd', event: 'alert_resolved' }]);
    expect(route('alert_resolved', 'production')).toEqual([{ channel: 'pd', event: 'alert_resolved' }, { channel: 'teams-3', event: 'alert_resolved' }]);
  });

  it('subjects, the PagerDuty incident per rule, and the webhook type', () => {
    expect(subjectOf(FACTS)).toBe('🚨 Production Alert Firing: errors');
    expect(subjectOf({ ...FACTS, event: 'alert_resolved' })).toBe('✅ Production Alert Resolved: errors');
    expect(pagerDutyEvent(FACTS, 'k')).toMatchObject({ event_action: 'trigger', dedup_key: 'shipgate/web/production/alert/errors', payload: { severity: 'warning' } });
    expect(pagerDutyEvent({ ...FACTS, event: 'alert_resolved' }, 'k')).toEqual({ routing_key: 'k', event_action: 'resolve', dedup_key: 'shipgate/web/production/alert/errors' });
    expect(webhookPayload(FACTS).type).toBe('alert.firing');
    expect(webhookPayload({ ...FACTS, event: 'alert_resolved' }).type).toBe('alert.resolved');
  });
});
