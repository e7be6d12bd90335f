import type { z } from 'zod';
import { humanDuration, toMs } from '../../config/duration.js';
import type { ChecksGateSchema } from '../../config/schema/index.js';
import type { Gate, GateContext, GateResult, GateResultKind } from '../contract.js';
import { cancellationError, isCancellation } from '../cancellation.js';
import { gateResult } from '../result.js';
import { describeCommandFailure, runCommandCheck, type CommandCheckOutcome } from './commands.js';
import { describeFailed, describeWaiting, evaluateChecks, type ChecksEvaluation } from './evaluate.js';
import { createGithubClient, GithubApiError, shortSha, type GithubClient } from './github.js';

export type ChecksGateConfig = z.infer<typeof ChecksGateSchema>;

/** One look at GitHub: what it said, or why it could not be read. */
type Look = { ok: true; evaluation: ChecksEvaluation } | { ok: false; error: GithubApiError };

export function createChecksGate(cfg: ChecksGateConfig): Gate {
  return {
    name: 'checks',
    applyToRollback: cfg.applyToRollback,
    evaluate: (ctx) => evaluateChecksGate(cfg, ctx),
  };
}

/**
 * Required GitHub checks and command checks. A failed check blocks at once; pending
 * or not-yet-reported GitHub checks are polled every `pollInterval` for up to `timeout`
 * (not at all with `ctx.noWait`). Command checks run once, after the first look at GitHub.
 */
async function evaluateChecksGate(cfg: ChecksGateConfig, ctx: GateContext): Promise<GateResult> {
  const github = cfg.github;
  const commandOutcomes: CommandCheckOutcome[] = [];
  const base: Record<string, unknown> = {};
  const done = (kind: GateResultKind, reason: string, extra: Record<string, unknown> = {}): GateResult =>
    gateResult('checks', kind, reason, ctx.mask, { ...base, ...extra, commands: commandOutcomes });

  if (!github && cfg.commands.length === 0) return done('pass', 'no checks are configured');

  let client: GithubClient | null = null;
  let sha = '';
  let where = '';
  if (github) {
    if (!ctx.gitSha) {
      return done(
        'block',
        `the deployed commit is unknown, so the required GitHub checks of ${github.repo} cannot be read: pass --sha or run shipgate inside the git checkout`,
      );
    }
    sha = ctx.gitSha;
    where = `${github.repo}@${shortSha(sha)}`;
    Object.assign(base, { repo: github.repo, sha, required: github.required });
    client = createGithubClient({ apiUrl: github.apiUrl, repo: github.repo, token: github.token, http: ctx.http, signal: ctx.signal });
  }

  const look = async (): Promise<Look> => {
    try {
      return { ok: true, evaluation: evaluateChecks(github!.required, await client!.commitChecks(sha)) };
    } catch (err) {
      if (err instanceof GithubApiError && !ctx.signal?.aborted) return { ok: false, error: err };
      if (isCancellation(err, ctx.signal)) throw cancellationError(err, ctx.signal);
      return { ok: false, error: new GithubApiError(`could not read GitHub checks of ${where}: ${(err as Error).message}`, null, false) };
    }
  };
  /** A verdict that waiting cannot change (fatal API error, failed check), or null. */
  const settled = (l: Look): GateResult | null => {
    if (!l.ok) return l.error.fatal ? done('block', l.error.message, { status: l.error.status }) : null;
    if (l.evaluation.failed.length > 0) {
      return done('block', `required checks failed for ${where}: ${describeFailed(l.evaluation.failed)}`, evaluationDetails(l.evaluation));
    }
    return null;
  };

  let current: Look | null = null;
  if (client) {
    current = await look();
    const verdict = settled(current);
    if (verdict) return verdict;
  }

  for (const check of cfg.commands) {
    const outcome = await runCommandCheck(check, { run: ctx.run, signal: ctx.signal, mask: ctx.mask });
    commandOutcomes.push(outcome);
    if (!outcome.ok) return done('block', `command check failed: ${describeCommandFailure(outcome)}`);
  }
  const commandsText = commandOutcomes.length > 0 ? `command checks passed: ${commandOutcomes.map((o) => o.name).join(', ')}` : '';

  if (!current) return done('pass', commandsText);

  const timeoutMs = toMs(cfg.timeout);
  const pollMs = toMs(cfg.pollInterval);
  const waitStarted = ctx.clock.now();
  const deadline = waitStarted + timeoutMs;
  let lastKnown: ChecksEvaluation | null = current.ok ? current.evaluation : null;
  for (;;) {
    if (current.ok && current.evaluation.pending.length === 0 && current.evaluation.missing.length === 0) {
      const passed = current.evaluation.passed.map((c) => c.name).join(', ');
      const waited = ctx.clock.now() - waitStarted;
      const reason = `required checks passed for ${where}: ${passed}${commandsText ? `; ${commandsText}` : ''}${waited > 0 ? ` (waited ${humanDuration(waited)})` : ''}`;
      return done('pass', reason, { ...evaluationDetails(current.evaluation), waitedMs: waited });
    }
    const state = current.ok ? describeWaiting(current.evaluation) : current.error.message;
    const known = lastKnown ? evaluationDetails(lastKnown) : {};
    if (ctx.noWait) {
      const reason = current.ok
        ? `required checks of ${where} are not finished (not waiting): ${state}`
        : `could not read the required checks of ${where} (not waiting): ${state}`;
      return done('block', reason, known);
    }
    const remaining = deadline - ctx.clock.now();
    if (remaining <= 0) {
      const reason = current.ok
        ? `checks still pending after ${humanDuration(timeoutMs)}: ${state}`
        : `checks still pending after ${humanDuration(timeoutMs)}: the last look at GitHub failed: ${state}${lastKnown ? `; last known: ${describeWaiting(lastKnown)}` : ''}`;
      return done('block', reason, { ...known, waitedMs: ctx.clock.now() - waitStarted });
    }
    const waitingFor = current.ok ? state : `${lastKnown ? describeWaiting(lastKnown) : github!.required.join(', ')} (${state}; retrying)`;
    ctx.onWait?.('checks', ctx.mask(`waiting for checks: ${waitingFor} — ${humanDuration(remaining)} left`));
    await ctx.clock.sleep(Math.min(pollMs, remaining), ctx.signal);
    current = await look();
    const verdict = settled(current);
    if (verdict) return verdict;
    if (current.ok) lastKnown = current.evaluation;
  }
}

function evaluationDetails(e: ChecksEvaluation): Record<string, unknown> {
  return { passed: e.passed, pending: e.pending, failed: e.failed, missing: e.missing };
}
