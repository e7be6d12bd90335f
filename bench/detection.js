#!/usr/bin/env node
// @ts-check
/**
 * detection: how fast a canary at 5% that starts answering 500s loses its traffic, and how many user requests fail meanwhile.
 *
 * How, per run, in a fresh temp project on the BUILT CLI (bin/shipgate.js) with
 * `provider.type: local` (a copy of examples/demo-app, 2 instances per version,
 * DEMO_CONTROL=1 so that instances accept `POST /__faults`):
 *   1. `shipgate deploy v1.0.0` (first deployment: straight to 100%);
 *   2. a Node load generator (bench/lib/traffic.js) sends RPS requests/s over
 *      keep-alive connections to the router and records every response with
 *      its start and end time, status and `x-demo-version`;
 *   3. `shipgate deploy v1.1.0` runs in the background (canary: 5% for 60s,
 *      then 100%); once `agent status --json` shows v1.1.0 at 5%, the canary
 *      serves healthily for 2 s, then EVERY v1.1.0 instance is flipped to 500s
 *      with `POST /__faults {"errorRate":1}` sent to its own port;
 *   4. when the deploy has exited (it must end `rolled_back`), the traffic runs
 *      1 s more; the time traffic went back to stable is the `at` of the revert
 *      `rollout:weights` event in the deployment's journal (`show --events --json`).
 *
 * Figures: time to weight 0 = that `at` minus the end time of the first 500 the
 * client saw (cross-checked with the last 500 seen); failed requests = every
 * non-2xx/3xx answer or socket error of the run; rps = the generator's measured
 * rate from the fault to the end of the traffic (the whole run's rate, which
 * includes the set-up, is shown too). Targets: time to weight 0 <= 0.5 s (half the
 * analysis interval); failed requests sent after the first failed one, up to weight 0,
 * <= 5% of all requests sent in that interval (5% x its rate x its length); the deploy ends `rolled_back`. Each run is
 * printed, then the worst case. As a diagnostic, each run also shows the
 * requests sent from the first failed one to weight 0 and how many of them
 * failed, next to what an exact 5% split that starts with a canary request
 * gives (1 + floor((n - 1) x 5%); the router's smooth weighted round-robin is
 * exact): equal would mean the canary's whole share failed until weight 0.
 * With the router's ejection on (the default, `router.ejectAfter: 5`), the
 * canary gets no more traffic after its 5th failed answer in a row, and the
 * router tells the agent, which tells the deploy's controller at once (a held
 * heartbeat): the rollout fails and weight 0 is set then, not at the next
 * analysis evaluation.
 *
 *   npm run bench -- detection [--json] [--runs N]   (default N: 3)
 */
import { cpus, loadavg } from 'node:os';
import { BenchError, check, log, runBench } from './lib/harness.js';
import { cliJson, describeStatus, instancesOf, journal, jsonOutcome, localConfig, makeWorkspace, pause, requireAgent, revertAt, startCli, stopEverything, waitForStatus, weightsAre, writeConfig } from './lib/agent-workspace.js';
import { countSamples, isOk, startTraffic } from './lib/traffic.js';
import { formatTable, int, passText, seconds } from './lib/table.js';

/** @typedef {import('./lib/agent-workspace.js').Workspace} Workspace */
/** @typedef {import('./lib/traffic.js').Sample} Sample */

const DEFAULT_RUNS = 3;
const APP = 'detection';
const INSTANCES = 2;
const STABLE = 'v1.0.0';
const CANARY = 'v1.1.0';
const CANARY_WEIGHT = 5;
/** The generator's target rate and connections (each connection paced at RPS / CONNECTIONS). */
const RPS = 500;
const CONNECTIONS = 10;
const ROLLOUT = {
  strategy: 'canary',
  steps: [{ weight: CANARY_WEIGHT, pause: '60s' }, { weight: 100, pause: '0s' }],
  analysis: { interval: '1s', failureLimit: 2, maxErrorRate: 0.01, minRequests: 5 },
};
const WARM_UP_MS = 1000;
const HEALTHY_CANARY_MS = 2000;
const TAIL_MS = 1000;
const CANARY_AT_5_TIMEOUT_MS = 30_000;
/** Longer than the canary's 60s pause: a fault that is never detected ends as a promoted canary. */
const DEPLOY_TIMEOUT_MS = 90_000;
const FAULT = { errorRate: 1 };
/** Time to weight 0 well under one analysis interval (1 s): the router's ejection fails the rollout at once. */
const TARGETS = { time_to_weight_zero_ms: 500, failed_share_of_rps: CANARY_WEIGHT / 100 };

