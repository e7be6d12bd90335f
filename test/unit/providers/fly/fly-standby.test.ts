import { describe, expect, it } from 'vitest';
import type { FlyMachine } from '../../../../src/providers/fly/client.js';
import { expiredStandby, nextSweepAt, STANDBY_RESCAN_MS } from '../../../../src/providers/fly/standby.js';

const healthy: FlyMachine = { id: 'm1', state: 'started', config: { image: 'img:v2', metadata: { shipgate_version: 'v2' } }, checks: [{ name: 'http', status: 'passing' }] };

describe('kept blue machines', () => {
  const NOW = Date.parse('2026-12-04T12:00:00Z');
  const kept = (id: string, until: string, state = 'stopped'): FlyMachine => ({ id, state, config: { image: 'img:v1', metadata: { shipgate_version: 'v1', shipgate_standby_until: until } } });

  it('are due when their rollback window has closed, or when its time cannot be read; the sweeper wakes at the next deadline', () => {
    const machines = [kept('open', '2026-12-04T12:00:30Z'), kept('closed', '2026-12-04T11:59:59Z'), kept('garbled', 'soon'), kept('gone', '2026-12-04T11:00:00Z', 'destroyed'), healthy];
    expect(expiredStandby(machines, NOW).map((m) => m.id)).toEqual(['closed', 'garbled']);
    expect(nextSweepAt(machines, NOW)).toBe(NOW + 30_000);
    expect(nextSweepAt([healthy], NOW)).toBe(NOW + STANDBY_RESCAN_MS);
  });
});
