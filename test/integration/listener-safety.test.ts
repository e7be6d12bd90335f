/**
 * Acceptance (issue 8, §2): the event bus is a seam anything can hang on. A
 * listener that throws, or returns a rejected promise, on any event type, must
 * not change what a deployment does: it completes with the status it would have
 * had, and its lock is released. Shown on SQLite and PostgreSQL, in a separate
 * process that uses the built library the way an integrator would (an unhandled
 * rejection there ends the process, which is what the issue reproduced).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus, type LifecycleEventName } from '../../src/pipeline/events.js';
import { Journal } from '../../src/pipeline/journal.js';
import { systemClock } from '../../src/runtime/clock.js';
import { Masker } from '../../src/runtime/secrets.js';
import { openStore, type Store } from '../../src/store/index.js';
import { startTarget, type Target } from '../support/http-target.js';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';
import { makeLocalProject, type LocalProject } from '../support/local-project.js';
import { makeProject, REPO_ROOT, STATE_SCRIPTS, type Project } from '../support/project.js';

/** Every lifecycle event type, with a payload of its shape (the type system keeps this list complete). */
const PAYLOADS: { [K in LifecycleEventName]: Record<string, unknown> } = {
  'deploy:started': { app: 'shop', environment: 'production', version: 'v1.0.0', kind: 'deploy', previousVersion: null, stages: ['gates', 'deploy'] },
  'gate:evaluated': { gate: { name: 'semver', result: 'pass', reason: 'v1.0.0' } },
  'gate:waiting': { gate: 'approval', message: 'waiting' },
  'stage:started': { stage: 'deploy' },
  'stage:finished': { stage: 'deploy', durationMs: 1 },
  'stage:failed': { stage: 'deploy', durationMs: 1, error: 'x' },
  'step:started': { stage: 'deploy', step: 'deploy' },
  'step:finished': { stage: 'deploy', step: 'deploy', durationMs: 1 },
  'step:failed': { stage: 'deploy', step: 'deploy', durationMs: 1, error: 'x' },
  'step:output': { stage: 'deploy', step: 'deploy', lines: [{ stream: 'stdout', text: 'hi' }] },
  'process:started': { stage: 'deploy', pgid: 1, start: null, command: 'x' },
  'process:ended': { stage: 'deploy', pgid: 1, command: 'x', signal: 'SIGTERM' },
  'undo:started': { stage: 'deploy' },
  'undo:finished': { stage: 'deploy', durationMs: 1, done: true, detail: 'x' },
  'undo:failed': { stage: 'deploy', durationMs: 1, error: 'x' },
  'approval:added': { approver: 'bob', comment: null },
  'recovery:started': { policy: 'rollback', reason: 'x' },
  'cancel:requested': { signal: 'SIGINT' },
  'run:interrupted': { reason: 'x' },
  'rollout:step': { stage: 'deploy', step: 'canary', status: 'started', trafficPercentage: 5, weights: {}, durationMs: 0 },
  'rollout:evaluation': { stage: 'deploy', failures: 0, failureLimit: 2, evaluation: {} },
  'rollout:weights': { stage: 'deploy', weights: {}, reason: 'x' },
  'rollout:paused': { stage: 'deploy', step: 'canary', reason: 'command' },
  'rollout:resumed': { stage: 'deploy', step: 'canary' },
  'rollout:command': { stage: 'deploy', step: 'canary', command: 'promote' },
  'rollout:requested': { command: 'promote', by: 'alice' },
  'stage:noted': { stage: 'deploy', output: { startedFrom: 'v0.9.0' } },
  'deploy:warning': { message: 'x' },
  'deploy:acknowledged': { by: 'bob', reason: 'x' },
  'agent:crash_loop': { agentEventId: 'a1', environment: 'production', version: 'v1', message: 'v1#1 is crash-looping', data: {} },
  'agent:ejected': { agentEventId: 'a2', environment: 'production', version: 'v1', message: 'router: v1 ejected', data: {} },
  'agent:deadman_abort': { agentEventId: 'a3', environment: 'production', version: 'v1', message: 'dead-man switch', data: {} },
  'backups:pruned': { pruned: [{ database: 'main', id: 'bk_1' }], errors: [] },
  'scratch:dropped': { database: 'main', names: ['shipgate_verify_x'] },
  'incident:opened': { incident: { id: 'inc_1', type: 'rollback', severity: 'warning', details: 'x', openedBy: 'bob', deploymentIds: [] } },
  'incident:resolved': { incidentId: 'inc_1', by: 'bob', resolution: null },
  'deploy:finished': { status: 'succeeded', durationMs: 1, error: null, recordPath: null },
};
const ALL_TYPES = Object.keys(PAYLOADS) as LifecycleEventName[];

