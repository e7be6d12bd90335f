#!/usr/bin/env node
// @ts-check
/**
 * zero-downtime: failed requests under steady load through the rollout phases of the local agent, an agent SIGKILL and a router SIGKILL, next to a naive stop-then-start deploy.
 *
 * How: a fresh temp project runs the BUILT CLI (bin/shipgate.js) with
 * `provider.type: local` (a copy of examples/demo-app, 3 instances per version,
 * readiness every 200ms). After a first deploy (v1.0.0, no load), each phase
 * rewrites shipgate.yaml for its strategy, starts wrk on the router (-t2 -c32,
 * keep-alive, stopped with SIGINT so that it prints its summary), waits 1 s,
 * runs its action, keeps the load 1 s more, then stops wrk and parses requests,
 * "Non-2xx or 3xx responses" and "Socket errors: connect, read, write, timeout":
 *
 *   1. immediate deploy v1.1.0
 *   2. rolling deploy v1.2.0 (maxSurge 1, maxUnavailable 0)
 *   3. canary deploy v1.3.0 (5%/2s, 50%/2s, 100%/1s, analysis every 1s)
 *   4. blue-green deploy v1.4.0 (rollout.pause 2s)
 *   5. `shipgate rollback` (back to v1.3.0)
 *   6. `shipgate agent restart --router` (a new agent process, and a new router
 *      process on the same socket: what an upgrade of shipgate does)
 *   7. agent SIGKILL: SIGKILL to the agent's whole process group, 1 s with no
 *      agent (`agent status` must say the agent is DOWN and the router serves),
 *      then `shipgate agent start`, which must adopt the same router process
 *      and the same instances
 *   8. router SIGKILL: the router process's own status is read from its
 *      control socket (open client connections, requests in flight), then it
 *      gets SIGKILL; its keeper starts another with the same listening socket,
 *      which must serve the last table; the time until the new router answers
 *      is measured
 *
 * After each phase the bench checks that it did what it says, and fails loudly
 * otherwise: the deploy/rollback succeeded, the journal names the strategy
 * (and the canary's 5/50/100 steps), `agent status --json` puts weight 100 on
 * the expected version with all its instances ready, answers through the router
 * come from that version, and after the restart the agent pid changed while
 * weights and instance pids did not.
 *
 * Baseline, in the same run and under the same load: a plain process of the
 * same app on its own port, replaced 3 times the naive way (SIGTERM the old
 * process, wait for it to exit, start the new one on the same port).
 *
 * Targets: 0 failed requests through phases 1-7 (TOTAL), over at least 100,000
 * requests. Router SIGKILL: 0 refused connections (wrk's connect errors), and
 * failed requests no more than the client connections open on the killed
 * router (wrk keeps one request in flight per connection and does not
 * pipeline, so those are the requests in flight at the kill; the router's own
 * count of requests under way to instances is printed too), and the router
 * back within a second.
 * Without wrk (`apt-get install wrk`), a Node load generator is used instead
 * (labelled); the 100,000 target then stays and may be MISSED.
 * SHIPGATE_BENCH_LOAD=node forces that fallback.
 *
 *   npm run bench -- zero-downtime [--json] [--runs N]   (N: how many times the eight phases run; default 1)
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpus, loadavg } from 'node:os';
import { BenchError, CHILD_ENV, check, checkpoint, log, onCleanup, runBench } from './lib/harness.js';
import { freePort, waitForPort } from './lib/load.js';
import { agentStatus, cliJson, describeStatus, instancesOf, journal, localConfig, makeWorkspace, pause, requireAgent, rolloutStrategy, routerStatus, servedVersions, weightSteps, weightsAre, writeConfig } from './lib/agent-workspace.js';
import { NODE_TOOL, loadTool, startLoad } from './lib/open-load.js';
import { formatTable, int, passText, seconds } from './lib/table.js';

/** @typedef {import('./lib/agent-workspace.js').Workspace} Workspace */
/** @typedef {import('./lib/agent-workspace.js').AgentStatus} AgentStatus */
/** @typedef {import('./lib/open-load.js').LoadCounts} LoadCounts */
/** @typedef {import('./lib/open-load.js').LoadTool} LoadTool */

