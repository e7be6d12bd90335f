import { describe, expect, it } from 'vitest';
import type { WindowGate } from '../../../src/config/schema/index.js';
import { createWindowGate, evaluateWindow, formatDays } from '../../../src/gates/window.js';
import { FakeClock } from '../../../src/runtime/clock.js';
import { makeContext } from './helpers.js';

const LA = 'America/Los_Angeles';
const base: WindowGate = {
  timezone: LA,
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  hours: '09:00-17:00',
  holidays: 'US',
  freeze: [],
  applyToRollback: false,
};
const at = (iso: string): number => Date.parse(iso);
const win = (over: Partial<WindowGate> = {}): WindowGate => ({ ...base, ...over });

describe('evaluateWindow: days and hours', () => {
  it('blocks Saturday 10:00 PT and names the next allowed time in local time and UTC', () => {
    expect(evaluateWindow(base, at('2026-11-21T18:00:00Z'))).toEqual({
      allowed: false,
      reason:
        'outside the deploy window (Saturday 10:00 America/Los_Angeles; allowed mon-fri 09:00-17:00); ' +
        'next allowed: Monday 2026-11-23 09:00 America/Los_Angeles (2026-11-23T17:00:00Z)',
      nextAllowedAt: '2026-11-23T17:00:00Z',
    });
  });

  it('blocks Monday 08:59 PT; next allowed is 09:00 the same day', () => {
    const d = evaluateWindow(base, at('2026-11-23T16:59:00Z'));
    expect(d.allowed).toBe(false);
    expect(d.reason).toContain('(Monday 08:59 America/Los_Angeles;');
    expect(d.nextAllowedAt).toBe('2026-11-23T17:00:00Z');
  });

  it('allows Monday 09:00 PT', () => {
    expect(evaluateWindow(base, at('2026-11-23T17:00:00Z'))).toEqual({
      allowed: true,
      reason: 'inside the deploy window (Monday 09:00 America/Los_Angeles; allowed mon-fri 09:00-17:00)',
      nextAllowedAt: null,
    });
  });

  it('the end of the window is exclusive: 16:59 allowed, 17:00 blocked', () => {
    expect(evaluateWindow(base, at('2026-11-24T00:59:00Z')).allowed).toBe(true);
    expect(evaluateWindow(base, at('2026-11-24T00:59:59.999Z')).allowed).toBe(true);
    const closed = evaluateWindow(base, at('2026-11-24T01:00:00Z'));
    expect(closed.allowed).toBe(false);
    expect(closed.reason).toContain('(Monday 17:00 America/Los_Angeles;');
    expect(closed.nextAllowedAt).toBe('2026-11-24T17:00:00Z');
  });

  it('from Friday 17:30 the next allowed time is Monday 09:00', () => {
    const d = evaluateWindow(base, at('2026-11-21T01:30:00Z')); // Fri 2026-11-20 17:30 PST
    expect(d.allowed).toBe(false);
    expect(d.reason).toContain('Friday 17:30');
    expect(d.reason).toContain('next allowed: Monday 2026-11-23 09:00 America/Los_Angeles (2026-11-23T17:00:00Z)');
  });

  it('an end of 24:00 means midnight', () => {
    const evening = win({ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], hours: '20:00-24:00' });
    expect(evaluateWindow(evening, at('2026-11-24T07:59:00Z')).allowed).toBe(true); // 23:59 PST
    expect(evaluateWindow(evening, at('2026-11-24T08:00:00Z')).nextAllowedAt).toBe('2026-11-25T04:00:00Z'); // 00:00 -> 20:00
  });
});

describe('evaluateWindow: daylight saving time (hours are local wall-clock hours)', () => {
  it('after DST starts (Sun 2026-03-08) 09:00 PDT is 16:00Z', () => {
    expect(evaluateWindow(base, at('2026-03-09T16:00:00Z')).allowed).toBe(true);
    const early = evaluateWindow(base, at('2026-03-09T15:59:00Z'));
    expect(early.allowed).toBe(false);
    expect(early.reason).toContain('Monday 08:59');
    expect(early.nextAllowedAt).toBe('2026-03-09T16:00:00Z');
  });

  it('after DST ends (Sun 2026-11-01) 09:00 PST is 17:00Z', () => {
    expect(evaluateWindow(base, at('2026-11-02T17:00:00Z')).allowed).toBe(true);
    const early = evaluateWindow(base, at('2026-11-02T16:30:00Z'));
    expect(early.allowed).toBe(false);
    expect(early.reason).toContain('Monday 08:30');
    expect(early.nextAllowedAt).toBe('2026-11-02T17:00:00Z');
  });

  it('next allowed across the change: Friday PST -> Monday PDT, Friday PDT -> Monday PST', () => {
    expect(evaluateWindow(base, at('2026-03-07T01:30:00Z')).nextAllowedAt).toBe('2026-03-09T16:00:00Z'); // Fri 17:30 PST
    expect(evaluateWindow(base, at('2026-10-31T00:30:00Z')).nextAllowedAt).toBe('2026-11-02T17:00:00Z'); // Fri 17:30 PDT
  });
});