let pg: TestDatabase;
let target: Target;
beforeAll(async () => {
  pg = await createTestDatabase();
  target = await startTarget({ '/health': 200 });
});
afterAll(async () => {
  await target?.close();
  await pg?.drop();
});

describe.each([
  ['SQLite', () => 'sqlite::memory:'],
  ['PostgreSQL', () => pg.url],
])('journaling every event type with failing listeners (%s)', (_name, url) => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore(url(), { root: '/tmp' });
    await store.createDeployment({ id: 'dep_listeners', app: 'shop', environment: 'production', kind: 'deploy', version: 'v1.0.0', previousVersion: null, status: 'running', triggeredBy: 'alice', reason: null, gitSha: null, gitRef: null, rollbackOf: null, startedAt: new Date().toISOString(), meta: {} });
  });
  afterAll(async () => {
    await store?.close();
  });

  it.each(ALL_TYPES)('%s: append resolves, the event is stored, every failure is reported', async (type) => {
    const failures: string[] = [];
    const bus = new EventBus({ onListenerError: (f) => failures.push(`${f.type}: ${(f.error as Error).message}`) });
    bus.on(type, async () => Promise.reject(new Error('async')));
    bus.on(type, () => {
      throw new Error('sync');
    });
    bus.onAny(async () => {
      throw new Error('any');
    });
    const journal = new Journal(store, bus, systemClock, new Masker(), { deploymentId: 'dep_listeners', app: 'shop', environment: 'production', version: 'v1.0.0', kind: 'deploy', actor: 'alice' }, {}, 1000);
    await journal.append(type, { deploymentId: 'dep_listeners', ...PAYLOADS[type] } as never);
    await bus.settle(1000);
    expect((await store.listEvents('dep_listeners')).at(-1)?.type).toBe(type);
    expect(failures.sort()).toEqual([`${type}: any`, `${type}: async`, `${type}: sync`]);
  });
});

/** What the child prints: one line per scenario. */
interface Outcome {
  rejecting: string;
  status: string;
  expected: string;
  lockFree: boolean;
  heardRejected: boolean;
}

const LIBRARY = pathToFileURL(join(REPO_ROOT, 'dist/index.js')).href;
const CLI = join(REPO_ROOT, 'bin/shipgate.js');

/**
 * The integrator's script: for each event type, a listener (and an onAny one) that
 * rejects on it, and a deployment that produces it; prints each outcome as JSON.
 */
const COMMAND_SCENARIOS = `
import { spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
import { DeploymentManager } from ${JSON.stringify(LIBRARY)};
const scenarios = [
  ['deploy:started', 'succeeded'], ['gate:evaluated', 'succeeded'], ['stage:started', 'succeeded'], ['stage:finished', 'succeeded'],
  ['step:started', 'succeeded'], ['step:finished', 'succeeded'], ['step:output', 'succeeded'], ['process:started', 'succeeded'],
  ['deploy:finished', 'succeeded'], ['stage:failed', 'rolled_back'], ['step:failed', 'rolled_back'], ['undo:started', 'rolled_back'],
  ['undo:finished', 'rolled_back'], ['recovery:started', 'succeeded'], ['process:ended', 'succeeded'], ['undo:failed', 'rollback_failed'],
];
let n = 0;
for (const [type, expected] of scenarios) {
  n++;
  const m = new DeploymentManager({ environment: 'production' });
  let heard = false;
  m.events.on(type, async () => { heard = true; throw new Error('listener of ' + type + ' rejects'); });
  m.events.on(type, () => { throw new Error('listener of ' + type + ' throws'); });
  m.events.onAny(async (e) => { if (e.type === type) throw new Error('onAny rejects'); });
  rmSync('fail-deploy', { force: true }); rmSync('fail-rollback', { force: true });
  if (expected !== 'succeeded') writeFileSync('fail-deploy', '');
  if (expected === 'rollback_failed') writeFileSync('fail-rollback', '');
  if (type === 'recovery:started' || type === 'process:ended') {
    // A deploy SIGKILLed while its script runs, for this one to recover (and end the script).
    rmSync('running', { force: true });
    const crash = spawn(process.execPath, [${JSON.stringify(CLI)}, 'deploy', 'v0.' + n + '.9'], { env: { ...process.env, SLOW_DEPLOY: '30' }, stdio: 'ignore' });
    for (let i = 0; i < 600 && !existsSync('running'); i++) await sleep(50);
    crash.kill('SIGKILL');
    await new Promise((r) => crash.on('close', r));
  }
  const r = await m.deploy({ version: 'v1.' + n + '.0' });
  const status = await m.status();
  console.log(JSON.stringify({ rejecting: type, status: r.status, expected, lockFree: status.lock === null, heardRejected: heard }));
  await m.close();
  if (expected === 'rollback_failed') break;
}
`;