const DEFAULT_RUNS = 1;
const APP = 'zero-downtime';
const INSTANCES = 3;
const LOAD = { threads: 2, connections: 32 };
/** Load before the action starts, and after it ended. */
const LEAD_IN_MS = 1000;
const TAIL_MS = 1000;
const TARGETS = { failed_requests: 0, min_requests: 100_000, router_kill_refused: 0, router_restart_ms: 1000 };
/** How long the agent stays dead in the agent SIGKILL phase. */
const AGENT_DOWN_MS = 1000;
const ROUTER_BACK_TIMEOUT_MS = 10_000;
const ROUTER_POLL_MS = 10;
/** Answers through the router checked after each phase. */
const SERVED_CHECKS = 20;
const NAIVE_DEPLOYS = 3;
/** A naive script's stop: SIGTERM, then SIGKILL after this long (like provider.stopTimeout). */
const NAIVE_STOP_TIMEOUT_MS = 5000;
const COUNT_KEYS = /** @type {const} */ (['requests', 'non2xx', 'connect', 'read', 'write', 'timeout', 'failed']);

const ROLLOUTS = {
  immediate: { strategy: 'immediate' },
  rolling: { strategy: 'rolling', maxSurge: 1, maxUnavailable: 0 },
  canary: {
    strategy: 'canary',
    steps: [{ weight: 5, pause: '2s' }, { weight: 50, pause: '2s' }, { weight: 100, pause: '1s' }],
    analysis: { interval: '1s', failureLimit: 2, maxErrorRate: 0.01, minRequests: 20 },
  },
  bluegreen: { strategy: 'bluegreen', pause: '2s' },
};
const CANARY_WEIGHTS = ROLLOUTS.canary.steps.map((s) => s.weight);

/**
 * @typedef {object} Ctx
 * @property {Workspace} ws
 * @property {string} live       the version at weight 100
 * @property {string | null} previous  what `shipgate rollback` returns to
 * @property {number} minor      the next deploy is v1.<minor>.0
 */
/**
 * @typedef {object} Phase
 * @property {string} key
 * @property {object | null} rollout   rewritten into shipgate.yaml before the phase (null: unchanged)
 * @property {(ctx: Ctx) => string} label
 * @property {(ctx: Ctx, before: AgentStatus) => Promise<unknown>} act   the action, under load
 * @property {(ctx: Ctx, before: AgentStatus, outcome: any) => Promise<string>} verify  after the load; what was checked
 * @property {boolean} [routerKill]   its failures are judged apart (requests in flight at the kill may fail), not in TOTAL
 */
/** @typedef {LoadCounts & { phase: string, action: string, action_ms: number, verified: string, router_kill?: RouterKill }} PhaseResult */
/** @typedef {{ connections_at_kill: number, in_flight_at_kill: number, restart_ms: number, old_pid: number, new_pid: number }} RouterKill */

