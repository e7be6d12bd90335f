// @ts-check
/**
 * Shared helpers of the benchmarks: arguments, the built CLI as a real child
 * process with a clean environment, wall-clock timing, statistics, temporary
 * directories and clean-up (also on Ctrl-C).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(ROOT, 'bin', 'shipgate.js');
const DIST = join(ROOT, 'dist');
const DIST_MAIN = join(DIST, 'cli', 'main.js');
const MAX_RUNS = 1000;
const OUTPUT_LIMIT = 64 * 1024 * 1024;

export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 };

/** The benchmark itself could not run correctly (a command failed, wrong output). */
export class BenchError extends Error {}
class UsageError extends Error {}

/** @typedef {{ json: boolean, runs: number, flags: Record<string, string | boolean | undefined> }} BenchOptions */
/**
 * Options of one benchmark beyond `--json` and `--runs`; their values come back in `BenchOptions.flags`.
 * @typedef {object} ExtraOptions
 * @property {Record<string, { type: 'string' | 'boolean' }>} options
 * @property {string} usage  how they are shown in the usage line, e.g. `[--fresh] [--scale N]`
 * @property {(flags: BenchOptions['flags']) => string | null} [check]  what is wrong with their values, or null
 */
/** @typedef {{ median: number, min: number, p90: number, max: number, n: number }} Stats */
/** @typedef {{ ms: number, stdout: string, stderr: string }} Timed */

/** Writes progress and human text that must not mix with the JSON on stdout. */
export function log(/** @type {string} */ text) {
  process.stderr.write(`${text}\n`);
}

/**
 * @param {string[]} argv
 * @param {number} defaultRuns
 * @param {ExtraOptions} extra
 * @returns {BenchOptions}
 */
function parseBenchArgs(argv, defaultRuns, { options: extra, check: checkExtra }) {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { ...extra, json: { type: 'boolean' }, runs: { type: 'string' } }, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new UsageError(/** @type {Error} */ (err).message);
  }
  const runs = values.runs === undefined ? defaultRuns : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > MAX_RUNS) throw new UsageError(`--runs: expected a whole number from 1 to ${MAX_RUNS} (got "${values.runs}")`);
  const { json, runs: _runs, ...flags } = values;
  const wrong = checkExtra?.(flags) ?? null;
  if (wrong !== null) throw new UsageError(wrong);
  return { json: json === true, runs, flags };
}

/** @type {(() => void | Promise<void>)[]} */
const cleanups = [];

/** Registers clean-up work; it runs in reverse order when the benchmark ends or is interrupted. */
export function onCleanup(/** @type {() => void | Promise<void>} */ fn) {
  cleanups.push(fn);
}

async function runCleanups() {
  while (cleanups.length > 0) {
    const fn = /** @type {() => void | Promise<void>} */ (cleanups.pop());
    try {
      await fn();
    } catch (err) {
      log(`clean-up failed: ${/** @type {Error} */ (err).message}`);
    }
  }
}

/**
 * Runs a benchmark: parses `[--json] [--runs N]`, builds the CLI if needed, runs
 * `body`, cleans up. Exit code 0 when it ran (missed targets included), 1 when it
 * could not run correctly, 2 on bad arguments.
 * @param {string} name
 * @param {number} defaultRuns
 * @param {(opts: BenchOptions) => Promise<void>} body
 * @param {ExtraOptions} [extra]
 */