describe('evaluateWindow: public holidays', () => {
  it('blocks US Thanksgiving 2026 at 10:00 PT and names the holiday', () => {
    const d = evaluateWindow(base, at('2026-11-26T18:00:00Z'));
    expect(d).toEqual({
      allowed: false,
      reason:
        'public holiday in US: Thanksgiving Day (Thursday 2026-11-26 10:00 America/Los_Angeles); ' +
        'next allowed: Friday 2026-11-27 09:00 America/Los_Angeles (2026-11-27T17:00:00Z)',
      nextAllowedAt: '2026-11-27T17:00:00Z',
    });
  });

  it('only public holidays count; a region adds its own (US-CA: the day after Thanksgiving)', () => {
    // In "US" the day after Thanksgiving is an observance, not a public holiday.
    expect(evaluateWindow(base, at('2026-11-27T18:00:00Z')).allowed).toBe(true);
    const ca = evaluateWindow(win({ holidays: 'US-CA' }), at('2026-11-27T18:00:00Z'));
    expect(ca.allowed).toBe(false);
    expect(ca.reason).toContain('public holiday in US-CA: Day after Thanksgiving Day');
    expect(ca.nextAllowedAt).toBe('2026-11-30T17:00:00Z');
    expect(evaluateWindow(win({ holidays: 'US-CA' }), at('2026-11-26T18:00:00Z')).nextAllowedAt).toBe('2026-11-30T17:00:00Z');
  });

  it('counts substitute days (Independence Day 2026 falls on a Saturday; Friday 07-03 is observed)', () => {
    const d = evaluateWindow(base, at('2026-07-03T17:00:00Z'));
    expect(d.allowed).toBe(false);
    expect(d.reason).toContain('Independence Day (substitute day)');
    expect(d.nextAllowedAt).toBe('2026-07-06T16:00:00Z');
  });

  it('uses the local calendar date in the window time zone, not the UTC date', () => {
    const allDay = win({ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], hours: '00:00-24:00' });
    const lateThanksgiving = evaluateWindow(allDay, at('2026-11-27T07:30:00Z')); // Thu 23:30 PST, Fri in UTC
    expect(lateThanksgiving.allowed).toBe(false);
    expect(lateThanksgiving.reason).toContain('Thanksgiving Day');
    expect(lateThanksgiving.nextAllowedAt).toBe('2026-11-27T08:00:00Z');
    expect(evaluateWindow(allDay, at('2026-11-27T08:00:00Z')).allowed).toBe(true);
  });

  it('holidays: false (or absent) blocks no holidays', () => {
    expect(evaluateWindow(win({ holidays: false }), at('2026-11-26T18:00:00Z')).allowed).toBe(true);
    expect(evaluateWindow(win({ holidays: undefined }), at('2026-11-26T18:00:00Z')).allowed).toBe(true);
  });
});