/**
 * @typedef {object} RunResult
 * @property {number} run
 * @property {number} rps                  measured from the fault to the end of the traffic
 * @property {number} rps_whole_run        measured over the whole run (set-up included)
 * @property {number} requests
 * @property {number} healthy_canary_answers  answers from the canary in its healthy 2 s
 * @property {number} flip_to_first_500_ms
 * @property {number | null} flip_to_weight_zero_ms
 * @property {number | null} time_to_weight_zero_ms  first 500 seen -> revert event
 * @property {number | null} last_500_seen_vs_weight_zero_ms  positive: seen after the revert (in flight)
 * @property {number} failed_started_after_weight_zero
 * @property {number} failed              every failed request of the run
 * @property {number} failed_before_fault  of which sent before the fault was injected (expected 0)
 * @property {number} failed_500
 * @property {number} failed_socket
 * @property {number} failed_in_interval   failed requests sent after the first failed one, up to weight 0
 * @property {number | null} failed_budget   5% of the requests sent in the interval (its rate x its length)
 * @property {number} exposure_requests  requests sent from the first failed one to weight 0
 * @property {number} exposure_failed    how many of them failed
 * @property {number} exposure_exact_share  about how many go to the canary with an exact 5% split that starts with it: 1 + floor((n - 1) x 5%)
 * @property {number | null} exposure_rps  their rate
 * @property {number} evaluations_failed
 * @property {string} status
 * @property {string[]} missed
 * @property {boolean} pass
 */

/** @param {Workspace} ws */
async function deployStable(ws) {
  writeConfig(ws, localConfig({ app: APP, port: ws.port, instances: INSTANCES, env: { DEMO_CONTROL: '1' }, rollout: ROLLOUT }));
  const out = await cliJson(ws, ['deploy', STABLE, '--json']);
  check(out.status === 'succeeded', `first deploy ${STABLE} ended ${out.status}: ${out.error ?? ''}`);
  const status = await requireAgent(ws);
  check(weightsAre(status.weights, { [STABLE]: 100 }), `after the first deploy: expected ${STABLE}=100%, got ${describeStatus(status)}`);
}

