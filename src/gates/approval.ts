import type { z } from 'zod';
import { humanDuration, toMs } from '../config/duration.js';
import type { ApprovalGateSchema } from '../config/schema/index.js';
import type { ApprovalRow } from '../store/contract.js';
import { cancellationError, isCancellation } from './cancellation.js';
import type { Gate, GateContext, GateResult } from './contract.js';
import { gateResult } from './result.js';

export type ApprovalGateConfig = z.infer<typeof ApprovalGateSchema>;

/** Pause between looks at the recorded approvals while waiting. */
export const DEFAULT_APPROVAL_POLL = 2000;

export interface IgnoredApproval {
  approver: string;
  why: string;
}

export interface ApprovalEvaluation {
  approved: boolean;
  /** Approvals that count. */
  count: number;
  /** Who approved (counted), in order of approval. */
  approvers: string[];
  ignored: IgnoredApproval[];
}

/** Counts the approvals: only listed approvers, one vote per person, no self-approval unless `allowSelf`. */
export function evaluateApprovals(cfg: ApprovalGateConfig, approvals: readonly ApprovalRow[], actor: string): ApprovalEvaluation {
  const approvers: string[] = [];
  const ignored: IgnoredApproval[] = [];
  const ordered = [...approvals].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  for (const row of ordered) {
    const why = checkApprover(cfg, row.approver, actor) ?? (approvers.includes(row.approver) ? `${row.approver} already approved (one vote per person)` : null);
    if (why) ignored.push({ approver: row.approver, why });
    else approvers.push(row.approver);
  }
  return { approved: approvers.length >= cfg.required, count: approvers.length, approvers, ignored };
}

/** Null when `approver` may approve a deployment started by `actor`; otherwise the error for `shipgate approve`. */
export function checkApprover(cfg: ApprovalGateConfig, approver: string, actor: string): string | null {
  if (!cfg.approvers.includes(approver)) return `${approver} is not an approver for this environment (approvers: ${cfg.approvers.join(', ')})`;
  if (approver === actor && !cfg.allowSelf) return `${approver} started this deployment and cannot approve it (allowSelf is off)`;
  return null;
}

/** Listed approvers who have not approved yet and may still do so. */
export function remainingApprovers(cfg: ApprovalGateConfig, e: ApprovalEvaluation, actor: string): string[] {
  return cfg.approvers.filter((a) => !e.approvers.includes(a) && (cfg.allowSelf || a !== actor));
}

/** "alice", "alice or bob", "alice, bob or carol". */
export function orList(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

function approvalsText(n: number): string {
  return n === 1 ? '1 approval' : `${n} approvals`;
}

export function createApprovalGate(cfg: ApprovalGateConfig): Gate {
  return {
    name: 'approval',
    applyToRollback: cfg.applyToRollback,
    evaluate: (ctx) => evaluateApprovalGate(cfg, ctx),
  };
}

/**
 * Passes once enough approvals are recorded. Otherwise announces how to approve
 * (`ctx.onWait`) and polls every {@link DEFAULT_APPROVAL_POLL} ms up to `timeout`.
 * With `ctx.noWait` it reports what it would wait for (`skip`).
 */
async function evaluateApprovalGate(cfg: ApprovalGateConfig, ctx: GateContext): Promise<GateResult> {
  const timeoutMs = toMs(cfg.timeout);
  const started = ctx.clock.now();
  const deadline = started + timeoutMs;
  let announced = -1;
  let lastError: string | null = null;
  let last: ApprovalEvaluation | null = null;
  const details = (): Record<string, unknown> => ({
    required: cfg.required,
    count: last?.count ?? 0,
    approvers: last?.approvers ?? [],
    ignored: last?.ignored ?? [],
    waitedMs: ctx.clock.now() - started,
  });
  const result = (kind: GateResult['result'], reason: string): GateResult => gateResult('approval', kind, reason, ctx.mask, details());

  for (;;) {
    try {
      last = evaluateApprovals(cfg, await ctx.listApprovals(), ctx.actor);
      lastError = null;
    } catch (err) {
      if (isCancellation(err, ctx.signal)) throw cancellationError(err, ctx.signal);
      lastError = (err as Error).message;
    }
    const waited = ctx.clock.now() - started;
    if (last?.approved) {
      return result('pass', `approved by ${last.approvers.join(', ')}${waited > 0 ? ` (waited ${humanDuration(waited)})` : ''}`);
    }
    const missing = cfg.required - (last?.count ?? 0);
    const eligible = last ? remainingApprovers(cfg, last, ctx.actor) : cfg.approvers.filter((a) => cfg.allowSelf || a !== ctx.actor);
    if (eligible.length < missing) {
      const self = !cfg.allowSelf && cfg.approvers.includes(ctx.actor) ? `; ${ctx.actor} started this deployment and cannot approve it (allowSelf is off)` : '';
      const more = missing === 1 ? '1 more approval' : `${missing} more approvals`;
      const who = eligible.length === 0 ? 'nobody is left to approve' : `only ${orList(eligible)} can still approve`;
      return result('block', `needs ${more} but ${who}${self}`);
    }
    const from = `${approvalsText(missing)} from ${orList(eligible)}`;
    if (ctx.noWait) {
      return lastError
        ? result('block', `could not read the approvals: ${lastError}`)
        : result('skip', `would wait for ${missing} approval(s) from ${orList(eligible)} (up to ${humanDuration(timeoutMs)})`);
    }
    if (!ctx.deploymentId) return result('block', `cannot wait for ${from}: the deployment has no id to approve`);
    const remaining = deadline - ctx.clock.now();
    if (remaining <= 0) {
      const got = `got ${last?.count ?? 0} of ${cfg.required}${last && last.count > 0 ? ` (${last.approvers.join(', ')})` : ''}`;
      return result('block', `approval timed out after ${humanDuration(timeoutMs)}: ${got}, still needed ${from}${lastError ? ` (last error: ${lastError})` : ''}`);
    }
    const count = last?.count ?? 0;
    if (count !== announced) {
      announced = count;
      ctx.onWait?.('approval', ctx.mask(`waiting for ${from}: run "shipgate approve ${ctx.deploymentId} --by NAME"`));
    }
    await ctx.clock.sleep(Math.min(DEFAULT_APPROVAL_POLL, remaining), ctx.signal);
  }
}