export async function runBench(name, defaultRuns, body, extra = { options: {}, usage: '' }) {
  let opts;
  try {
    opts = parseBenchArgs(process.argv.slice(2), defaultRuns, extra);
  } catch (err) {
    log(`bench ${name}: ${/** @type {Error} */ (err).message}\nusage: npm run bench -- ${name} [--json] [--runs N]${extra.usage ? ` ${extra.usage}` : ''}   (default N: ${defaultRuns})`);
    process.exitCode = EXIT.usage;
    return;
  }
  // A closed pipe (`| head`) must not end the process before clean-up.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
    process.on(signal, () => {
      if (interrupted) process.exit(EXIT.interrupted); // a second Ctrl-C: give up on clean-up
      interrupted = signal;
      log(`\nbench ${name}: ${signal}; stopping after the current command (again to quit at once)`);
    });
  }
  let builtAt = 0;
  try {
    ensureBuilt();
    builtAt = newestMtime(DIST);
    await body(opts);
    process.exitCode = EXIT.ok;
  } catch (err) {
    const message = err instanceof BenchError ? err.message : /** @type {Error} */ (err).stack ?? String(err);
    if (interrupted) {
      log(`bench ${name}: interrupted (no figures); cleaning up`);
      process.exitCode = EXIT.interrupted;
    } else {
      log(`\nbench ${name} FAILED (no figures): ${message}`);
      if (builtAt > 0 && newestMtime(DIST) !== builtAt) log('note: dist/ was rebuilt while the benchmark ran (a concurrent `npm run build`?); run it again');
      process.exitCode = EXIT.failed;
    }
  } finally {
    await runCleanups();
  }
}

/** @type {NodeJS.Signals | null} */
let interrupted = null;

/**
 * Lets a pending SIGINT/SIGTERM handler run (the timed commands are synchronous)
 * and stops the benchmark if one arrived; clean-up then runs as usual.
 */
export async function checkpoint() {
  await setImmediate();
  if (interrupted) throw new BenchError(`interrupted by ${interrupted}`);
}

/** Builds the CLI when `dist/` is missing; warns when sources are newer than the build. */
function ensureBuilt() {
  if (!existsSync(DIST_MAIN)) {
    log('dist/cli/main.js is missing: running `npm run build` first');
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const build = spawnSync(npm, ['run', 'build'], { cwd: ROOT, stdio: ['ignore', process.stderr, process.stderr] });
    if (build.status !== 0 || !existsSync(DIST_MAIN)) throw new BenchError('`npm run build` failed; fix the build, then run the benchmark again');
    return;
  }
  const built = statSync(DIST_MAIN).mtimeMs;
  if (newestMtime(join(ROOT, 'src')) > built) log('note: src/ has changes newer than dist/; the benchmark measures dist/ as built (run `npm run build` to include them)');
}

/** Newest modification time of the files under `dir` (0 when unreadable, e.g. mid-rebuild). @param {string} dir @returns {number} */
function newestMtime(dir) {
  let newest = 0;
  try {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
    }
  } catch {
    // a file removed while walking: ignore it
  }
  return newest;
}

/** A URL for `import()` of a built module, e.g. `dist/store/index.js`. */
export function distModule(/** @type {string} */ relative) {
  return pathToFileURL(join(DIST, relative)).href;
}

/** The version in package.json (what `shipgate --version` prints). */
export function packageVersion() {
  return /** @type {{ version: string }} */ (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))).version;
}

/**
 * Variables of the machine, not of shipgate, that slow every Node start-up. Node
 * reads and parses the whole NODE_EXTRA_CA_CERTS bundle before running any code
 * (tens of ms when it names the system bundle, as some sandboxes and corporate
 * images do); none of the benchmarked commands makes a TLS connection. The core
 * bench measures with and without them and prints both.
 */
export const STARTUP_ONLY_VARIABLES = ['NODE_EXTRA_CA_CERTS'];

/** The parent's environment without CI variables (CI, GITHUB_*, SHIPGATE_*) or STARTUP_ONLY_VARIABLES, with NO_COLOR=1. */
function cleanEnv() {
  /** @type {NodeJS.ProcessEnv} */
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'CI' || key === 'FORCE_COLOR' || key.startsWith('GITHUB_') || key.startsWith('SHIPGATE_') || STARTUP_ONLY_VARIABLES.includes(key)) continue;
    env[key] = value;
  }
  env.NO_COLOR = '1';
  return env;
}

/** The environment every CLI child of a benchmark gets (see cleanEnv). */
export const CHILD_ENV = cleanEnv();

/** STARTUP_ONLY_VARIABLES this machine sets (what CHILD_ENV leaves out), e.g. `{ NODE_EXTRA_CA_CERTS: "/etc/..." }`. */
export const STARTUP_ONLY_SET = Object.fromEntries(STARTUP_ONLY_VARIABLES.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));

