import { describe, expect, it } from 'vitest';
import { describeFailed, describeWaiting, evaluateChecks } from '../../../src/gates/checks/evaluate.js';
import type { CheckRunFact, CommitChecksFacts, StatusFact } from '../../../src/gates/checks/github.js';

const run = (id: number, name: string, status: string, conclusion: string | null = null): CheckRunFact => ({
  id,
  name,
  status,
  conclusion,
  startedAt: null,
  completedAt: null,
  url: `https://github.com/acme/shop/runs/${id}`,
});
const status = (context: string, state: string): StatusFact => ({ context, state, url: `https://ci.example.com/${context}`, id: null });
const facts = (checkRuns: CheckRunFact[], statuses: StatusFact[] = []): CommitChecksFacts => ({ combinedState: null, statuses, checkRuns });
const names = (xs: { name: string }[]): string[] => xs.map((x) => x.name);

describe('evaluateChecks', () => {
  it('sorts check runs by status and conclusion', () => {
    const e = evaluateChecks(
      ['ok', 'neutral', 'skipped', 'queued', 'running', 'failure', 'cancelled', 'timed_out', 'action_required', 'stale', 'startup_failure'],
      facts([
        run(1, 'ok', 'completed', 'success'),
        run(2, 'neutral', 'completed', 'neutral'),
        run(3, 'skipped', 'completed', 'skipped'),
        run(4, 'queued', 'queued'),
        run(5, 'running', 'in_progress'),
        run(6, 'failure', 'completed', 'failure'),
        run(7, 'cancelled', 'completed', 'cancelled'),
        run(8, 'timed_out', 'completed', 'timed_out'),
        run(9, 'action_required', 'completed', 'action_required'),
        run(10, 'stale', 'completed', 'stale'),
        run(11, 'startup_failure', 'completed', 'startup_failure'),
      ]),
    );
    expect(names(e.passed)).toEqual(['ok', 'neutral', 'skipped']);
    expect(e.pending.map((c) => [c.name, c.state])).toEqual([
      ['queued', 'queued'],
      ['running', 'in_progress'],
    ]);
    expect(e.failed.map((c) => c.state)).toEqual(['failure', 'cancelled', 'timed_out', 'action_required', 'stale', 'startup_failure']);
    expect(e.missing).toEqual([]);
  });

  it('uses the newest check run (highest id) of a name', () => {
    const rerun = facts([run(20, 'test', 'completed', 'success'), run(10, 'test', 'completed', 'failure')]);
    expect(names(evaluateChecks(['test'], rerun).passed)).toEqual(['test']);
    const rerunning = facts([run(10, 'test', 'completed', 'success'), run(20, 'test', 'in_progress')]);
    expect(evaluateChecks(['test'], rerunning).pending).toEqual([{ name: 'test', state: 'in_progress', url: 'https://github.com/acme/shop/runs/20', source: 'check_run' }]);
  });

  it('matches commit status contexts', () => {
    const e = evaluateChecks(
      ['ci/a', 'ci/b', 'ci/c', 'ci/d'],
      facts([], [status('ci/a', 'success'), status('ci/b', 'pending'), status('ci/c', 'failure'), status('ci/d', 'error')]),
    );
    expect(names(e.passed)).toEqual(['ci/a']);
    expect(names(e.pending)).toEqual(['ci/b']);
    expect(e.failed.map((c) => [c.name, c.state, c.source])).toEqual([
      ['ci/c', 'failure', 'status'],
      ['ci/d', 'error', 'status'],
    ]);
  });

  it('reports names GitHub does not know as missing', () => {
    const e = evaluateChecks(['test', 'gitleaks'], facts([run(1, 'test', 'completed', 'success')]));
    expect(e.missing).toEqual(['gitleaks']);
  });

  it('when a check run and a status share a name, the worse one counts', () => {
    const e = evaluateChecks(['test'], facts([run(1, 'test', 'completed', 'success')], [status('test', 'failure')]));
    expect(e.failed.map((c) => c.source)).toEqual(['status']);
  });

  it('describes waiting and failed checks', () => {
    const e = evaluateChecks(['test', 'gitleaks', 'lint'], facts([run(1, 'test', 'in_progress'), run(2, 'lint', 'completed', 'failure')]));
    expect(describeWaiting(e)).toBe('test (in_progress), gitleaks (not reported yet)');
    expect(describeFailed(e.failed)).toBe('lint (failure: https://github.com/acme/shop/runs/2)');
  });
});
