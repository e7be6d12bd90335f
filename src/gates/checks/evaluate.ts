import type { CheckRunFact, CommitChecksFacts, StatusFact } from './github.js';

/** Check-run conclusions that count as passed; every other conclusion (failure, cancelled, timed_out, action_required, stale, startup_failure...) fails. */
export const PASSING_CONCLUSIONS: ReadonlySet<string> = new Set(['success', 'neutral', 'skipped']);

export interface CheckState {
  /** The required name. */
  name: string;
  /** Check-run status or conclusion, or commit-status state: `in_progress`, `success`, `failure`... */
  state: string;
  url: string | null;
  source: 'check_run' | 'status';
}

export interface ChecksEvaluation {
  passed: CheckState[];
  pending: CheckState[];
  failed: CheckState[];
  /** Required names GitHub has not reported at all (treated like pending while waiting). */
  missing: string[];
}

type Outcome = 'passed' | 'pending' | 'failed';
const SEVERITY: Record<Outcome, number> = { passed: 0, pending: 1, failed: 2 };

/**
 * Sorts each required name into passed, pending, failed or missing. A name matches a
 * check-run `name` or a status `context`; of several check runs with one name the
 * newest (highest id) counts. When both a check run and a status match, the worse wins.
 */
export function evaluateChecks(required: readonly string[], facts: CommitChecksFacts): ChecksEvaluation {
  const out: ChecksEvaluation = { passed: [], pending: [], failed: [], missing: [] };
  for (const name of [...new Set(required)]) {
    const candidates: [Outcome, CheckState][] = [];
    const run = newest(facts.checkRuns.filter((r) => r.name === name));
    if (run) candidates.push(judgeRun(name, run));
    const status = newestStatus(facts.statuses.filter((s) => s.context === name));
    if (status) candidates.push(judgeStatus(name, status));
    if (candidates.length === 0) {
      out.missing.push(name);
      continue;
    }
    const [outcome, state] = candidates.reduce((worst, c) => (SEVERITY[c[0]] > SEVERITY[worst[0]] ? c : worst));
    out[outcome].push(state);
  }
  return out;
}

function newest(runs: CheckRunFact[]): CheckRunFact | undefined {
  return runs.reduce<CheckRunFact | undefined>((best, r) => (!best || r.id > best.id ? r : best), undefined);
}

/** The combined status already has one status per context; if not, the highest id (or the first, which GitHub lists newest) wins. */
function newestStatus(statuses: StatusFact[]): StatusFact | undefined {
  return statuses.reduce<StatusFact | undefined>((best, s) => (!best || (s.id !== null && best.id !== null && s.id > best.id) ? s : best), undefined);
}

function judgeRun(name: string, run: CheckRunFact): [Outcome, CheckState] {
  const base = { name, url: run.url, source: 'check_run' as const };
  if (run.status !== 'completed' || run.conclusion === null) return ['pending', { ...base, state: run.status }];
  if (PASSING_CONCLUSIONS.has(run.conclusion)) return ['passed', { ...base, state: run.conclusion }];
  return ['failed', { ...base, state: run.conclusion }];
}

function judgeStatus(name: string, status: StatusFact): [Outcome, CheckState] {
  const state: CheckState = { name, state: status.state, url: status.url, source: 'status' };
  if (status.state === 'success') return ['passed', state];
  if (status.state === 'pending') return ['pending', state];
  return ['failed', state];
}

/** `test (in_progress), gitleaks (not reported yet)`. */
export function describeWaiting(e: ChecksEvaluation): string {
  return [...e.pending.map((c) => `${c.name} (${c.state})`), ...e.missing.map((n) => `${n} (not reported yet)`)].join(', ');
}

/** `test (failure: https://…), lint (cancelled)`. */
export function describeFailed(failed: readonly CheckState[]): string {
  return failed.map((c) => `${c.name} (${c.state}${c.url ? `: ${c.url}` : ''})`).join(', ');
}
