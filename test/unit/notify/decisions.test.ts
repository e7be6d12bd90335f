import { describe, expect, it } from 'vitest';
import { NotifySchema } from '../../../src/config/schema/notify.js';
import { parseRetryAfter, retryDelay } from '../../../src/notify/backoff.js';
import { standardWebhookSignature, resultOf } from '../../../src/notify/channels/http.js';
import { subjectOf } from '../../../src/notify/messages.js';
import { createOutboxRoute, notifyEventOf } from '../../../src/notify/route.js';
import { testFacts } from '../../../src/cli/commands/notify.js';

describe('routing journal events to channels', () => {
  const route = createOutboxRoute(
    NotifySchema.parse([
      { type: 'slack', webhook: 'https://s.example.com/x', on: ['started', 'failed'] },
      { type: 'pagerduty', routingKey: 'k', name: 'pd' },
      { type: 'teams', webhook: 'https://t.example.com/x', environments: ['production'] },
    ]),
  );

  it('maps lifecycle events to notification events', () => {
    expect(notifyEventOf('deploy:started', {})).toBe('started');
    expect(notifyEventOf('deploy:finished', { status: 'rolled_back' })).toBe('rolled_back');
    expect(notifyEventOf('gate:waiting', { gate: 'approval' })).toBe('approval_needed');
    expect(notifyEventOf('gate:waiting', { gate: 'window' })).toBeNull();
    expect(notifyEventOf('rollout:paused', {})).toBe('paused');
    expect(notifyEventOf('stage:finished', {})).toBeNull();
  });

  it('filters by event and environment; pagerduty hears successes to resolve', () => {
    expect(route('deploy:started', {}, 'staging')).toEqual([{ channel: 'slack-1', event: 'started' }]);
    expect(route('deploy:finished', { status: 'succeeded' }, 'staging')).toEqual([{ channel: 'pd', event: 'succeeded' }]);
    expect(route('deploy:finished', { status: 'succeeded' }, 'production')).toEqual([{ channel: 'pd', event: 'succeeded' }, { channel: 'teams-3', event: 'succeeded' }]);
    expect(route('deploy:finished', { status: 'rollback_failed' }, 'staging')).toEqual([{ channel: 'pd', event: 'rollback_failed' }]);
    expect(route('deploy:finished', { status: 'failed' }, 'staging')).toEqual([{ channel: 'slack-1', event: 'failed' }]);
  });
});

describe('retries', () => {
  it('backs off exponentially with jitter in the upper half, capped, and gives up', () => {
    expect(retryDelay(1, 0)).toBe(1000);
    expect(retryDelay(1, 0.999)).toBe(1999);
    expect(retryDelay(3, 0)).toBe(4000);
    expect(retryDelay(20, 0, { maxAttempts: 30 })).toBe(150_000);
    expect(retryDelay(8, 0)).toBeNull();
    expect(retryDelay(1, 0, { permanent: true })).toBeNull();
    expect(retryDelay(1, 0, { retryAfterMs: 30_000 })).toBe(30_000);
  });

  it('reads Retry-After as seconds or a date', () => {
    const now = Date.parse('2026-12-03T15:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Thu, 03 Dec 2026 15:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('tells a retryable answer from a permanent one', () => {
    expect(resultOf({ status: 204, headers: {} }, 0)).toEqual({ ok: true });
    expect(resultOf({ status: 429, headers: { 'retry-after': '3' } }, 0)).toEqual({ ok: false, error: 'HTTP 429', retryAfterMs: 3000 });
    expect(resultOf({ status: 503, headers: {} }, 0)).toEqual({ ok: false, error: 'HTTP 503' });
    expect(resultOf({ status: 400, headers: {} }, 0)).toEqual({ ok: false, error: 'HTTP 400', permanent: true });
  });
});

describe('messages', () => {
  it('uses seed 001 subjects with the environment name', () => {
    const f = testFacts('shop', 'production', '2026-12-03T15:00:00Z');
    expect(subjectOf({ ...f, event: 'succeeded' })).toBe('✅ Production Deployment Successful');
    expect(subjectOf({ ...f, event: 'failed', environment: 'staging' })).toBe('🚨 Staging Deployment Failed');
    expect(subjectOf({ ...f, event: 'rolled_back' })).toBe('⚠️ Production Rollback Executed');
  });

  it('signs per Standard Webhooks (the specification example)', () => {
    // From the specification's test vectors (standard-webhooks, libraries' shared tests).
    const sig = standardWebhookSignature('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    expect(sig).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });
});