function runChild(dir: string, script: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, env: { ...process.env, SHIPGATE_ACTOR: 'tester', NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const PROJECT_SCRIPTS: Record<string, string> = {
  ...STATE_SCRIPTS,
  'scripts/deploy.sh': `#!/bin/sh
touch running
if [ -n "$SLOW_DEPLOY" ]; then sleep "$SLOW_DEPLOY"; fi
if [ -f fail-deploy ]; then echo "deploy of $SHIPGATE_VERSION failed" >&2; exit 7; fi
echo "$SHIPGATE_VERSION" > live.txt
echo "deployed $SHIPGATE_VERSION"
`,
  'scripts/rollback.sh': `#!/bin/sh
if [ -f fail-rollback ]; then echo "rollback failed" >&2; exit 9; fi
echo "$SHIPGATE_VERSION" > live.txt
`,
};

describe.each([
  ['SQLite', () => 'sqlite:.shipgate/state.db'],
  ['PostgreSQL', () => pg.url],
])('a deployment with failing listeners completes as it would without them (%s)', (_name, url) => {
  let p: Project;
  afterAll(async () => {
    await p?.cleanup();
  });

  it('every event type a command-provider deployment produces', async () => {
    p = await makeProject(`app: listeners\nstore: { url: "${url()}" }\nprovider:\n  type: command\n  deploy: ["./scripts/deploy.sh"]\n  rollback: ["./scripts/rollback.sh"]\n  health: { url: "${target.url}/health", retries: 0 }\ngates: { semver: { allowPrerelease: false } }\n`, PROJECT_SCRIPTS);
    const r = await runChild(p.dir, COMMAND_SCENARIOS, {});
    expect(r.code, r.stderr).toBe(0);
    const outcomes = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Outcome);
    expect(outcomes.map((o) => o.rejecting)).toContain('undo:failed');
    for (const o of outcomes) {
      expect(o, JSON.stringify(o)).toMatchObject({ status: o.expected, heardRejected: true });
      if (o.expected !== 'rollback_failed') expect(o.lockFree, JSON.stringify(o)).toBe(true);
    }
    expect(r.stderr).not.toMatch(/UnhandledPromiseRejection|at .*\.js:\d+/);
  }, 120_000);
});

describe('a canary with failing listeners on every rollout event', () => {
  let p: LocalProject;
  afterAll(async () => {
    await p?.dispose();
  });

  it('promotes, then rolls back a failing canary, exactly as without them', async () => {
    p = await makeLocalProject('rollout:\n  strategy: canary\n  steps: [{ weight: 20, pause: 1s }, { weight: 100, pause: 0s }]\n  analysis: { interval: 500ms, failureLimit: 1, minRequests: 0 }\n');
    const script = `
import { writeFileSync } from 'node:fs';
import { DeploymentManager } from ${JSON.stringify(LIBRARY)};
const types = ['rollout:step', 'rollout:evaluation', 'rollout:weights', 'rollout:paused', 'rollout:resumed', 'rollout:command'];
const m = new DeploymentManager({});
const heard = new Set();
for (const t of types) m.events.on(t, async () => { heard.add(t); throw new Error(t + ' listener rejects'); });
m.events.onAny(() => { throw new Error('sync listener throws'); });
const statuses = [];
statuses.push((await m.deploy({ version: 'v1.0.0' })).status);
statuses.push((await m.deploy({ version: 'v1.1.0' })).status);
writeFileSync('faults.json', JSON.stringify({ crashAfterMs: 300 }));
statuses.push((await m.deploy({ version: 'v1.2.0' })).status);
const s = await m.status();
console.log(JSON.stringify({ statuses, heard: [...heard].sort(), lockFree: s.lock === null }));
await m.close();
`;
    const r = await runChild(p.dir, script, {});
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { statuses: string[]; heard: string[]; lockFree: boolean };
    expect(out.statuses).toEqual(['succeeded', 'succeeded', 'rolled_back']);
    expect(out.heard).toEqual(expect.arrayContaining(['rollout:evaluation', 'rollout:step', 'rollout:weights']));
    expect(out.lockFree).toBe(true);
  }, 120_000);
});
