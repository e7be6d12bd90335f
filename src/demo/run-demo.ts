import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allocatePort } from '../agent/supervisor/ports.js';
import { humanDuration } from '../config/duration.js';
import { table } from '../cli/output.js';
import { DEMO_CONNECTIONS, DEMO_RPS, DEMO_STEPS, demoConfig, type DemoStep } from './scenario.js';
import { startTraffic, summarize, type Traffic } from './traffic.js';

const CLI = fileURLToPath(new URL('../../bin/shipgate.js', import.meta.url));
const APP = fileURLToPath(new URL('../../examples/demo-app/', import.meta.url));

export interface DemoRow {
  version: string;
  strategy: string;
  steps: string;
  verdict: string;
  expected: string;
  durationMs: number;
  requests: number;
  failed: number;
  /** First bad response to weight 0, for a rolled-back canary. */
  toWeightZeroMs: number | null;
  recordPath: string | null;
}

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(cwd: string, args: string[], echo: (line: string) => void): Promise<CliRun> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', SHIPGATE_ACTOR: 'demo' };
    delete env.CI;
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      for (const line of d.toString().split('\n').filter(Boolean)) echo(line);
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Journal {
  events: { type: string; at: string; data: { weights?: Record<string, number>; reason?: string } }[];
  rollout_stages: { stage: string; traffic_percentage: number; status: string }[];
}

/** `5% → 50% → 100%`, or `5% ✖` for a canary stopped at its first step. */
export function stepsText(stages: Journal['rollout_stages']): string {
  return stages
    .filter((s) => s.status !== 'not_started' && s.status !== 'skipped')
    .map((s) => `${s.traffic_percentage}%${s.status === 'failed' ? ' ✖' : ''}`)
    .join(' → ');
}

/** When the failing version's weight went to 0 (the revert), from the journal. */
function weightZeroAt(j: Journal): number | null {
  const revert = j.events.find((e) => e.type === 'rollout:weights' && String(e.data.reason ?? '').startsWith('revert'));
  return revert ? Date.parse(revert.at) : null;
}

async function deployStep(ws: string, step: DemoStep, traffic: Traffic | null, echo: (l: string) => void): Promise<DemoRow> {
  rmSync(join(ws, 'faults.json'), { force: true });
  if (step.faults) writeFileSync(join(ws, 'faults.json'), JSON.stringify(step.faults));
  const started = Date.now();
  const r = await runCli(ws, ['deploy', step.version, '--json'], echo);
  const ended = Date.now();
  const out = JSON.parse(r.stdout) as { deployment_id: string; status: string; record_path: string | null; record?: { rollout_stages: { stage: string; traffic_percentage: number }[] } };
  const shown = JSON.parse((await runCli(ws, ['show', out.deployment_id, '--events', '--json'], () => undefined)).stdout) as Journal;
  const window = traffic ? summarize(traffic.samples, started, ended) : { requests: 0, failed: 0, firstFailureAt: null };
  const zero = weightZeroAt(shown);
  return {
    version: step.version,
    strategy: shown.rollout_stages.length > 1 ? 'canary' : 'immediate',
    steps: stepsText(shown.rollout_stages),
    verdict: out.status,
    expected: step.expect,
    durationMs: ended - started,
    requests: window.requests,
    failed: window.failed,
    toWeightZeroMs: zero !== null && window.firstFailureAt !== null ? zero - window.firstFailureAt : null,
    recordPath: out.record_path,
  };
}

export function renderSummary(rows: DemoRow[]): string {
  return table(
    ['VERSION', 'STRATEGY', 'STEPS', 'VERDICT', 'EXPECTED', 'DURATION', 'REQUESTS', 'FAILED', 'BAD → WEIGHT 0'],
    rows.map((r) => [r.version, r.strategy, r.steps, r.verdict, r.expected, humanDuration(r.durationMs), String(r.requests), String(r.failed), r.toWeightZeroMs === null ? '-' : `${(r.toWeightZeroMs / 1000).toFixed(2)}s`]),
  );
}

/** Pure: did every deployment end as expected, and did only the faulty one lose requests? */
export function demoPassed(rows: DemoRow[]): { ok: boolean; problems: string[] } {
  const problems: string[] = [];
  for (const r of rows) {
    if (r.verdict !== r.expected) problems.push(`${r.version} ended ${r.verdict}, expected ${r.expected}`);
    if (r.expected === 'succeeded' && r.failed > 0) problems.push(`${r.version}: ${r.failed} failed request(s) during a healthy rollout`);
    if (r.expected === 'rolled_back' && r.toWeightZeroMs === null) problems.push(`${r.version}: no automatic revert was recorded`);
  }
  return { ok: problems.length === 0, problems };
}

/** `npm run demo`: a scripted tour in a temporary workspace. Resolves to the exit code. */
export async function runDemo(print: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  const ws = mkdtempSync(join(tmpdir(), 'shipgate-demo-'));
  for (const f of ['server.js', 'build.js', 'package.json']) cpSync(join(APP, f), join(ws, f));
  const port = await allocatePort(new Set());
  writeFileSync(join(ws, 'shipgate.yaml'), demoConfig(port));
  const echo = (line: string): void => print(`    ${line}`);
  print(`shipgate demo in ${ws} (router on 127.0.0.1:${port})`);
  let traffic: Traffic | null = null;
  const rows: DemoRow[] = [];
  try {
    const agent = await runCli(ws, ['agent', 'start'], echo);
    if (agent.code !== 0) throw new Error(`the agent did not start: ${agent.stderr || agent.stdout}`);
    for (const step of DEMO_STEPS) {
      print(`\n▶ ${step.version}: ${step.what}`);
      rows.push(await deployStep(ws, step, traffic, echo));
      if (!traffic) {
        traffic = startTraffic({ url: `http://127.0.0.1:${port}/`, rps: DEMO_RPS, connections: DEMO_CONNECTIONS });
        print(`  synthetic traffic: ${DEMO_RPS} requests/s over ${DEMO_CONNECTIONS} keep-alive connections`);
      }
    }
  } finally {
    await traffic?.stop();
    await runCli(ws, ['agent', 'stop'], echo);
  }
  print('');
  print(renderSummary(rows));
  print('');
  print(`records: ${join(ws, '.shipgate', 'records')}`);
  const verdict = demoPassed(rows);
  for (const p of verdict.problems) print(`✖ ${p}`);
  print(verdict.ok ? '✔ every deployment ended as expected' : '✖ the demo did not go as expected');
  return verdict.ok ? 0 : 1;
}
