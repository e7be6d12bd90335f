// @ts-check
/**
 * A throwaway shipgate project on the `local` provider, for benchmarks that
 * drive the BUILT CLI while load runs: a copy of examples/demo-app (server.js,
 * build.js, package.json), a generated shipgate.yaml with a free router port,
 * the CLI run asynchronously (so a load generator can run in this process),
 * the agent's status and a deployment's journal. At clean-up (also on failure
 * or Ctrl-C) running CLI commands are stopped, then `shipgate agent stop`, then
 * any agent or instance process of this workspace still alive is killed.
 */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { cpSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BenchError, CHILD_ENV, CLI, ROOT, checkpoint, makeTempDir, onCleanup } from './harness.js';
import { freePort } from './load.js';

const APP_DIR = join(ROOT, 'examples', 'demo-app');
const APP_FILES = ['server.js', 'build.js', 'package.json'];
const STATUS_POLL_MS = 50;
const CLI_STOP_GRACE_MS = 15_000;
const AGENT_STOP_TIMEOUT_MS = 60_000;
const TAIL_LINES = 25;

/** @typedef {{ code: number | null, signal: string | null, stdout: string, stderr: string, ms: number }} CliResult */
/** @typedef {{ id: string, version: string, pid: number | null, port: number, state: string, restarts: number }} Instance */
/** @typedef {{ pid: number, keeperPid: number | null, listen: string, restarts: number, weights: Record<string, number>, connections: number, inFlight: number }} RouterProcess */
/** @typedef {{ state: string, listen: string | null, error: string | null, process: RouterProcess | null }} RouterReport */
/** @typedef {{ pid: number, weights: Record<string, number>, versions: { version: string, instances: Instance[] }[], rollout: { id: string, state: string } | null, router: RouterReport }} AgentStatus */
/** @typedef {{ type: string, at: string, data: Record<string, any> }} JournalEvent */
/** @typedef {{ status: string, rollout_stages: { stage: string, traffic_percentage: number, status: string }[], events: JournalEvent[] }} Journal */

/**
 * @typedef {object} Workspace
 * @property {string} dir
 * @property {number} port  the router's port
 * @property {string} url   the router's URL
 * @property {Set<number>} pids  agent and instance pids seen in its status (for the last-resort kill)
 * @property {Set<import('node:child_process').ChildProcess>} running  CLI commands still running
 */

/**
 * A fresh workspace with the demo app; its agent is stopped at clean-up.
 * @param {string} label
 * @returns {Promise<Workspace>}
 */
export async function makeWorkspace(label) {
  const dir = makeTempDir(label);
  for (const file of APP_FILES) cpSync(join(APP_DIR, file), join(dir, file));
  const port = await freePort();
  /** @type {Workspace} */
  const ws = { dir, port, url: `http://127.0.0.1:${port}/`, pids: new Set(), running: new Set() };
  onCleanup(() => stopEverything(ws));
  return ws;
}

/**
 * shipgate.yaml for the local provider: the demo app built by `node build.js`
 * (artifacts [dist]) and run as `node dist/server.js`, readiness probed every 200ms.
 * `rollout` and `env` are written as YAML flow maps (JSON is valid YAML).
 * @param {{ app: string, port: number, instances: number, rollout: object, env?: Record<string, string> }} o
 */
export function localConfig({ app, port, instances, rollout, env }) {
  return `# written by shipgate's benchmarks
app: ${app}
provider:
  type: local
  command: ["node", "dist/server.js"]
  instances: ${instances}
  listen: 127.0.0.1:${port}
  readiness: { path: /health, interval: 200ms, timeout: 1s, grace: 15s }
  stopTimeout: 5s
${env ? `  env: ${JSON.stringify(env)}\n` : ''}build:
  command: ["node", "build.js"]
  artifacts: [dist]
rollout: ${JSON.stringify(rollout)}
`;
}

/** Sleeps `ms`, stopping early (BenchError) when the benchmark is interrupted. */
export async function pause(/** @type {number} */ ms) {
  const until = performance.now() + ms;
  for (let left = ms; left > 0; left = until - performance.now()) {
    await checkpoint();
    await sleep(Math.min(left, 100));
  }
  await checkpoint();
}

/**
 * The `x-demo-version` of `n` answers through the router, counted per version
 * (`error` for a request that failed or was not a 2xx).
 * @param {string} url
 * @param {number} n
 * @returns {Promise<Record<string, number>>}
 */
export async function servedVersions(url, n) {
  /** @type {Record<string, number>} */
  const seen = {};
  for (let i = 0; i < n; i++) {
    const version = await fetch(url)
      .then(async (res) => {
        await res.arrayBuffer();
        return res.ok ? res.headers.get('x-demo-version') ?? 'none' : 'error';
      })
      .catch(() => 'error');
    seen[version] = (seen[version] ?? 0) + 1;
  }
  return seen;
}