/** A fresh directory under os.tmpdir(), removed when the benchmark ends. */
export function makeTempDir(/** @type {string} */ label) {
  const dir = mkdtempSync(join(tmpdir(), `shipgate-bench-${label}-`));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Runs `node ARGS` in `cwd` and measures its wall time (spawn to exit).
 * Throws a BenchError when it does not exit 0.
 * @param {string[]} args
 * @param {string} cwd
 * @param {NodeJS.ProcessEnv} [env]  default CHILD_ENV
 * @returns {Timed}
 */
export function timeNode(args, cwd, env = CHILD_ENV) {
  const started = performance.now();
  const child = spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8', maxBuffer: OUTPUT_LIMIT, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - started;
  const shown = args[0] === CLI ? `shipgate ${args.slice(1).join(' ')}` : `node ${args.join(' ')}`;
  if (child.error) throw new BenchError(`${shown}: ${child.error.message}`);
  if (child.status !== 0) {
    const why = child.signal ? `was killed by ${child.signal}` : `exited with ${child.status}`;
    throw new BenchError(`\`${shown}\` ${why} (expected 0)\n--- stderr ---\n${lastLines(child.stderr)}\n--- stdout ---\n${lastLines(child.stdout)}`);
  }
  return { ms, stdout: child.stdout, stderr: child.stderr };
}

/** Runs the built CLI (`node bin/shipgate.js ARGS`) in `cwd`; see {@link timeNode}. */
export function timeCli(/** @type {string[]} */ args, /** @type {string} */ cwd, /** @type {NodeJS.ProcessEnv} */ env = CHILD_ENV) {
  return timeNode([CLI, ...args], cwd, env);
}

function lastLines(/** @type {string} */ text, count = 20) {
  return text.trimEnd().split('\n').slice(-count).join('\n') || '(empty)';
}

/**
 * @typedef {object} Measure
 * @property {string} key    result key, e.g. `noop_deploy_ms`
 * @property {() => number} once  runs the thing once, checks it, returns wall ms
 */

/**
 * Samples every measure `runs` times after one warm-up round. Rounds are
 * interleaved (baseline, a, b, ..., baseline, a, b, ...) so that a noisy
 * neighbour slows every measure alike instead of skewing one of them.
 * @param {Measure[]} measures
 * @param {number} runs
 * @returns {Promise<Map<string, number[]>>}
 */
export async function sampleInterleaved(measures, runs) {
  /** @type {Map<string, number[]>} */
  const samples = new Map(measures.map((m) => [m.key, []]));
  for (const m of measures) {
    m.once(); // warm-up: file cache, schema creation; discarded
    await checkpoint();
  }
  for (let round = 1; round <= runs; round++) {
    for (const m of measures) {
      /** @type {number[]} */ (samples.get(m.key)).push(m.once());
      await checkpoint();
    }
    if (process.stderr.isTTY) process.stderr.write(`\r  round ${round}/${runs}`);
  }
  if (process.stderr.isTTY) process.stderr.write('\n');
  return samples;
}

/**
 * Median, min, p90 (nearest rank) and max of wall times, rounded to 0.1 ms.
 * @param {number[]} samples
 * @returns {Stats}
 */
export function summarize(samples) {
  if (samples.length === 0) throw new BenchError('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (/** @type {number} */ q) => /** @type {number} */ (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? /** @type {number} */ (sorted[mid]) : (/** @type {number} */ (sorted[mid - 1]) + /** @type {number} */ (sorted[mid])) / 2;
  return { median: round1(median), min: round1(/** @type {number} */ (sorted[0])), p90: round1(at(0.9)), max: round1(/** @type {number} */ (sorted[sorted.length - 1])), n: sorted.length };
}

export function round1(/** @type {number} */ ms) {
  return Math.round(ms * 10) / 10;
}

/**
 * Throws a BenchError with `message` unless `condition` holds.
 * @param {unknown} condition
 * @param {string} message
 * @returns {asserts condition}
 */
export function check(condition, message) {
  if (!condition) throw new BenchError(message);
}
