// @ts-check
/**
 * Open-ended load for one phase of a benchmark: started before an action,
 * stopped after it, then counted. With wrk: `wrk -tT -cC -d3600s --latency URL`
 * (keep-alive), stopped with SIGINT, on which wrk prints its usual summary; the
 * summary is parsed (requests, Non-2xx or 3xx responses, Socket errors:
 * connect, read, write, timeout). Without wrk: the Node load generator of
 * ./traffic.js, back to back on the same number of connections, labelled as
 * such (it reaches fewer requests per second than wrk).
 */
import { spawn } from 'node:child_process';
import { BenchError, onCleanup } from './harness.js';
import { WRK, findTool, parseWrkDuration } from './load.js';
import { countSamples, startTraffic } from './traffic.js';

export const WRK_INSTALL_HINT = 'wrk is not installed; install it with `apt-get install wrk`. Falling back to the Node load generator (fewer requests per second).';
export const FORCED_NODE_HINT = 'SHIPGATE_BENCH_LOAD=node: using the Node load generator instead of wrk (fewer requests per second).';
export const NODE_TOOL = 'node load generator (wrk missing)';
/** Longer than any phase: the run is ended by SIGINT. */
const WRK_MAX_DURATION = '3600s';
const WRK_STOP_TIMEOUT_MS = 10_000;

/** @typedef {import('./traffic.js').Counts & { seconds: number, rps: number, p50_ms: number | null, p99_ms: number | null, tool: string }} LoadCounts */
/** @typedef {{ stop: () => Promise<LoadCounts> }} RunningLoad */
/** @typedef {{ kind: 'wrk', path: string } | { kind: 'node', hint: string }} LoadTool */

/**
 * wrk when installed, else the Node generator. SHIPGATE_BENCH_LOAD=node forces
 * the Node generator (to try the fallback on a machine with wrk).
 * @returns {LoadTool}
 */
export function loadTool() {
  if (process.env.SHIPGATE_BENCH_LOAD === 'node') return { kind: 'node', hint: FORCED_NODE_HINT };
  const path = findTool([WRK, 'wrk']);
  return path ? { kind: 'wrk', path } : { kind: 'node', hint: WRK_INSTALL_HINT };
}

/**
 * @param {LoadTool} tool
 * @param {{ url: string, threads: number, connections: number }} o
 * @returns {Promise<RunningLoad>}
 */
export async function startLoad(tool, o) {
  return tool.kind === 'wrk' ? startWrk(tool.path, o) : startNodeLoad(o);
}

/**
 * @param {string} wrk
 * @param {{ url: string, threads: number, connections: number }} o
 * @returns {RunningLoad}
 */
function startWrk(wrk, { url, threads, connections }) {
  const child = spawn(wrk, [`-t${threads}`, `-c${connections}`, `-d${WRK_MAX_DURATION}`, '--latency', url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  /** @type {Promise<number | null>} */
  const exited = new Promise((resolve) => {
    child.once('error', (e) => {
      err += e.message;
      resolve(null);
    });
    child.once('close', (code) => resolve(code));
  });
  onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    stop: async () => {
      const early = child.exitCode !== null || child.signalCode !== null;
      if (!early) child.kill('SIGINT');
      const killer = setTimeout(() => child.kill('SIGKILL'), WRK_STOP_TIMEOUT_MS);
      const code = await exited;
      clearTimeout(killer);
      if (early || code !== 0) throw new BenchError(`wrk ${early ? 'ended before it was stopped' : `exited with ${code}`}:\n${err}${out}`);
      return parseWrkSummary(out);
    },
  };
}

/**
 * Counts from wrk's summary (the one it prints at the end of a run or on SIGINT).
 * @param {string} out
 * @returns {LoadCounts}
 */
export function parseWrkSummary(out) {
  const summary = /(\d+) requests in ([\d.]+\w+),/.exec(out);
  if (!summary) throw new BenchError(`wrk: no summary in its output:\n${out}`);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const [connect, read, write, timeout] = socket ? socket.slice(1).map(Number) : [0, 0, 0, 0];
  const requests = Number(summary[1]);
  const seconds = parseWrkDuration(/** @type {string} */ (summary[2])) / 1000;
  const counts = { requests, non2xx: non2xx ? Number(non2xx[1]) : 0, connect: connect ?? 0, read: read ?? 0, write: write ?? 0, timeout: timeout ?? 0 };
  return { ...counts, failed: counts.non2xx + counts.connect + counts.read + counts.write + counts.timeout, seconds, rps: rate(requests, seconds), p50_ms: percentile(out, 50), p99_ms: percentile(out, 99), tool: 'wrk' };
}

/** Requests per second, to 0.1. @param {number} requests @param {number} secs */
function rate(requests, secs) {
  return secs > 0 ? Math.round((requests / secs) * 10) / 10 : 0;
}

/** A percentile from wrk's `--latency` distribution, in ms, or null. @param {string} out @param {number} p */
function percentile(out, p) {
  const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out);
  try {
    return m ? parseWrkDuration(/** @type {string} */ (m[1])) : null;
  } catch {
    return null;
  }
}

/**
 * @param {{ url: string, connections: number }} o
 * @returns {RunningLoad}
 */
function startNodeLoad({ url, connections }) {
  const traffic = startTraffic({ url, connections, rps: null });
  onCleanup(() => traffic.stop().then(() => undefined));
  return {
    stop: async () => {
      const { startedAt, stoppedAt } = await traffic.stop();
      const counts = countSamples(traffic.samples);
      const seconds = (stoppedAt - startedAt) / 1000;
      const latencies = traffic.samples.filter((s) => !s.error).map((s) => s.end - s.start).sort((a, b) => a - b);
      const at = (/** @type {number} */ q) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] ?? null;
      return { ...counts, seconds: Math.round(seconds * 1000) / 1000, rps: rate(counts.requests, seconds), p50_ms: at(0.5), p99_ms: at(0.99), tool: NODE_TOOL };
    },
  };
}