/** @type {Phase[]} */
const PHASES = [
  deployPhase('immediate'),
  deployPhase('rolling'),
  deployPhase('canary'),
  deployPhase('bluegreen'),
  {
    key: 'rollback',
    rollout: null,
    label: (ctx) => `shipgate rollback (to ${ctx.previous})`,
    act: async (ctx) => {
      const out = await cliJson(ctx.ws, ['rollback', '--reason', 'bench zero-downtime', '--json']);
      check(out.status === 'succeeded', `shipgate rollback ended ${out.status}: ${out.error ?? ''}`);
      return out;
    },
    verify: async (ctx, _before, out) => {
      const target = /** @type {string} */ (ctx.previous);
      check(out.version === target, `shipgate rollback went to ${out.version}, expected ${target}`);
      const status = await expectLive(ctx.ws, target);
      [ctx.live, ctx.previous] = [target, ctx.live];
      return `rolled back to ${target}: ${status}`;
    },
  },
  {
    key: 'agent-restart',
    rollout: null,
    label: () => 'shipgate agent restart --router',
    act: (ctx) => cliJson(ctx.ws, ['agent', 'restart', '--router', '--json']),
    verify: async (ctx, before, out) => {
      const after = await requireAgent(ctx.ws);
      check(after.pid === out.to && after.pid !== before.pid, `agent restart: pid ${before.pid} -> ${after.pid} (the command reported ${out.from} -> ${out.to}); expected a new pid`);
      const router = after.router.process;
      check(router !== null && router.pid === out.router?.to && router.pid !== before.router.process?.pid, `agent restart --router: router pid ${before.router.process?.pid} -> ${router?.pid} (the command reported ${JSON.stringify(out.router)}); expected a new router process`);
      const pids = (/** @type {AgentStatus} */ s) => instancesOf(s, ctx.live).map((i) => i.pid).sort().join(',');
      check(pids(after) === pids(before), `agent restart: instance pids of ${ctx.live} changed from ${pids(before)} to ${pids(after)} (expected them kept)`);
      const status = await expectLive(ctx.ws, ctx.live);
      return `agent pid ${before.pid} -> ${after.pid}, router pid ${before.router.process?.pid} -> ${router?.pid}, instances ${pids(after)} kept; ${status}`;
    },
  },
  {
    key: 'agent-kill',
    rollout: null,
    label: () => `agent SIGKILL (its process group), ${AGENT_DOWN_MS / 1000} s without it, then shipgate agent start`,
    act: async (ctx, before) => {
      await killGroup(before.pid);
      await pause(AGENT_DOWN_MS);
      const down = await cliJson(ctx.ws, ['agent', 'status', '--json']);
      check(down.running === false && down.agent === 'down' && down.router?.state === 'serving', `agent status with the agent killed: expected the agent DOWN and the router serving, got ${JSON.stringify(down)}`);
      await cliJson(ctx.ws, ['agent', 'start', '--json']);
      return down;
    },
    verify: async (ctx, before, down) => {
      const after = await requireAgent(ctx.ws);
      const routerPid = (/** @type {AgentStatus} */ s) => s.router.process?.pid;
      check(after.pid !== before.pid, `agent SIGKILL: the agent pid is still ${after.pid}`);
      check(routerPid(after) === routerPid(before), `agent SIGKILL: the router pid went from ${routerPid(before)} to ${routerPid(after)} (expected the running router adopted)`);
      const pids = (/** @type {AgentStatus} */ s) => instancesOf(s, ctx.live).map((i) => i.pid).sort().join(',');
      check(pids(after) === pids(before), `agent SIGKILL: instance pids of ${ctx.live} changed from ${pids(before)} to ${pids(after)} (expected them adopted)`);
      const status = await expectLive(ctx.ws, ctx.live);
      return `agent pid ${before.pid} killed (status said: agent ${down.agent}, router ${down.router.state}); agent ${after.pid} adopted router ${routerPid(after)} and instances ${pids(after)}; ${status}`;
    },
  },
  {
    key: 'router-kill',
    rollout: null,
    routerKill: true,
    label: () => 'router SIGKILL (its keeper restarts it)',
    act: async (ctx) => {
      const old = await routerStatus(ctx.ws);
      check(old !== null, 'router SIGKILL: the router does not answer on its control socket');
      process.kill(old.pid, 'SIGKILL');
      const killedAt = performance.now();
      const back = await waitForRouter(ctx.ws, old.pid);
      /** @type {RouterKill} */
      const kill = { connections_at_kill: old.connections, in_flight_at_kill: old.inFlight, restart_ms: Math.round(performance.now() - killedAt), old_pid: old.pid, new_pid: back.pid };
      return { kill, old, back };
    },
    verify: async (ctx, _before, { kill, old, back }) => {
      check(back.keeperPid === old.keeperPid, `router SIGKILL: the keeper changed from ${old.keeperPid} to ${back.keeperPid}`);
      check(weightsAre(back.weights, { [ctx.live]: 100 }), `router SIGKILL: the restarted router serves ${JSON.stringify(back.weights)}, expected the last table (${ctx.live}=100%)`);
      const status = await expectLive(ctx.ws, ctx.live);
      return `router pid ${kill.old_pid} -> ${kill.new_pid} (keeper ${back.keeperPid}, restart ${back.restarts}), answering again after ${kill.restart_ms} ms with the last table; ${status}`;
    },
  },
];