/** `POST /__faults` to one instance; checks that it took the fault. @param {number} port */
async function flipToErrors(port) {
  const res = await fetch(`http://127.0.0.1:${port}/__faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(FAULT) });
  const body = await res.text();
  check(res.ok && JSON.parse(body).errorRate === FAULT.errorRate, `POST /__faults to 127.0.0.1:${port} answered ${res.status}: ${body}`);
}

/**
 * Waits for the background deploy to exit (checking for Ctrl-C); a BenchError after DEPLOY_TIMEOUT_MS.
 * @param {{ done: Promise<import('./lib/agent-workspace.js').CliResult> }} deploy
 */
async function awaitDeploy(deploy) {
  /** @type {import('./lib/agent-workspace.js').CliResult | null} */
  let result = null;
  void deploy.done.then((r) => (result = r));
  const deadline = performance.now() + DEPLOY_TIMEOUT_MS;
  while (result === null) {
    if (performance.now() > deadline) throw new BenchError(`shipgate deploy ${CANARY} did not end within ${DEPLOY_TIMEOUT_MS / 1000} s of the fault`);
    await pause(50);
  }
  return /** @type {import('./lib/agent-workspace.js').CliResult} */ (result);
}

/**
 * Starts `shipgate deploy v1.1.0` in the background and waits until the agent
 * has the canary at 5%. @param {Workspace} ws
 */
async function startCanary(ws) {
  const args = ['deploy', CANARY, '--json'];
  const deploy = startCli(ws, args);
  let exited = false;
  void deploy.done.then(() => (exited = true));
  await waitForStatus(ws, (s) => s.weights[CANARY] === CANARY_WEIGHT, { timeoutMs: CANARY_AT_5_TIMEOUT_MS, what: `${CANARY} at ${CANARY_WEIGHT}%`, abort: () => (exited ? `shipgate deploy ${CANARY} exited` : null) });
  return { args, done: deploy.done };
}

/** Flips every ready canary instance to 500s; resolves to when (ms) it started. @param {Workspace} ws */
async function flipCanary(ws) {
  const ports = instancesOf(await requireAgent(ws), CANARY).filter((i) => i.state === 'ready').map((i) => i.port);
  check(ports.length === INSTANCES, `${ports.length} of ${INSTANCES} ${CANARY} instances are ready at the flip`);
  const flipAt = Date.now();
  await Promise.all(ports.map(flipToErrors));
  log(`  flipped ${ports.length} ${CANARY} instances (ports ${ports.join(', ')}) to 500s; waiting for the deploy to end`);
  return flipAt;
}

/**
 * One run: stable, traffic, canary at 5%, healthy 2 s, flip, wait for the deploy, figures.
 * @param {number} run
 * @returns {Promise<RunResult>}
 */
async function detectionRun(run) {
  const ws = await makeWorkspace(`detection-${run}`);
  log(`run ${run}: workspace ${ws.dir}, router on 127.0.0.1:${ws.port}`);
  await deployStable(ws);
  const traffic = startTraffic({ url: ws.url, connections: CONNECTIONS, rps: RPS });
  try {
    await pause(WARM_UP_MS);
    const deploy = await startCanary(ws);
    const canaryAt = Date.now();
    log(`  ${CANARY} at ${CANARY_WEIGHT}%: serving healthily for ${HEALTHY_CANARY_MS / 1000} s`);
    await pause(HEALTHY_CANARY_MS);
    const flipAt = await flipCanary(ws);
    const out = jsonOutcome(deploy.args, await awaitDeploy(deploy));
    await pause(TAIL_MS);
    const { startedAt, stoppedAt } = await traffic.stop();
    const events = await journal(ws, out.deployment_id);
    if (out.status === 'rolled_back') {
      const after = await requireAgent(ws);
      check(weightsAre(after.weights, { [STABLE]: 100 }), `after the rollback: expected ${STABLE}=100%, got ${describeStatus(after)}`);
    }
    const figures = figuresOf({ samples: traffic.samples, flipAt, zeroAt: revertAt(events), stoppedAt });
    const wholeRunRps = Math.round((traffic.samples.length / ((stoppedAt - startedAt) / 1000)) * 10) / 10;
    const healthyAnswers = traffic.samples.filter((s) => s.start >= canaryAt && s.start < flipAt && s.version === CANARY).length;
    const evaluationsFailed = events.events.filter((e) => e.type === 'rollout:evaluation' && e.data.evaluation?.verdict === 'fail').length;
    return judge({ run, ...figures, rps_whole_run: wholeRunRps, healthy_canary_answers: healthyAnswers, evaluations_failed: evaluationsFailed, status: out.status });
  } finally {
    await traffic.stop();
    await stopEverything(ws);
  }
}

/**
 * The figures of a run from the client's samples and the revert time.
 * @param {{ samples: Sample[], flipAt: number, zeroAt: number | null, stoppedAt: number }} o
 */
function figuresOf({ samples, flipAt, zeroAt, stoppedAt }) {
  const counts = countSamples(samples);
  const rps = samples.filter((s) => s.start >= flipAt).length / ((stoppedAt - flipAt) / 1000);
  const bad = samples.filter((s) => !isOk(s) && s.start >= flipAt);
  if (bad.length === 0) throw new BenchError('the client saw no failed request after the fault was injected: did the flip reach the canary?');
  const firstSeen = Math.min(...bad.map((s) => s.end));
  const firstSent = Math.min(...bad.map((s) => s.start));
  const exposed = zeroAt === null ? [] : samples.filter((s) => s.start >= firstSent && s.start <= zeroAt);
  const exposedFailed = exposed.filter((s) => !isOk(s)).length;
  const lastSeen = Math.max(...bad.map((s) => s.end));
  const timeToZero = zeroAt === null ? null : zeroAt - firstSeen;
  return {
    rps: Math.round(rps * 10) / 10,
    requests: samples.length,
    flip_to_first_500_ms: firstSeen - flipAt,
    flip_to_weight_zero_ms: zeroAt === null ? null : zeroAt - flipAt,
    time_to_weight_zero_ms: timeToZero,
    last_500_seen_vs_weight_zero_ms: zeroAt === null ? null : lastSeen - zeroAt,
    failed_started_after_weight_zero: zeroAt === null ? 0 : bad.filter((s) => s.start > zeroAt).length,
    failed: counts.failed,
    failed_before_fault: countSamples(samples, -Infinity, flipAt - 1).failed,
    failed_500: counts.non2xx,
    failed_socket: counts.failed - counts.non2xx,
    exposure_requests: exposed.length,
    exposure_failed: exposedFailed,
    exposure_exact_share: exposed.length === 0 ? 0 : 1 + Math.floor(((exposed.length - 1) * CANARY_WEIGHT) / 100),
    exposure_rps: zeroAt === null || zeroAt <= firstSent ? null : Math.round((exposed.length / ((zeroAt - firstSent) / 1000)) * 10) / 10,
    // The interval is half-open, (first 500, weight 0]: the request that starts the clock is not "during" it;
    // its rate is the rate inside the interval (the whole run's average drifts with the machine's load).
    failed_in_interval: Math.max(0, exposedFailed - 1),
    // The canary's share of the requests in the same interval the failures are counted in. (Its rate times the time
    // from the first 500 *seen* was short by one request's latency, which shows once weight 0 comes within 0.2 s.)
    failed_budget: zeroAt === null || zeroAt <= firstSent ? null : Math.round(TARGETS.failed_share_of_rps * Math.max(0, exposed.length - 1) * 10) / 10,
  };
}

/** Adds the verdict of a run. @param {Omit<RunResult, 'missed' | 'pass'>} r @returns {RunResult} */
function judge(r) {
  const missed = [];
  if (r.status !== 'rolled_back') missed.push(`deploy ended ${r.status}, expected rolled_back`);
  if (r.failed_before_fault > 0) missed.push(`${r.failed_before_fault} request(s) failed before the fault was injected`);
  if (r.time_to_weight_zero_ms === null) missed.push('no revert rollout:weights event in the journal');
  else if (r.time_to_weight_zero_ms > TARGETS.time_to_weight_zero_ms) missed.push(`time to weight 0 ${seconds(r.time_to_weight_zero_ms)} > ${seconds(TARGETS.time_to_weight_zero_ms)}`);
  if (r.failed_budget !== null && r.failed_in_interval > r.failed_budget) missed.push(`${r.failed_in_interval} failed in the interval > budget ${r.failed_budget}`);
  return { ...r, missed, pass: missed.length === 0 };
}

/** `5.13%` @param {number} part @param {number} whole */
function share(part, whole) {
  return whole > 0 ? `${((100 * part) / whole).toFixed(2)}%` : '-';
}

/** The worst figure of each kind over the runs. @param {RunResult[]} runs */
function worstOf(runs) {
  const max = (/** @type {(r: RunResult) => number | null} */ f) => Math.max(...runs.map((r) => f(r) ?? Infinity));
  return {
    time_to_weight_zero_ms: max((r) => r.time_to_weight_zero_ms),
    flip_to_weight_zero_ms: max((r) => r.flip_to_weight_zero_ms),
    failed: max((r) => r.failed),
    failed_over_budget: Math.round(max((r) => (r.failed_budget ? r.failed_in_interval / r.failed_budget : null)) * 100) / 100,
    failed_in_interval: max((r) => r.failed_in_interval),
    min_rps: Math.min(...runs.map((r) => r.rps)),
  };
}

/** @param {RunResult[]} runs @param {(line: string) => void} write */
function report(runs, write) {
  const ms = (/** @type {number | null} */ v) => (v === null ? '-' : seconds(v));
  const header = ['run', 'req/s from fault', 'flip->1st 500', '1st 500->weight 0', 'last 500 vs weight 0', 'failed', 'in interval', '500s', 'socket', 'budget', 'deploy', 'result'];
  const rows = runs.map((r) => [String(r.run), r.rps.toFixed(0), ms(r.flip_to_first_500_ms), ms(r.time_to_weight_zero_ms), r.last_500_seen_vs_weight_zero_ms === null ? '-' : `${r.last_500_seen_vs_weight_zero_ms >= 0 ? '+' : ''}${r.last_500_seen_vs_weight_zero_ms} ms`, int(r.failed), int(r.failed_in_interval), int(r.failed_500), int(r.failed_socket), r.failed_budget === null ? '-' : r.failed_budget.toFixed(1), r.status, passText(r.pass)]);
  const worst = worstOf(runs);
  write('');
  write(`config: canary steps [{weight: ${CANARY_WEIGHT}, pause: 60s}, {weight: 100, pause: 0s}]; analysis ${JSON.stringify(ROLLOUT.analysis)}; ${INSTANCES} instances per version`);
  write(`load: Node generator, target ${RPS} requests/s over ${CONNECTIONS} keep-alive connections; fault: POST /__faults ${JSON.stringify(FAULT)} to every ${CANARY} instance after ${HEALTHY_CANARY_MS / 1000} s healthy at ${CANARY_WEIGHT}%`);
  write('');
  for (const line of formatTable(header, rows)) write(line);
  write('');
  for (const r of runs) {
    write(`run ${r.run}: ${int(r.requests)} requests (${r.rps_whole_run}/s over the whole run); the canary answered ${r.healthy_canary_answers} healthily before the fault; flip -> weight 0 ${ms(r.flip_to_weight_zero_ms)}; ${r.evaluations_failed} failed evaluation(s)`);
    write(`       from the first failed request sent to weight 0: ${r.exposure_requests} requests (${r.exposure_rps ?? '-'}/s), ${r.exposure_failed} failed = ${share(r.exposure_failed, r.exposure_requests)} (an exact ${CANARY_WEIGHT}% split starting with the canary: ~${r.exposure_exact_share}); ${r.failed_started_after_weight_zero} failed request(s) started after weight 0, ${r.failed_before_fault} before the fault`);
    if (r.missed.length) write(`       MISSED: ${r.missed.join('; ')}`);
  }
  write('');
  write(`worst case: time to weight 0 ${seconds(worst.time_to_weight_zero_ms)} (target <= ${seconds(TARGETS.time_to_weight_zero_ms)})  ${passText(runs.every((r) => r.time_to_weight_zero_ms !== null && r.time_to_weight_zero_ms <= TARGETS.time_to_weight_zero_ms))}`);
  write(`worst case: ${worst.failed_in_interval} failed requests in the interval, ${worst.failed_over_budget}x the budget of ${CANARY_WEIGHT}% of the requests sent in the interval (target <= 1x)  ${passText(runs.every((r) => r.failed_budget !== null && r.failed_in_interval <= r.failed_budget))}`);
  write(`  the interval is (first 500, weight 0]: the failed request that starts the clock is counted in "failed", not in the interval;`);
  write(`  rps is the rate inside the interval. The router sends exactly one request in ${100 / CANARY_WEIGHT} to a ${CANARY_WEIGHT}% canary, and ejects it after its 5th failed answer in a row (router.ejectAfter); the ejection fails the rollout at once, so weight 0 follows the 5th failure by milliseconds and a failing canary costs 5 requests.`);
  write(`deploy ended rolled_back: ${runs.filter((r) => r.status === 'rolled_back').length} of ${runs.length}  ${passText(runs.every((r) => r.status === 'rolled_back'))}`);
  const allPass = runs.every((r) => r.pass);
  write(`VERDICT: ${allPass ? 'PASS' : `MISSED (${runs.filter((r) => !r.pass).length} of ${runs.length} runs)`}`);
  return { worst, allPass };
}

await runBench('detection', DEFAULT_RUNS, async ({ json, runs }) => {
  log(`bench detection: ${runs} run(s), node ${process.version}, ${cpus().length} CPUs, load ${loadavg()[0]?.toFixed(2)}`);
  /** @type {RunResult[]} */
  const results = [];
  for (let run = 1; run <= runs; run++) {
    const r = await detectionRun(run);
    log(`  run ${run}: time to weight 0 ${r.time_to_weight_zero_ms === null ? '-' : seconds(r.time_to_weight_zero_ms)}, ${r.failed} failed (budget ${r.failed_budget}), deploy ${r.status}: ${passText(r.pass)}`);
    results.push(r);
  }
  const write = json ? log : (/** @type {string} */ line) => console.log(line);
  const { worst, allPass } = report(results, write);
  const missed = results.filter((r) => !r.pass).map((r) => `run ${r.run}: ${r.missed.join('; ')}`);
  if (json) console.log(JSON.stringify({ bench: 'detection', node: process.version, config: { instances: INSTANCES, rollout: ROLLOUT, fault: FAULT }, load: { target_rps: RPS, connections: CONNECTIONS }, targets: TARGETS, runs: results, worst, missed, all_pass: allPass }));
});
