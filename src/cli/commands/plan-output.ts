import type { DryRunPlan } from '../../pipeline/dry-run.js';
import type { Output } from '../output.js';

/** Prints a dry-run plan: gate verdicts, then every stage, step and command (argv + env, masked). */
export function printPlan(plan: DryRunPlan, out: Output): void {
  const blocked = plan.gates.some((g) => g.result === 'block');
  if (out.json) {
    out.result({ dry_run: true, app: plan.facts.app, environment: plan.facts.environment, version: plan.facts.version, previous_version: plan.facts.previousVersion, would_proceed: !blocked, gates: plan.gates, stages: plan.stages });
    return;
  }
  const f = plan.facts;
  out.line(`dry run: deploy ${f.version} to ${f.app}/${f.environment} (${f.previousVersion ? `live: ${f.previousVersion}` : 'first deployment'}); nothing will change`);
  out.line('');
  out.line('gates:');
  for (const g of plan.gates) out.line(`  ${g.name.padEnd(9)} ${g.result.padEnd(10)} ${g.reason}`);
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
  out.line(blocked ? 'a gate blocks: a real deploy would stop before changing anything' : 'gates pass: a real deploy would run the stages above');
}