/** @param {Workspace} ws @param {string} yaml */
export function writeConfig(ws, yaml) {
  writeFileSync(join(ws.dir, 'shipgate.yaml'), yaml);
}

/**
 * Starts `shipgate ARGS` in the workspace; `done` resolves when it exits (never rejects).
 * @param {Workspace} ws
 * @param {string[]} args
 * @returns {{ child: import('node:child_process').ChildProcess, done: Promise<CliResult> }}
 */
export function startCli(ws, args) {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ws.dir, env: CHILD_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  ws.running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c) => (stdout += c));
  child.stderr?.on('data', (c) => (stderr += c));
  /** @type {Promise<CliResult>} */
  const done = new Promise((resolve) => {
    child.once('error', (err) => {
      ws.running.delete(child);
      resolve({ code: null, signal: null, stdout, stderr: `${stderr}${err.message}`, ms: performance.now() - started });
    });
    child.once('close', (code, signal) => {
      ws.running.delete(child);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
  return { child, done };
}

/** Runs `shipgate ARGS` to the end. @param {Workspace} ws @param {string[]} args */
export function runCli(ws, args) {
  return startCli(ws, args).done;
}

/**
 * The result of a finished CLI run, or a BenchError naming the command with the tail of its output.
 * @param {string[]} args
 * @param {CliResult} run
 * @param {number[]} [okCodes]
 */
export function expectExit(args, run, okCodes = [0]) {
  if (run.code !== null && okCodes.includes(run.code)) return run;
  const why = run.signal ? `was killed by ${run.signal}` : `exited with ${run.code}`;
  throw new BenchError(`\`shipgate ${args.join(' ')}\` ${why} (expected ${okCodes.join(' or ')})\n--- stderr ---\n${tail(run.stderr)}\n--- stdout ---\n${tail(run.stdout)}`);
}

/**
 * The `--json` result of a command that may exit non-zero by design (a deploy
 * that rolled back exits 1); a BenchError with its output when it printed no JSON.
 * @param {string[]} args
 * @param {CliResult} run
 * @returns {any}
 */
export function jsonOutcome(args, run) {
  if (run.stdout.trim() === '') throw new BenchError(`\`shipgate ${args.join(' ')}\` printed no JSON (exit ${run.signal ?? run.code})\n--- stderr ---\n${tail(run.stderr)}`);
  return parseJson(run.stdout, `shipgate ${args.join(' ')}`);
}

/** Runs `shipgate ARGS` and parses its stdout as JSON; a BenchError unless it exits with one of `okCodes`. */
export async function cliJson(/** @type {Workspace} */ ws, /** @type {string[]} */ args, okCodes = [0]) {
  const run = expectExit(args, await runCli(ws, args), okCodes);
  return parseJson(run.stdout, `shipgate ${args.join(' ')}`);
}

/** @param {string} text @param {string} what @returns {any} */
export function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BenchError(`${what}: stdout is not JSON (${/** @type {Error} */ (err).message}):\n${tail(text)}`);
  }
}

/**
 * `shipgate agent status --json`; null when no agent runs. Remembers the pids it shows.
 * @param {Workspace} ws
 * @returns {Promise<AgentStatus | null>}
 */
export async function agentStatus(ws) {
  const status = await cliJson(ws, ['agent', 'status', '--json']);
  if (status.running === false) return null;
  ws.pids.add(status.pid);
  for (const v of status.versions ?? []) for (const i of v.instances) if (i.pid) ws.pids.add(i.pid);
  rememberRouter(ws, status.router?.process ?? null);
  return status;
}

/** @param {Workspace} ws @param {RouterProcess | null} router */
function rememberRouter(ws, router) {
  if (router?.pid) ws.pids.add(router.pid);
  if (router?.keeperPid) ws.pids.add(router.keeperPid);
}

/**
 * The router process's own status, read from its control socket (it answers
 * with or without an agent); null when nothing answers there.
 * @param {Workspace} ws
 * @returns {Promise<RouterProcess | null>}
 */
export function routerStatus(ws) {
  const socketPath = join(ws.dir, '.shipgate', 'agent', 'production', 'router.sock');
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/v1/status', timeout: 2000, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        try {
          const status = /** @type {RouterProcess} */ (JSON.parse(body));
          rememberRouter(ws, status);
          resolve(res.statusCode === 200 ? status : null);
        } catch {
          resolve(null);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

/** The agent's status; a BenchError when no agent runs. @param {Workspace} ws @returns {Promise<AgentStatus>} */
export async function requireAgent(ws) {
  const status = await agentStatus(ws);
  if (!status) throw new BenchError('`shipgate agent status --json`: no agent is running');
  return status;
}

/**
 * Polls the agent's status until `accept` returns true; a BenchError after `timeoutMs`
 * or as soon as `abort()` returns a reason (e.g. the deploy being watched has exited).
 * @param {Workspace} ws
 * @param {(s: AgentStatus) => boolean} accept
 * @param {{ timeoutMs: number, what: string, abort?: () => string | null }} o
 * @returns {Promise<AgentStatus>}
 */
export async function waitForStatus(ws, accept, { timeoutMs, what, abort }) {
  const deadline = performance.now() + timeoutMs;
  /** @type {AgentStatus | null} */
  let last = null;
  for (;;) {
    await checkpoint();
    last = await agentStatus(ws);
    if (last && accept(last)) return last;
    const reason = abort?.() ?? null;
    if (reason) throw new BenchError(`waiting for ${what}: ${reason}; last status: ${describeStatus(last)}`);
    if (performance.now() > deadline) throw new BenchError(`waiting for ${what}: not reached within ${timeoutMs / 1000} s; last status: ${describeStatus(last)}`);
    await sleep(STATUS_POLL_MS);
  }
}

/** `v1.0.0=95% v1.1.0=5%; v1.1.0: 2 ready`, for messages. @param {AgentStatus | null} s */
export function describeStatus(s) {
  if (!s) return 'no agent';
  const weights = Object.entries(s.weights).map(([v, w]) => `${v}=${w}%`).join(' ') || 'no weights';
  const versions = s.versions.map((v) => `${v.version}: ${v.instances.map((i) => i.state).join(',') || 'none'}`).join('; ');
  return `pid ${s.pid}, weights ${weights}; instances ${versions || 'none'}`;
}

/** Instances of `version` in the status (none when it has none). @param {AgentStatus} s @param {string} version */
export function instancesOf(s, version) {
  return s.versions.find((v) => v.version === version)?.instances ?? [];
}

/** True when the weights are exactly `expected` (versions at 0 may be listed or not). @param {Record<string, number>} weights @param {Record<string, number>} expected */
export function weightsAre(weights, expected) {
  const nonZero = Object.entries(weights).filter(([, w]) => w > 0);
  return nonZero.length === Object.keys(expected).length && nonZero.every(([v, w]) => expected[v] === w);
}

/** `shipgate show ID --events --json`. @param {Workspace} ws @param {string} id @returns {Promise<Journal>} */
export function journal(ws, id) {
  return cliJson(ws, ['show', id, '--events', '--json']);
}

/** When traffic went back to stable: the `at` (ms) of the first revert `rollout:weights` event, or null. @param {Journal} j */
export function revertAt(j) {
  const revert = j.events.find((e) => e.type === 'rollout:weights' && String(e.data.reason ?? '').startsWith('revert'));
  return revert ? Date.parse(revert.at) : null;
}

/** The strategy the deploy stage reports in the journal, or null. @param {Journal} j @returns {string | null} */
export function rolloutStrategy(j) {
  const finished = j.events.find((e) => e.type === 'stage:finished' && e.data.stage === 'deploy');
  return finished?.data.output?.rollout?.strategy ?? null;
}

/** The new version's weight in each `rollout:weights` event, in order. @param {Journal} j @param {string} version */
export function weightSteps(j, version) {
  return j.events.filter((e) => e.type === 'rollout:weights').map((e) => Number(e.data.weights?.[version] ?? 0));
}

/**
 * Stops everything the workspace started: running CLI commands (SIGTERM, then
 * SIGKILL), the agent with its instances (`shipgate agent stop`), and, as a last
 * resort, any pid seen in its status that still runs inside the workspace.
 * @param {Workspace} ws
 */
export async function stopEverything(ws) {
  await Promise.all([...ws.running].map((child) => stopChild(child)));
  await agentStatus(ws).catch(() => null); // remember the latest pids
  const stop = await Promise.race([runCli(ws, ['agent', 'stop']), sleep(AGENT_STOP_TIMEOUT_MS).then(() => null)]);
  const leftovers = [...ws.pids].filter((pid) => belongsTo(pid, ws.dir));
  for (const pid of leftovers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (!stop || stop.code !== 0 || leftovers.length > 0) {
    const why = !stop ? `did not finish within ${AGENT_STOP_TIMEOUT_MS / 1000} s` : `exited with ${stop.code}: ${tail(stop.stderr, 5)}`;
    throw new BenchError(`\`shipgate agent stop\` ${stop && stop.code === 0 ? 'left processes running' : why}${leftovers.length ? `; killed ${leftovers.length} leftover process(es): ${leftovers.join(', ')}` : ''}`);
  }
}

/** @param {import('node:child_process').ChildProcess} child */
async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('close', resolve));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), CLI_STOP_GRACE_MS);
  await exited;
  clearTimeout(killer);
}

/**
 * True when `pid` runs and is this workspace's (its command line names the
 * folder, or it runs inside it). Without /proc nothing is claimed.
 * @param {number} pid
 * @param {string} dir
 */
function belongsTo(pid, dir) {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(dir) || readlinkSync(`/proc/${pid}/cwd`).startsWith(dir);
  } catch {
    return false;
  }
}

function tail(/** @type {string} */ text, lines = TAIL_LINES) {
  return text.trimEnd().split('\n').slice(-lines).join('\n') || '(empty)';
}
