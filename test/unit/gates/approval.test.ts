import { describe, expect, it } from 'vitest';
import type { Duration } from '../../../src/config/duration.js';
import { Cancelled } from '../../../src/errors.js';
import {
  checkApprover,
  createApprovalGate,
  DEFAULT_APPROVAL_POLL,
  evaluateApprovals,
  orList,
  type ApprovalGateConfig,
} from '../../../src/gates/approval.js';
import type { ApprovalRow } from '../../../src/store/contract.js';
import { drive, makeContext, track, untilParkedOrSettled } from './helpers.js';

const cfg = (over: Partial<ApprovalGateConfig> = {}): ApprovalGateConfig => ({
  required: 1,
  approvers: ['alice', 'bob', 'carol'],
  timeout: '30m' as Duration,
  allowSelf: false,
  applyToRollback: false,
  ...over,
});
let n = 0;
const vote = (approver: string, at = `2026-11-23T17:0${n++ % 10}:00Z`): ApprovalRow => ({ deploymentId: 'dep_1', approver, comment: null, at });

describe('evaluateApprovals', () => {
  it('counts listed approvers once each and ignores the rest', () => {
    const e = evaluateApprovals(cfg({ required: 2 }), [vote('bob', '2026-11-23T17:01:00Z'), vote('mallory', '2026-11-23T17:02:00Z'), vote('bob', '2026-11-23T17:03:00Z')], 'alice');
    expect(e).toEqual({
      approved: false,
      count: 1,
      approvers: ['bob'],
      ignored: [
        { approver: 'mallory', why: 'mallory is not an approver for this environment (approvers: alice, bob, carol)' },
        { approver: 'bob', why: 'bob already approved (one vote per person)' },
      ],
    });
  });

  it('ignores self-approval unless allowSelf', () => {
    expect(evaluateApprovals(cfg(), [vote('alice')], 'alice')).toMatchObject({
      approved: false,
      count: 0,
      ignored: [{ approver: 'alice', why: 'alice started this deployment and cannot approve it (allowSelf is off)' }],
    });
    expect(evaluateApprovals(cfg({ allowSelf: true }), [vote('alice')], 'alice')).toMatchObject({ approved: true, approvers: ['alice'] });
  });

  it('is approved once the required count is reached, in order of approval', () => {
    const e = evaluateApprovals(cfg({ required: 2 }), [vote('carol', '2026-11-23T17:05:00Z'), vote('bob', '2026-11-23T17:01:00Z')], 'alice');
    expect(e).toMatchObject({ approved: true, count: 2, approvers: ['bob', 'carol'] });
  });
});

describe('checkApprover', () => {
  it('explains who may not approve', () => {
    expect(checkApprover(cfg({ approvers: ['alice', 'carol'] }), 'bob', 'dave')).toBe('bob is not an approver for this environment (approvers: alice, carol)');
    expect(checkApprover(cfg(), 'alice', 'alice')).toBe('alice started this deployment and cannot approve it (allowSelf is off)');
    expect(checkApprover(cfg({ allowSelf: true }), 'alice', 'alice')).toBeNull();
    expect(checkApprover(cfg(), 'bob', 'alice')).toBeNull();
  });
});

describe('orList', () => {
  it('joins names', () => {
    expect(orList(['bob'])).toBe('bob');
    expect(orList(['bob', 'carol'])).toBe('bob or carol');
    expect(orList(['alice', 'bob', 'carol'])).toBe('alice, bob or carol');
  });
});