describe('evaluateWindow: freezes', () => {
  const freeze = win({ freeze: [{ from: '2026-12-24', to: '2027-01-02', reason: 'year-end freeze' }] });

  it('blocks inside an inclusive freeze and gives the range, the reason and the next allowed time', () => {
    expect(evaluateWindow(freeze, at('2026-12-28T18:00:00Z'))).toEqual({
      allowed: false,
      reason:
        'inside the deploy freeze 2026-12-24 to 2027-01-02: year-end freeze (Monday 2026-12-28 10:00 America/Los_Angeles); ' +
        'next allowed: Monday 2027-01-04 09:00 America/Los_Angeles (2027-01-04T17:00:00Z)',
      nextAllowedAt: '2027-01-04T17:00:00Z',
    });
  });

  it('both ends are inclusive local dates', () => {
    expect(evaluateWindow(freeze, at('2026-12-23T18:00:00Z')).allowed).toBe(true); // Wed before
    expect(evaluateWindow(freeze, at('2026-12-24T17:00:00Z')).reason).toContain('inside the deploy freeze'); // Thu 09:00 first day
    expect(evaluateWindow(freeze, at('2027-01-02T18:00:00Z')).reason).toContain('inside the deploy freeze'); // Sat last day
  });

  it('a freeze takes precedence over New Year’s Day inside it', () => {
    const d = evaluateWindow(freeze, at('2027-01-01T18:00:00Z'));
    expect(d.reason).toMatch(/^inside the deploy freeze 2026-12-24 to 2027-01-02/);
    expect(d.nextAllowedAt).toBe('2027-01-04T17:00:00Z');
  });

  it('a freeze ending before New Year’s Day: the next allowed time skips the holiday and the weekend', () => {
    const toNewYearsEve = win({ freeze: [{ from: '2026-12-24', to: '2026-12-31' }] });
    const d = evaluateWindow(toNewYearsEve, at('2026-12-28T18:00:00Z'));
    expect(d.reason).toMatch(/^inside the deploy freeze 2026-12-24 to 2026-12-31 \(Monday/);
    expect(d.nextAllowedAt).toBe('2027-01-04T17:00:00Z');
    const newYear = evaluateWindow(toNewYearsEve, at('2027-01-01T18:00:00Z'));
    expect(newYear.reason).toContain("public holiday in US: New Year's Day");
    expect(newYear.nextAllowedAt).toBe('2027-01-04T17:00:00Z');
  });

  it('reports no next allowed time when none exists within the search horizon', () => {
    const forever = win({ freeze: [{ from: '2026-01-01', to: '2028-12-31', reason: 'migration' }] });
    const d = evaluateWindow(forever, at('2026-11-23T18:00:00Z'));
    expect(d.allowed).toBe(false);
    expect(d.nextAllowedAt).toBeNull();
    expect(d.reason).toContain('no allowed time in the next 400 days');
  });
});

describe('evaluateWindow: an unknown time zone (normally rejected by config validation)', () => {
  it('blocks instead of throwing', () => {
    expect(evaluateWindow(win({ timezone: 'Mars/Olympus_Mons' }), at('2026-11-23T18:00:00Z'))).toEqual({
      allowed: false,
      reason: 'unknown time zone "Mars/Olympus_Mons" (expected an IANA time zone like "America/Los_Angeles")',
      nextAllowedAt: null,
    });
  });
});

describe('formatDays', () => {
  it('compresses runs of days', () => {
    expect(formatDays(['mon', 'tue', 'wed', 'thu', 'fri'])).toBe('mon-fri');
    expect(formatDays(['sun', 'sat', 'fri', 'thu', 'wed', 'tue', 'mon'])).toBe('mon-sun');
    expect(formatDays(['mon', 'wed', 'fri'])).toBe('mon,wed,fri');
    expect(formatDays(['mon', 'tue', 'thu', 'fri', 'sat'])).toBe('mon,tue,thu-sat');
  });
});

describe('window gate', () => {
  const gate = createWindowGate(base);
  const saturday = new FakeClock('2026-11-21T18:00:00Z');

  it('passes inside the window', async () => {
    const r = await gate.evaluate(makeContext({ clock: new FakeClock('2026-11-23T17:00:00Z') }));
    expect(r).toMatchObject({ name: 'window', result: 'pass', details: { timezone: LA, nextAllowedAt: null } });
  });

  it('blocks outside the window', async () => {
    const r = await gate.evaluate(makeContext({ clock: saturday }));
    expect(r.result).toBe('block');
    expect(r.reason).toContain('outside the deploy window (Saturday 10:00');
    expect(r.details).toMatchObject({ nextAllowedAt: '2026-11-23T17:00:00Z', at: '2026-11-21T18:00:00.000Z' });
  });

  it('an emergency override turns a block into "overridden", naming who, why and what the window said', async () => {
    const r = await gate.evaluate(makeContext({ clock: saturday, emergency: { by: 'carol', reason: 'checkout is down' } }));
    expect(r.result).toBe('overridden');
    expect(r.reason).toBe(
      'emergency override by carol (reason: checkout is down); the window said: outside the deploy window (Saturday 10:00 America/Los_Angeles; ' +
        'allowed mon-fri 09:00-17:00); next allowed: Monday 2026-11-23 09:00 America/Los_Angeles (2026-11-23T17:00:00Z)',
    );
  });

  it('an emergency inside the window is a plain pass', async () => {
    const r = await gate.evaluate(makeContext({ clock: new FakeClock('2026-11-23T18:00:00Z'), emergency: { by: 'carol', reason: 'x' } }));
    expect(r.result).toBe('pass');
  });

  it('ctx.at replaces the clock', async () => {
    const r = await gate.evaluate(makeContext({ clock: saturday, at: at('2026-11-23T18:00:00Z') }));
    expect(r.result).toBe('pass');
    expect(r.reason).toContain('Monday 10:00');
  });
});
