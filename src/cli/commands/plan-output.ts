import type { DryRunPlan } from '../../pipeline/dry-run.js';
import type { Output } from '../output.js';

/** Prints a dry-run plan: gate verdicts, then every stage, step and command (argv + env, masked). */
export function printPlan(plan: DryRunPlan, out: Output): void {
  const blocked = isBlocked(plan);
  const f = plan.facts;
  const rollback = f.kind === 'rollback' ? { rollback_type: f.rollback?.type ?? 'app', rollback_of: f.rollbackOf, data_rollback: f.rollback?.actions ?? [] } : {};
  if (out.json) {
    out.result({ dry_run: true, kind: f.kind, app: f.app, environment: f.environment, version: f.version, previous_version: f.previousVersion, ...rollback, would_proceed: !blocked, gates: plan.gates, migrations: plan.migrations, stages: plan.stages });
    return;
  }
  out.line(`dry run: ${headline(plan)}; nothing will change`);
  out.line('');
  out.line('gates:');
  for (const g of plan.gates) out.line(`  ${g.name.padEnd(9)} ${g.result.padEnd(10)} ${g.reason}`);
  printGuard(plan.migrations, out);
  out.line('');
  out.line('stages:');
  plan.stages.forEach((s, i) => {
    out.line(`  ${i + 1}. ${s.stage}${s.undo ? ' (undone on failure)' : ''}`);
    for (const step of s.steps) {
      out.line(`     - ${step.step}: ${step.detail}`);
      if (step.command) {
        out.line(`       argv: ${JSON.stringify(step.command.argv)}`);
        out.line(`       cwd:  ${step.command.cwd}   timeout: ${Math.round(step.command.timeoutMs / 1000)}s`);
        for (const [k, v] of Object.entries(step.command.env)) out.line(`       env:  ${k}=${v}`);
      }
    }
  });
  out.line('');
  const what = f.kind === 'rollback' ? 'rollback' : 'deploy';
  const gateBlocks = plan.gates.some((g) => g.result === 'block');
  out.line(gateBlocks ? `a gate blocks: a real ${what} would stop before changing anything` : blocked ? `the destructive-migration guard blocks: a real ${what} would stop before changing anything` : `gates pass: a real ${what} would run the stages above`);
}

function headline(plan: DryRunPlan): string {
  const f = plan.facts;
  if (f.kind === 'deploy') return `deploy ${f.version} to ${f.app}/${f.environment} (${f.previousVersion ? `live: ${f.previousVersion}` : 'first deployment'})`;
  const type = f.rollback?.type ?? 'app';
  const app = type === 'migration' || type === 'database' ? `${f.version} stays live` : `${f.previousVersion} -> ${f.version}`;
  return `rollback --type ${type} of ${f.app}/${f.environment} (${app}; rolls back ${f.rollbackOf})`;
}

/** A gate or the destructive-migration guard would stop the deploy (exit 3). */
export function isBlocked(plan: DryRunPlan): boolean {
  return plan.gates.some((g) => g.result === 'block') || plan.migrations.some((m) => m.verdict === 'block');
}

function printGuard(verdicts: DryRunPlan['migrations'], out: Output): void {
  if (verdicts.length === 0) return;
  out.line('');
  out.line('destructive-migration guard:');
  for (const v of verdicts) {
    out.line(`  ${v.database.padEnd(9)} ${v.verdict.padEnd(10)} ${v.reason}`);
    if (v.verdict === 'skipped') continue;
    for (const f of v.findings) {
      out.line(`     - [${f.rule}] ${f.message}`);
      out.line(`       statement: ${f.text.replace(/\s+/g, ' ')}`);
    }
  }
}
