import { describe, expect, it } from 'vitest';
import { decide, errorRateCondition, healthCondition, INITIAL_RULE_STATE, keepSamples, uptimeCondition, type ProbeSample, type RuleState } from '../../../src/monitor/evaluate.js';

/** Time as the monitor hands it in: a number that only the test moves. */
class FakeClock {
  constructor(private t: number) {}
  advance(ms: number): void {
    this.t += ms;
  }
  now(): number {
    return this.t;
  }
}

const URL = 'http://127.0.0.1:8080/health';
const HEALTH = { url: URL, failures: 3, successes: 2 };

/** Probes `interval` ms apart on a fake clock: `pattern` is a string of `+` (healthy) and `-` (failed). */
function probes(clock: FakeClock, pattern: string, intervalMs = 10_000): ProbeSample[] {
  return [...pattern].map((c) => {
    clock.advance(intervalMs);
    return { at: clock.now(), ok: c === '+', reason: c === '+' ? 'HTTP 200' : `HTTP 503 from ${URL}` };
  });
}

/** Runs the rule's conditions through decide(), as the monitor does, and lists the actions. */
function actions(conditions: ReturnType<typeof healthCondition>[], storeFiring: (i: number, s: RuleState) => boolean = (_i, s) => s.firing): string[] {
  let state = INITIAL_RULE_STATE;
  return conditions.map((c, i) => {
    const next = decide(state, c, storeFiring(i, state));
    state = next.state;
    return next.action?.[0] ?? '.';
  });
}

describe('health rule', () => {
  it('fires after `failures` failed probes in a row, once, and resolves after `successes` healthy ones', () => {
    const clock = new FakeClock(0);
    const samples = probes(clock, '+--+---+-++-');
    const conditions = samples.map((_s, i) => healthCondition(HEALTH, samples.slice(0, i + 1)));
    expect(conditions.map((c) => c.state[0]).join('')).toBe('uuuuuufuuupu');
    expect(actions(conditions).join('')).toBe('......f...r.');
    expect(conditions[6]!.summary).toBe(`${URL} failed 3 probes in a row (last: HTTP 503 from ${URL})`);
  });

  it('a person resolved it through the API while it still fails: no new alert until it has recovered', () => {
    const clock = new FakeClock(0);
    const samples = probes(clock, '-------++---');
    const conditions = samples.map((_s, i) => healthCondition(HEALTH, samples.slice(0, i + 1)));
    // Before the 5th evaluation the store's alert was resolved through the API.
    const got = actions(conditions, (i, s) => (i === 4 ? false : s.firing));
    expect(got.join('')).toBe('..f........f');
  });
});

describe('uptime rule', () => {
  const RULE = { url: URL, threshold: 99, windowMs: 60_000, minSamples: 5 };

  it('too few probes in the window say nothing; below the threshold fires; probes leaving the window recover it', () => {
    const clock = new FakeClock(0);
    const samples = probes(clock, '++++-+', 10_000);
    expect(uptimeCondition(RULE, samples.slice(0, 4), samples[3]!.at).state).toBe('unknown');
    const low = uptimeCondition(RULE, samples, clock.now());
    expect(low).toMatchObject({ state: 'failing', summary: `uptime of ${URL} is 83.33% (5 of 6 probes healthy), below 99%` });
    const later = [...samples, ...probes(clock, '++++++', 10_000)];
    // The failed probe (at 50 s) is older than the window at 120 s.
    expect(uptimeCondition(RULE, later, clock.now())).toMatchObject({ state: 'passing', value: 100 });
  });

  it('keeps only the probes the window still needs', () => {
    const clock = new FakeClock(0);
    let kept: ProbeSample[] = [];
    for (const s of probes(clock, '+-+-+-+-+-', 20_000)) kept = keepSamples(kept, s, 60_000, 1);
    expect(kept.map((s) => s.at)).toEqual([160_000, 180_000, 200_000]);
  });
});

describe('error-rate rule (seed 002: above 1% fires)', () => {
  const RULE = { threshold: 1, minRequests: 20 };

  it('compares errors over requests with the threshold, strictly above', () => {
    expect(errorRateCondition(RULE, { requests: 1000, errors: 10 })).toMatchObject({ state: 'passing', value: 1, summary: 'error rate 1% (10 of 1000 requests)' });
    expect(errorRateCondition(RULE, { requests: 1000, errors: 11 })).toMatchObject({ state: 'failing', summary: 'error rate 1.1% (11 of 1000 requests) is above 1%' });
  });

  it('too few requests leave the alert as it is', () => {
    const firing = { firing: true, armed: false };
    const c = errorRateCondition(RULE, { requests: 19, errors: 19 });
    expect(c.state).toBe('unknown');
    expect(decide(firing, c, true)).toEqual({ state: firing, action: null });
    expect(decide(INITIAL_RULE_STATE, c, false)).toEqual({ state: INITIAL_RULE_STATE, action: null });
  });
});

describe('decide', () => {
  const failing = { state: 'failing', value: 5, summary: 'x' } as const;
  const passing = { state: 'passing', value: 0, summary: 'y' } as const;

  it('an alert another server opened (or this one before a restart) is not opened again, and is resolved on recovery', () => {
    expect(decide(INITIAL_RULE_STATE, failing, true)).toEqual({ state: { firing: true, armed: false }, action: null });
    expect(decide(INITIAL_RULE_STATE, passing, true)).toEqual({ state: { firing: false, armed: true }, action: 'resolve' });
  });

  it('fires once while failing, and again only after a recovery', () => {
    const a = decide(INITIAL_RULE_STATE, failing, false);
    expect(a.action).toBe('fire');
    expect(decide(a.state, failing, true).action).toBe(null);
    const r = decide(a.state, passing, true);
    expect(r.action).toBe('resolve');
    expect(decide(r.state, failing, false).action).toBe('fire');
  });
});
