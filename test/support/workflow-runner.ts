/**
 * Runs the `run:` steps of a generated workflow job the way a GitHub runner would: each script in
 * `bash --noprofile --norc -eo pipefail` (`shell: bash`), with the step's `env:` (its `${{ … }}` evaluated
 * against the contexts given), the runner's GITHUB_* variables, and GITHUB_PATH / GITHUB_OUTPUT honoured
 * between steps. `uses:` steps (checkout, setup-node, upload-artifact) are actions, not scripts: the
 * caller's folder stands for the checkout. Only `${{ a.b.c }}` lookups are evaluated; anything else
 * throws, so a generator that starts relying on more is noticed here.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type Contexts = Record<string, Record<string, unknown>>;

export interface StepRun {
  name: string;
  code: number;
  stdout: string;
  stderr: string;
}

type Obj = Record<string, unknown>;

/** `${{ inputs.reason }}` → the value; a missing one is '' (as on GitHub); anything but a lookup throws. */
export function evaluate(text: string, ctx: Contexts): string {
  return text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expr: string) => {
    if (!/^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)+$/.test(expr)) throw new Error(`the test runner evaluates only lookups, not \${{ ${expr} }}`);
    let v: unknown = ctx;
    for (const part of expr.split('.')) v = v !== null && typeof v === 'object' ? (v as Obj)[part] : undefined;
    return v === undefined || v === null ? '' : String(v);
  });
}

function runScript(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Omit<StepRun, 'name'>> {
  const file = join(env.RUNNER_TEMP!, `step-${Date.now()}-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(file, script);
  return new Promise((resolve) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Runs a job's `run:` steps in order; stops at the first that fails (as GitHub does), returning every step run. */
export async function runJob(workflow: Obj, jobId: string, opts: { cwd: string; ctx: Contexts; env: NodeJS.ProcessEnv; tempRoot: string }): Promise<StepRun[]> {
  const defaults = (workflow.defaults as { run?: { shell?: string } } | undefined)?.run?.shell;
  if (defaults !== 'bash') throw new Error(`expected defaults.run.shell: bash (got ${String(defaults)})`);
  const job = (workflow.jobs as Record<string, Obj>)[jobId]!;
  const temp = mkdtempSync(join(opts.tempRoot, 'runner-'));
  const files = { GITHUB_PATH: join(temp, 'path'), GITHUB_OUTPUT: join(temp, 'output'), GITHUB_ENV: join(temp, 'env') };
  for (const f of Object.values(files)) appendFileSync(f, '');
  const runs: StepRun[] = [];
  for (const step of job.steps as Obj[]) {
    if (step.uses !== undefined) continue;
    const stepEnv = Object.fromEntries(Object.entries((step.env as Record<string, string>) ?? {}).map(([k, v]) => [k, evaluate(String(v), opts.ctx)]));
    const added = readFileSync(files.GITHUB_PATH, 'utf8').split('\n').filter(Boolean).reverse();
    const env = { ...opts.env, ...stepEnv, ...files, RUNNER_TEMP: temp, PATH: [...added, opts.env.PATH].join(':') };
    const r = await runScript(String(step.run), opts.cwd, env);
    runs.push({ name: String(step.name ?? step.id ?? 'run'), ...r });
    if (r.code !== 0) break;
  }
  return runs;
}

/** The runner's own variables for an event (what `github.*` also holds). */
export function runnerEnv(github: Record<string, string>, workspace: string): Record<string, string> {
  return {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_EVENT_NAME: github.event_name!,
    GITHUB_REF_TYPE: github.ref_type!,
    GITHUB_REF_NAME: github.ref_name!,
    GITHUB_SHA: github.sha!,
    GITHUB_ACTOR: github.actor!,
    GITHUB_REPOSITORY: github.repository!,
    GITHUB_RUN_ID: github.run_id!,
    GITHUB_RUN_NUMBER: github.run_number!,
  };
}
