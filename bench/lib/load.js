// @ts-check
/**
 * HTTP load for benchmarks: long-running server processes (spawned, awaited
 * until they print their port, stopped at clean-up), wrk runs parsed into
 * figures, and a small built-in Node load loop for machines without wrk.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { BenchError, onCleanup } from './harness.js';

export const WRK = '/usr/bin/wrk';
const START_TIMEOUT_MS = 10_000;

/** @typedef {{ rps: number, p50: number, p99: number, requests: number, errors: number, tool: string }} LoadResult  latencies in ms */
/** @typedef {{ pid: number, port: number, stop: () => Promise<void> }} Service */

/** The first executable of `candidates` (absolute paths, or names looked up on PATH), or null. */
export function findTool(/** @type {string[]} */ candidates) {
  for (const c of candidates) {
    if (c.startsWith('/')) {
      if (existsSync(c)) return c;
    } else if (spawnSync('sh', ['-c', `command -v ${c}`], { encoding: 'utf8' }).status === 0) {
      return c;
    }
  }
  return null;
}

/** `taskset -c <cpus>` prefix when pinning is asked for and possible, else nothing. */
export function pinned(/** @type {string | null} */ cpus, /** @type {string[]} */ argv) {
  return cpus === null ? argv : ['taskset', '-c', cpus, ...argv];
}

/**
 * Spawns a server process that prints `{"port":N}` on its first stdout line;
 * resolves once it did. It is stopped (SIGTERM, then SIGKILL) at clean-up or by `stop()`.
 * @param {string} label
 * @param {string[]} argv
 * @returns {Promise<Service>}
 */
export function startService(label, argv) {
  const [cmd, ...args] = argv;
  const child = spawn(/** @type {string} */ (cmd), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await new Promise((resolve) => child.once('exit', resolve));
    clearTimeout(killer);
  };
  onCleanup(stop);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new BenchError(`${label} did not start within ${START_TIMEOUT_MS} ms\n${stderr}`)), START_TIMEOUT_MS);
    child.stdout.on('data', (c) => {
      out += c;
      const line = out.split('\n')[0];
      if (!out.includes('\n') || line === undefined) return;
      clearTimeout(timer);
      try {
        resolve({ pid: /** @type {number} */ (child.pid), port: JSON.parse(line).port, stop });
      } catch {
        reject(new BenchError(`${label} printed ${JSON.stringify(line)}, expected {"port":N}`));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new BenchError(`${label} exited early (${signal ?? code})\n${stderr}`));
    });
  });
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(/** @type {number} */ port, timeoutMs = START_TIMEOUT_MS) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = createConnection({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (performance.now() > deadline) throw new BenchError(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** `812.00us`, `1.20ms`, `2.00s` -> ms */
export function parseWrkDuration(/** @type {string} */ text) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) throw new BenchError(`wrk: cannot read the duration "${text}"`);
  const value = Number(m[1]);
  const unit = /** @type {'us' | 'ms' | 's' | 'm'} */ (m[2]);
  return value * { us: 0.001, ms: 1, s: 1000, m: 60_000 }[unit];
}

/**
 * Figures from `wrk --latency` output.
 * @param {string} out
 * @returns {LoadResult}
 */
export function parseWrk(out) {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const p50 = /^\s+50%\s+(\S+)/m.exec(out);
  const p99 = /^\s+99%\s+(\S+)/m.exec(out);
  const requests = /(\d+) requests in/.exec(out);
  if (!rps || !p50 || !p99 || !requests) throw new BenchError(`wrk: unexpected output:\n${out}`);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const errors = (socketErrors ? socketErrors.slice(1).reduce((s, n) => s + Number(n), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0);
  return { rps: Number(rps[1]), p50: parseWrkDuration(/** @type {string} */ (p50[1])), p99: parseWrkDuration(/** @type {string} */ (p99[1])), requests: Number(requests[1]), errors, tool: 'wrk' };
}

/**
 * Runs wrk against `url`.
 * @param {{ url: string, threads: number, connections: number, seconds: number, cpus: string | null }} o
 * @returns {Promise<LoadResult>}
 */
export function runWrk({ url, threads, connections, seconds, cpus }) {
  const argv = pinned(cpus, [WRK, `-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', url]);
  return new Promise((resolve, reject) => {
    const child = spawn(/** @type {string} */ (argv[0]), argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.once('error', (e) => reject(new BenchError(`wrk: ${e.message}`)));
    child.once('exit', (code) => {
      if (code !== 0) return reject(new BenchError(`wrk exited with ${code}\n${err}${out}`));
      try {
        resolve(parseWrk(out));
      } catch (e) {
        reject(e);
      }
    });
  });
}

/**
 * A built-in load loop for machines without wrk: `connections` keep-alive
 * connections (undici Pool) sending back-to-back GETs for `seconds`. It runs in
 * the benchmark's own process, so its figures are lower than wrk's; they are
 * labelled as such.
 * @param {{ url: string, connections: number, seconds: number }} o
 * @returns {Promise<LoadResult>}
 */
export async function runNodeLoad({ url, connections, seconds }) {
  const { Pool } = await import('undici');
  const pool = new Pool(url, { connections, pipelining: 1 });
  /** @type {number[]} */
  const latencies = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      try {
        const res = await pool.request({ path: '/', method: 'GET' });
        await res.body.dump();
        if (res.statusCode >= 400) errors++;
        latencies.push(performance.now() - t);
      } catch {
        errors++;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, worker));
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (/** @type {number} */ q) => latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil(q * latencies.length) - 1))] ?? NaN;
  return { rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), requests: latencies.length, errors, tool: 'node load loop (wrk missing)' };
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on Linux unless getconf says otherwise). */
let ticksPerSecond = 0;

/**
 * CPU time (user + system, ms) used so far by `pid` and its child processes
 * (nginx's worker under its master), from /proc; null where /proc is missing.
 * @param {number} pid
 * @returns {number | null}
 */
export function cpuTimeMs(pid) {
  if (ticksPerSecond === 0) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    ticksPerSecond = Number(out.stdout) > 0 ? Number(out.stdout) : 100;
  }
  /** @param {number} p */
  const own = (p) => {
    const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of the whole line)
  };
  try {
    let ticks = own(pid);
    for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) ticks += own(Number(child));
    return (ticks * 1000) / ticksPerSecond;
  } catch {
    return null;
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago (for servers that cannot listen on port 0 and report it, like nginx). */
export async function freePort() {
  const { createServer } = await import('node:net');
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (probe.address());
  await new Promise((resolve) => probe.close(() => resolve(undefined)));
  return port;
}
