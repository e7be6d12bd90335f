import type { GatesConfig } from '../config/schema/index.js';
import { createApprovalGate } from './approval.js';
import { cancellationError, isCancellation, throwIfAborted } from './cancellation.js';
import { createChecksGate } from './checks/gate.js';
import type { Gate, GateContext, GateResult } from './contract.js';
import { createHealthGate } from './health.js';
import { gateResult } from './result.js';
import { createSecretsGate } from './secrets/gate.js';
import { createSemverGate } from './semver.js';
import { createWindowGate } from './window.js';

export type { EmergencyOverride, Gate, GateContext, GateResult, GateResultKind, KnownSecret, SecretScanFacts } from './contract.js';
export { createSecretsGate, type SecretsGateConfig } from './secrets/gate.js';
export { GATE_RESULTS } from './contract.js';
export { checkVersionSafety, MAX_VERSION_LENGTH } from './version.js';
export { createSemverGate, evaluateSemver, type SemverDecision, type SemverGateConfig } from './semver.js';
export { createWindowGate, evaluateWindow, formatDays, DEFAULT_WINDOW_SEARCH_DAYS, type WindowDecision } from './window.js';
export { createChecksGate, type ChecksGateConfig } from './checks/gate.js';
export { evaluateChecks, type CheckState, type ChecksEvaluation } from './checks/evaluate.js';
export { createGithubClient, GithubApiError, type CommitChecksFacts, type GithubClient, type GithubClientOptions } from './checks/github.js';
export { runCommandCheck, type CommandCheckOutcome } from './checks/commands.js';
export { createHealthGate, healthTargets, type HealthGateConfig } from './health.js';
export {
  checkApprover,
  createApprovalGate,
  DEFAULT_APPROVAL_POLL,
  evaluateApprovals,
  type ApprovalEvaluation,
  type ApprovalGateConfig,
  type IgnoredApproval,
} from './approval.js';

export const SKIP_ROLLBACK_REASON = 'not applied to rollbacks (set applyToRollback to apply)';
export const SKIP_AFTER_BLOCK_REASON = 'not evaluated: an earlier gate blocked';

/** Gates the pipeline evaluates after the build (they look at the release), not in the gates stage. */
export const AFTER_BUILD_GATES: readonly string[] = ['secrets'];

/** The enabled gates in evaluation order: semver, window, checks, health, approval, secrets (`false` or absent ones are left out). */
export function createGates(gates: GatesConfig): Gate[] {
  const out: Gate[] = [];
  if (gates.semver) out.push(createSemverGate(gates.semver));
  if (gates.window) out.push(createWindowGate(gates.window));
  if (gates.checks) out.push(createChecksGate(gates.checks));
  if (gates.health) out.push(createHealthGate(gates.health));
  if (gates.approval) out.push(createApprovalGate(gates.approval));
  if (gates.secrets) out.push(createSecretsGate(gates.secrets));
  return out;
}

export interface EvaluateGatesOptions {
  /** After a `block`, report the remaining gates as `skip` instead of evaluating them. */
  stopOnBlock: boolean;
  /** Called with each result as soon as it is known (skips included). */
  onResult?(r: GateResult): void;
}

/**
 * Evaluates `gates` in order. For rollbacks, gates without `applyToRollback` are
 * skipped. A gate that throws anything but cancellation is reported as a block.
 */
export async function evaluateGates(gates: readonly Gate[], ctx: GateContext, opts: EvaluateGatesOptions): Promise<GateResult[]> {
  const results: GateResult[] = [];
  let blocked = false;
  for (const gate of gates) {
    throwIfAborted(ctx.signal);
    let r: GateResult;
    if (ctx.kind === 'rollback' && !gate.applyToRollback) {
      r = { name: gate.name, result: 'skip', reason: SKIP_ROLLBACK_REASON };
    } else if (blocked && opts.stopOnBlock) {
      r = { name: gate.name, result: 'skip', reason: SKIP_AFTER_BLOCK_REASON };
    } else {
      try {
        r = await gate.evaluate(ctx);
      } catch (err) {
        if (isCancellation(err, ctx.signal)) throw cancellationError(err, ctx.signal);
        r = gateResult(gate.name, 'block', `the ${gate.name} gate failed unexpectedly: ${(err as Error).message ?? String(err)}`, ctx.mask);
      }
      if (r.result === 'block') blocked = true;
    }
    results.push(r);
    opts.onResult?.(r);
  }
  return results;
}