/** SIGKILL to a process group; resolves once its leader is gone. @param {number} pid */
async function killGroup(pid) {
  process.kill(-pid, 'SIGKILL');
  const deadline = performance.now() + ROUTER_BACK_TIMEOUT_MS;
  while (isRunning(pid)) {
    if (performance.now() > deadline) throw new BenchError(`pid ${pid} still runs after SIGKILL`);
    await pause(ROUTER_POLL_MS);
  }
}

/** Alive and not a zombie. @param {number} pid */
function isRunning(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Polls the router's control socket until a router other than `oldPid` answers.
 * @param {Workspace} ws @param {number} oldPid
 */
async function waitForRouter(ws, oldPid) {
  const deadline = performance.now() + ROUTER_BACK_TIMEOUT_MS;
  for (;;) {
    const status = await routerStatus(ws);
    if (status !== null && status.pid !== oldPid) return status;
    if (performance.now() > deadline) throw new BenchError(`router SIGKILL: no new router answered within ${ROUTER_BACK_TIMEOUT_MS / 1000} s`);
    await sleep(ROUTER_POLL_MS);
  }
}

/** A deploy of the next version with `strategy`. @param {keyof typeof ROLLOUTS} strategy @returns {Phase} */
function deployPhase(strategy) {
  return {
    key: strategy,
    rollout: ROLLOUTS[strategy],
    label: (ctx) => `${strategy} deploy v1.${ctx.minor}.0`,
    act: async (ctx) => {
      const version = `v1.${ctx.minor++}.0`;
      const out = await cliJson(ctx.ws, ['deploy', version, '--json']);
      check(out.status === 'succeeded', `shipgate deploy ${version} (${strategy}) ended ${out.status}: ${out.error ?? ''}`);
      return { version, id: out.deployment_id };
    },
    verify: async (ctx, _before, { version, id }) => {
      const j = await journal(ctx.ws, id);
      const used = rolloutStrategy(j);
      check(used === strategy, `deploy ${version}: the journal says strategy ${used}, expected ${strategy}`);
      const steps = weightSteps(j, version);
      check(steps.at(-1) === 100, `deploy ${version}: the last weight change put ${steps.at(-1)}% on it, expected 100% (changes: ${steps.join(', ')})`);
      if (strategy === 'canary') check(steps.join() === CANARY_WEIGHTS.join(), `canary ${version}: weights went ${steps.join(' -> ')}, expected ${CANARY_WEIGHTS.join(' -> ')}`);
      const status = await expectLive(ctx.ws, version);
      [ctx.live, ctx.previous] = [version, ctx.live];
      return `${strategy} ${steps.map((w) => `${w}%`).join(' -> ')}; ${status}`;
    },
  };
}

/**
 * Checks that `version` has all the traffic, all its instances are ready, and
 * the router's answers come from it. @param {Workspace} ws @param {string} version
 */
async function expectLive(ws, version) {
  const status = await requireAgent(ws);
  check(weightsAre(status.weights, { [version]: 100 }), `agent status: expected weights ${version}=100%, got ${describeStatus(status)}`);
  const ready = instancesOf(status, version).filter((i) => i.state === 'ready').length;
  check(ready === INSTANCES, `agent status: ${ready} of ${INSTANCES} instances of ${version} are ready (${describeStatus(status)})`);
  const served = await servedVersions(ws.url, SERVED_CHECKS);
  check(served[version] === SERVED_CHECKS, `router answers: expected ${SERVED_CHECKS} from ${version}, got ${JSON.stringify(served)}`);
  return `weights ${version}=100%, ${ready}/${INSTANCES} ready, ${SERVED_CHECKS}/${SERVED_CHECKS} answers from ${version}`;
}

/**
 * Runs one phase under load: config, load, lead-in, action, tail, stop, verify.
 * @param {Ctx} ctx @param {Phase} phase @param {LoadTool} tool
 * @returns {Promise<PhaseResult>}
 */
async function runPhase(ctx, phase, tool) {
  if (phase.rollout) writeConfig(ctx.ws, config(ctx.ws, phase.rollout));
  const before = await requireAgent(ctx.ws);
  const action = phase.label(ctx);
  log(`  ${action} ...`);
  const load = await startLoad(tool, { url: ctx.ws.url, ...LOAD });
  await pause(LEAD_IN_MS);
  const started = performance.now();
  const outcome = await phase.act(ctx, before).catch(async (/** @type {unknown} */ err) => {
    await load.stop().catch(() => undefined);
    throw err;
  });
  const actionMs = performance.now() - started;
  await pause(TAIL_MS);
  const counts = await load.stop();
  await checkpoint();
  const verified = await phase.verify(ctx, before, outcome);
  log(`    ${int(counts.requests)} requests, ${counts.failed} failed; ${verified}`);
  return { ...counts, phase: phase.key, action, action_ms: Math.round(actionMs), verified, ...(phase.routerKill ? { router_kill: outcome.kill } : {}) };
}

/** @param {Workspace} ws @param {object} rollout */
function config(ws, rollout) {
  return localConfig({ app: APP, port: ws.port, instances: INSTANCES, rollout });
}

/** The first deploy (v1.0.0, immediate, no load): starts the agent. @param {Workspace} ws @returns {Promise<Ctx>} */
async function setUp(ws) {
  writeConfig(ws, config(ws, ROLLOUTS.immediate));
  const out = await cliJson(ws, ['deploy', 'v1.0.0', '--json']);
  check(out.status === 'succeeded', `first deploy v1.0.0 ended ${out.status}: ${out.error ?? ''}`);
  await expectLive(ws, 'v1.0.0');
  return { ws, live: 'v1.0.0', previous: null, minor: 1 };
}

/**
 * A plain `node server.js` on `port` (what a naive deploy script runs);
 * resolves once it accepts connections. @param {string} dir @param {number} port @param {string} version
 */
async function startPlainApp(dir, port, version) {
  const child = spawn(process.execPath, ['server.js'], { cwd: dir, env: { ...CHILD_ENV, PORT: String(port), SHIPGATE_VERSION: version }, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), NAIVE_STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(killer);
  };
  onCleanup(stop);
  await Promise.race([waitForPort(port), exited.then(() => Promise.reject(new BenchError(`the plain app ${version} exited before it listened`)))]);
  return { stop };
}

/**
 * The naive baseline under the same load: NAIVE_DEPLOYS times, SIGTERM the old
 * process, wait for its exit, start the new one on the same port.
 * @param {Workspace} ws @param {LoadTool} tool
 */
async function naiveBaseline(ws, tool) {
  const port = await freePort();
  log(`  naive baseline: plain process on 127.0.0.1:${port}, ${NAIVE_DEPLOYS} stop-then-start deploys ...`);
  let app = await startPlainApp(ws.dir, port, 'naive-1');
  const load = await startLoad(tool, { url: `http://127.0.0.1:${port}/`, ...LOAD });
  await pause(LEAD_IN_MS);
  /** @type {number[]} */
  const gaps = [];
  for (let i = 2; i <= NAIVE_DEPLOYS + 1; i++) {
    const started = performance.now();
    await app.stop();
    app = await startPlainApp(ws.dir, port, `naive-${i}`);
    gaps.push(Math.round(performance.now() - started));
    await pause(TAIL_MS);
  }
  const counts = await load.stop();
  await app.stop();
  log(`    ${int(counts.requests)} requests, ${counts.failed} failed; stop-to-listening ${gaps.join(', ')} ms`);
  return { ...counts, deploys: NAIVE_DEPLOYS, stop_to_listening_ms: gaps };
}

/**
 * Sums of the count fields over the phases.
 * @param {LoadCounts[]} list
 * @returns {Record<typeof COUNT_KEYS[number], number> & { seconds: number, rps: number }}
 */
function total(list) {
  const sum = (/** @type {(c: LoadCounts) => number} */ f) => list.reduce((s, c) => s + f(c), 0);
  const counts = /** @type {Record<typeof COUNT_KEYS[number], number>} */ (Object.fromEntries(COUNT_KEYS.map((k) => [k, sum((c) => c[k])])));
  const secs = sum((c) => c.seconds);
  return { ...counts, seconds: Math.round(secs * 100) / 100, rps: secs > 0 ? Math.round(counts.requests / secs) : 0 };
}

/**
 * @param {string} name @param {string} action
 * @param {{ seconds: number, rps: number, p99_ms?: number | null } & Record<typeof COUNT_KEYS[number], number>} c
 * @param {number | null} actionMs
 */
function row(name, action, c, actionMs) {
  const p99 = c.p99_ms === undefined || c.p99_ms === null ? '' : `${Math.round(c.p99_ms)} ms`;
  return [name, action, actionMs === null ? '' : seconds(actionMs), c.seconds.toFixed(2), int(c.requests), int(c.rps), p99, ...COUNT_KEYS.slice(1).map((k) => int(c[k]))];
}

/**
 * @param {{ tool: LoadTool, phases: PhaseResult[], baseline: Awaited<ReturnType<typeof naiveBaseline>>, write: (line: string) => void }} o
 */
function report({ tool, phases, baseline, write }) {
  const zero = phases.filter((p) => !p.router_kill);
  const kills = phases.filter((p) => p.router_kill);
  const sum = total(zero);
  const failedPass = sum.failed <= TARGETS.failed_requests;
  const requestsPass = sum.requests >= TARGETS.min_requests;
  const killChecks = kills.map(judgeRouterKill);
  const killPass = killChecks.every((k) => k.pass);
  const header = ['phase', 'action', 'took', 'load s', 'requests', 'req/s', 'p99', 'non-2xx', 'connect', 'read', 'write', 'timeout', 'failed'];
  const rows = zero.map((p) => row(p.phase, p.action, p, p.action_ms));
  rows.push(row('TOTAL', `shipgate, the ${zero.length} phases above`, sum, null));
  for (const p of kills) rows.push(row(p.phase, p.action, p, p.action_ms));
  rows.push(row('baseline', `naive stop+start x${NAIVE_DEPLOYS}`, baseline, null));
  write('');
  write(`load: ${tool.kind === 'wrk' ? `wrk -t${LOAD.threads} -c${LOAD.connections} (keep-alive)` : `${NODE_TOOL}, ${LOAD.connections} keep-alive connections`}; failed = non-2xx + socket errors`);
  for (const line of formatTable(header, rows, 2)) write(line);
  write('');
  write('verified:');
  for (const p of phases) write(`  ${p.phase}: ${p.verified}`);
  write('');
  write(`failed requests through shipgate: ${int(sum.failed)} of ${int(sum.requests)} (target ${TARGETS.failed_requests})  ${passText(failedPass)}`);
  write(`requests through shipgate: ${int(sum.requests)} (target >= ${int(TARGETS.min_requests)})  ${passText(requestsPass)}${requestsPass || tool.kind === 'wrk' ? '' : ' (Node load generator: install wrk for full load)'}`);
  for (const k of killChecks) for (const line of k.lines) write(line);
  write(`naive baseline (same app, same load, SIGTERM then start, x${NAIVE_DEPLOYS}): ${int(baseline.failed)} failed of ${int(baseline.requests)} (non-2xx ${baseline.non2xx}, connect ${baseline.connect}, read ${baseline.read}, write ${baseline.write}, timeout ${baseline.timeout}); stop-to-listening ${baseline.stop_to_listening_ms.join(', ')} ms`);
  write('  (socket errors count attempts: the load generator reconnects at once, so every moment without a listener adds many)');
  const missed = [...(failedPass ? [] : ['failed_requests']), ...(requestsPass ? [] : ['min_requests']), ...(killPass ? [] : ['router_kill'])];
  write(`VERDICT: ${missed.length === 0 ? 'PASS' : `MISSED (${missed.join(', ')})`}`);
  return {
    bench: 'zero-downtime',
    node: process.version,
    tool: tool.kind === 'wrk' ? 'wrk' : NODE_TOOL,
    load: LOAD,
    instances: INSTANCES,
    phases,
    total: sum,
    baseline,
    results: {
      failed_requests: { value: sum.failed, target: TARGETS.failed_requests, pass: failedPass },
      min_requests: { value: sum.requests, target: TARGETS.min_requests, pass: requestsPass },
      router_kill: killChecks.map((k) => k.result),
    },
    missed,
    all_pass: missed.length === 0,
  };
}

/**
 * The router SIGKILL phase against its targets: no refused connection, no more
 * failed requests than connections open on the killed router, back within a second.
 * @param {PhaseResult} p
 */
function judgeRouterKill(p) {
  const k = /** @type {RouterKill} */ (p.router_kill);
  const refusedPass = p.connect <= TARGETS.router_kill_refused;
  const failedPass = p.failed <= k.connections_at_kill;
  const restartPass = k.restart_ms <= TARGETS.router_restart_ms;
  const lines = [
    `router SIGKILL: refused connections ${p.connect} (target ${TARGETS.router_kill_refused})  ${passText(refusedPass)}`,
    `router SIGKILL: failed requests ${p.failed} (non-2xx ${p.non2xx}, read ${p.read}, write ${p.write}, timeout ${p.timeout}); in flight at the kill: ${k.connections_at_kill} client connections open on the killed router, each with at most one request (wrk does not pipeline), of which ${k.in_flight_at_kill} were under way to an instance (target: failed <= ${k.connections_at_kill})  ${passText(failedPass)}`,
    `router SIGKILL: the new router answered ${k.restart_ms} ms after the kill (target <= ${TARGETS.router_restart_ms} ms)  ${passText(restartPass)}`,
  ];
  return { pass: refusedPass && failedPass && restartPass, lines, result: { refused: p.connect, failed: p.failed, ...k, pass: refusedPass && failedPass && restartPass } };
}

await runBench('zero-downtime', DEFAULT_RUNS, async ({ json, runs }) => {
  const tool = loadTool();
  if (tool.kind === 'node') log(tool.hint);
  log(`bench zero-downtime: ${runs} x ${PHASES.length} phases, ${INSTANCES} instances per version, node ${process.version}, ${cpus().length} CPUs, load ${loadavg()[0]?.toFixed(2)}`);
  const ws = await makeWorkspace('zero-downtime');
  log(`  workspace ${ws.dir}, router on 127.0.0.1:${ws.port}`);
  const ctx = await setUp(ws);
  /** @type {PhaseResult[]} */
  const phases = [];
  for (let run = 1; run <= runs; run++) {
    for (const phase of PHASES) phases.push(await runPhase(ctx, phase, tool));
  }
  const baseline = await naiveBaseline(ws, tool);
  const status = await agentStatus(ws);
  check(status !== null, 'the agent is gone at the end of the run');
  const write = json ? log : (/** @type {string} */ line) => console.log(line);
  const result = report({ tool, phases, baseline, write });
  if (json) console.log(JSON.stringify(result));
});