describe('approval gate', () => {
  it('passes at once when already approved, naming who approved', async () => {
    const ctx = makeContext({ listApprovals: async () => [vote('bob')] });
    const r = await createApprovalGate(cfg()).evaluate(ctx);
    expect(r).toMatchObject({ name: 'approval', result: 'pass', reason: 'approved by bob' });
    expect(ctx.waits).toEqual([]);
  });

  it('with noWait reports what it would wait for', async () => {
    const r = await createApprovalGate(cfg()).evaluate(makeContext({ noWait: true, deploymentId: null }));
    expect(r).toMatchObject({ result: 'skip', reason: 'would wait for 1 approval(s) from bob or carol (up to 30m)' });
  });

  it('waits, polling every 2s, until approved', async () => {
    let rows: ApprovalRow[] = [];
    let polls = 0;
    const ctx = makeContext({
      listApprovals: async () => {
        polls++;
        return rows;
      },
    });
    const t = track(createApprovalGate(cfg()).evaluate(ctx));
    await untilParkedOrSettled(ctx.clock, t.settled);
    expect(ctx.waits).toEqual([{ gate: 'approval', message: 'waiting for 1 approval from bob or carol: run "shipgate approve dep_1 --by NAME"' }]);
    for (let i = 0; i < 5; i++) {
      await ctx.clock.advance(DEFAULT_APPROVAL_POLL);
      await untilParkedOrSettled(ctx.clock, t.settled);
    }
    expect(polls).toBe(6);
    rows = [vote('alice'), vote('carol')];
    await ctx.clock.advance(DEFAULT_APPROVAL_POLL);
    const r = await t.promise;
    expect(r.result).toBe('pass');
    expect(r.reason).toBe('approved by carol (waited 12s)');
    expect(r.details).toMatchObject({ count: 1, approvers: ['carol'], ignored: [{ approver: 'alice' }] });
    expect(ctx.waits).toHaveLength(1);
  });

  it('announces again when an approval arrives but more are needed', async () => {
    let rows: ApprovalRow[] = [];
    const ctx = makeContext({ listApprovals: async () => rows });
    const t = track(createApprovalGate(cfg({ required: 2, approvers: ['alice', 'bob', 'carol', 'dave'] })).evaluate(ctx));
    await untilParkedOrSettled(ctx.clock, t.settled);
    rows = [vote('bob')];
    await ctx.clock.advance(DEFAULT_APPROVAL_POLL);
    await untilParkedOrSettled(ctx.clock, t.settled);
    expect(ctx.waits.map((w) => w.message)).toEqual([
      'waiting for 2 approvals from bob, carol or dave: run "shipgate approve dep_1 --by NAME"',
      'waiting for 1 approval from carol or dave: run "shipgate approve dep_1 --by NAME"',
    ]);
    rows = [vote('bob'), vote('dave')];
    await ctx.clock.advance(DEFAULT_APPROVAL_POLL);
    expect((await t.promise).reason).toBe('approved by bob, dave (waited 4s)');
  });

  it('blocks when the timeout passes', async () => {
    const ctx = makeContext();
    const { value: r, elapsedMs } = await drive(createApprovalGate(cfg()).evaluate(ctx), ctx.clock, DEFAULT_APPROVAL_POLL);
    expect(r.result).toBe('block');
    expect(r.reason).toBe('approval timed out after 30m: got 0 of 1, still needed 1 approval from bob or carol');
    expect(elapsedMs).toBe(30 * 60_000);
  });

  it('blocks at once when not enough eligible approvers are left', async () => {
    const r = await createApprovalGate(cfg({ approvers: ['alice'] })).evaluate(makeContext());
    expect(r.result).toBe('block');
    expect(r.reason).toBe('needs 1 more approval but nobody is left to approve; alice started this deployment and cannot approve it (allowSelf is off)');
    const two = await createApprovalGate(cfg({ required: 3 })).evaluate(makeContext({ listApprovals: async () => [vote('bob')] }));
    expect(two.reason).toBe('needs 2 more approvals but only carol can still approve; alice started this deployment and cannot approve it (allowSelf is off)');
  });

  it('cancellation while waiting propagates', async () => {
    const ac = new AbortController();
    const ctx = makeContext({ signal: ac.signal });
    const t = track(createApprovalGate(cfg()).evaluate(ctx));
    await untilParkedOrSettled(ctx.clock, t.settled);
    const reason = new Cancelled('SIGTERM');
    ac.abort(reason);
    await expect(t.promise).rejects.toBe(reason);
  });
});
