#!/usr/bin/env node
// @ts-check
/**
 * core: cold start, no-op deploy, and `history --json` over 100,000 deployments.
 *
 * How: each figure is the wall time (spawn to exit) of the BUILT CLI run as a
 * real child process (`node bin/shipgate.js ...`) in a fresh temp project, with
 * CI variables removed and NO_COLOR=1. `node -e 0` is measured in the same run
 * as the baseline; rounds are interleaved (baseline, --version, deploy, ...)
 * after one warm-up round. Figures are median, min and p90 of N runs, each next
 * to its ratio to the baseline, its share above it, and its target.
 *
 *   npm run bench -- core [--json] [--runs N]
 */
import { cpus, loadavg } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { makeDeployments } from './lib/deployments.js';
import { CHILD_ENV, STARTUP_ONLY_SET, check, checkpoint, distModule, log, makeTempDir, packageVersion, round1, runBench, sampleInterleaved, summarize, timeCli, timeNode } from './lib/harness.js';
import { createBenchDatabase } from './lib/pg.js';
import { buildReport, printTable } from './lib/report.js';

/** @typedef {import('./lib/harness.js').Measure} Measure */
/** @typedef {import('./lib/report.js').Row} Row */
/** @typedef {import('../dist/store/index.js').NewDeployment} NewDeployment */
/** @typedef {import('../dist/store/index.js').Store & { insertDeployments?: (rows: readonly NewDeployment[]) => Promise<void> }} BulkStore */

const DEFAULT_RUNS = 20;
/** Targets from the issue: median wall time in ms. */
const TARGETS = { version_cold_start_ms: 300, noop_deploy_ms: 500, history_json_100k_ms: 100 };
const APP = 'bench';
const ENVIRONMENTS = ['production', 'staging'];
const HISTORY_ROWS = 100_000;
/** `shipgate history` shows this many by default. */
const HISTORY_LIMIT = 20;
const SQLITE_STORE = 'sqlite:.shipgate/state.db';

const NOOP_CONFIG = `app: ${APP}
provider: { type: command, deploy: ["true"], rollback: ["true"] }
gates: { semver: false }
`;

/** A temp project with a shipgate.yaml: the no-op config plus `extra` lines. */
function makeProject(/** @type {string} */ label, extra = '') {
  const dir = makeTempDir(label);
  writeFileSync(join(dir, 'shipgate.yaml'), NOOP_CONFIG + extra);
  return dir;
}

/** @returns {Measure} */
function baselineMeasure(/** @type {string} */ dir, key = 'baseline', env = CHILD_ENV) {
  return { key, once: () => timeNode(['-e', '0'], dir, env).ms };
}

/** CHILD_ENV plus the start-up-only variables this machine sets (see STARTUP_ONLY_VARIABLES in the harness). */
const MACHINE_ENV = { ...CHILD_ENV, ...STARTUP_ONLY_SET };
const MACHINE_VARIABLES = Object.keys(STARTUP_ONLY_SET);

/** @returns {Measure} */
function versionMeasure(/** @type {string} */ dir) {
  const expected = packageVersion();
  return {
    key: 'version_cold_start_ms',
    once: () => {
      const run = timeCli(['--version'], dir);
      check(run.stdout.trim() === expected, `shipgate --version printed ${JSON.stringify(run.stdout.trim())}, expected ${JSON.stringify(expected)}`);
      return run.ms;
    },
  };
}

/** `shipgate deploy vX.Y.Z` of a fresh version each time; it must exit 0. @returns {Measure} */
function deployMeasure(/** @type {string} */ key, /** @type {string} */ dir) {
  let deploys = 0;
  return { key, once: () => timeCli(['deploy', `v1.0.${++deploys}`], dir).ms };
}

/**
 * A project whose SQLite store holds HISTORY_ROWS deployments of APP across
 * ENVIRONMENTS, written with the store's bulk insert through the built dist/.
 * @returns {Promise<{ dir: string, rows: NewDeployment[] }>}
 */
async function historyProject() {
  const dir = makeProject('history', `environments: { ${ENVIRONMENTS.map((e) => `${e}: {}`).join(', ')} }\n`);
  mkdirSync(join(dir, '.shipgate'));
  const { openStore } = /** @type {typeof import('../dist/store/index.js')} */ (await import(distModule('store/index.js')));
  const { newDeploymentId } = /** @type {typeof import('../dist/pipeline/ids.js')} */ (await import(distModule('pipeline/ids.js')));
  const started = performance.now();
  const rows = makeDeployments({ app: APP, environments: ENVIRONMENTS, count: HISTORY_ROWS, endMs: Date.now() - 3_600_000, newId: newDeploymentId });
  const store = /** @type {BulkStore} */ (await openStore(SQLITE_STORE, { root: dir }));
  try {
    check(typeof store.insertDeployments === 'function', 'the store opened from dist/store/index.js has no insertDeployments(rows): rebuild (`npm run build`) or update bench/core.js');
    await store.insertDeployments(rows);
    const total = await store.countDeployments(APP);
    check(total === HISTORY_ROWS, `store holds ${total} deployments of ${APP} after the bulk insert, expected ${HISTORY_ROWS}`);
    for (const env of ENVIRONMENTS) {
      const n = await store.countDeployments(APP, env);
      check(n === HISTORY_ROWS / ENVIRONMENTS.length, `store holds ${n} deployments in ${env}, expected ${HISTORY_ROWS / ENVIRONMENTS.length}`);
    }
  } finally {
    await store.close();
  }
  log(`  populated ${HISTORY_ROWS.toLocaleString('en')} deployments (${ENVIRONMENTS.join(', ')}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { dir, rows };
}

/**
 * `shipgate history --json`: a JSON array of the HISTORY_LIMIT newest deployments, newest first.
 * @param {string} dir
 * @param {NewDeployment[]} rows  oldest first, as inserted
 * @param {string} [key]
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {Measure}
 */
function historyMeasure(dir, rows, key = 'history_json_100k_ms', env = CHILD_ENV) {
  const expected = rows.slice(-HISTORY_LIMIT).reverse();
  return {
    key,
    once: () => {
      const run = timeCli(['history', '--json'], dir, env);
      const list = parseJson(run.stdout, 'shipgate history --json');
      check(Array.isArray(list) && list.length === HISTORY_LIMIT, `shipgate history --json: expected an array of ${HISTORY_LIMIT} deployments, got ${describe(list)}`);
      list.forEach((entry, i) => {
        const want = /** @type {NewDeployment} */ (expected[i]);
        const got = /** @type {Record<string, unknown>} */ (entry);
        check(got.deployment_id === want.id && got.version === want.version && got.environment === want.environment, `shipgate history --json: entry ${i} is ${got.deployment_id} (${got.environment} ${got.version}), expected ${want.id} (${want.environment} ${want.version}), newest first`);
      });
      return run.ms;
    },
  };
}

/**
 * `shipgate status --json` on the history store (informational): one entry per
 * environment, live = the newest succeeded deployment there.
 * @param {string} dir
 * @param {NewDeployment[]} rows
 * @returns {Measure}
 */
function statusMeasure(dir, rows) {
  const live = new Map(ENVIRONMENTS.map((env) => [env, rows.findLast((r) => r.environment === env && r.status === 'succeeded')]));
  return {
    key: 'status_json_100k_ms',
    once: () => {
      const run = timeCli(['status', '--json'], dir);
      const list = parseJson(run.stdout, 'shipgate status --json');
      check(Array.isArray(list) && list.length === ENVIRONMENTS.length, `shipgate status --json: expected an array of ${ENVIRONMENTS.length} environments, got ${describe(list)}`);
      for (const entry of /** @type {{ environment?: string, live?: { deployment_id?: string } | null }[]} */ (list)) {
        const want = live.get(entry.environment ?? '');
        check(want && entry.live?.deployment_id === want.id, `shipgate status --json: ${entry.environment} live is ${entry.live?.deployment_id}, expected ${want?.id}`);
      }
      return run.ms;
    },
  };
}

function parseJson(/** @type {string} */ text, /** @type {string} */ what) {
  try {
    return /** @type {unknown} */ (JSON.parse(text));
  } catch (err) {
    check(false, `${what}: stdout is not JSON (${/** @type {Error} */ (err).message}):\n${text.slice(0, 500)}`);
  }
}

function describe(/** @type {unknown} */ value) {
  return Array.isArray(value) ? `an array of ${value.length}` : typeof value;
}

await runBench('core', DEFAULT_RUNS, async ({ json, runs }) => {
  log(`bench core: ${runs} runs (+1 warm-up) per measure, node ${process.version}, ${cpus().length} CPUs, load ${loadavg()[0]?.toFixed(2)}`);
  const emptyDir = makeTempDir('empty');
  const deployDir = makeProject('deploy');
  const pg = await createBenchDatabase();
  const pgDir = 'url' in pg ? makeProject('deploy-pg', `store: { url: "${pg.url}" }\n`) : null;
  const history = await historyProject();
  await checkpoint();

  /** @type {Measure[]} */
  const measures = [baselineMeasure(emptyDir), versionMeasure(emptyDir), deployMeasure('noop_deploy_ms', deployDir)];
  if (pgDir) measures.push(deployMeasure('noop_deploy_postgres_ms', pgDir));
  measures.push(historyMeasure(history.dir, history.rows), statusMeasure(history.dir, history.rows));
  if (MACHINE_VARIABLES.length > 0) {
    log(`  this machine sets ${MACHINE_VARIABLES.join(', ')}: measured without (the targets) and, for comparison, with`);
    measures.push(baselineMeasure(emptyDir, 'baseline_machine_env', MACHINE_ENV), historyMeasure(history.dir, history.rows, 'history_json_100k_machine_env_ms', MACHINE_ENV));
  }
  log(`  measuring: ${measures.map((m) => m.key).join(', ')}`);
  const samples = await sampleInterleaved(measures, runs);
  const stats = (/** @type {string} */ key) => summarize(samples.get(key) ?? []);

  const version = stats('version_cold_start_ms');
  const overVersion = (/** @type {import('./lib/harness.js').Stats} */ s) => ({ over_version_ms: round1(s.median - version.median) });
  const deploy = stats('noop_deploy_ms');
  const deployPg = pgDir ? stats('noop_deploy_postgres_ms') : undefined;
  /** @type {Row[]} */
  const rows = [
    { key: 'version_cold_start_ms', label: 'shipgate --version (cold start)', stats: version, target: TARGETS.version_cold_start_ms },
    { key: 'noop_deploy_ms', label: 'deploy, no-op command provider', stats: deploy, target: TARGETS.noop_deploy_ms, extra: overVersion(deploy) },
    deployPg
      ? { key: 'noop_deploy_postgres_ms', label: 'deploy, no-op, PostgreSQL store', stats: deployPg, target: null, extra: overVersion(deployPg) }
      : { key: 'noop_deploy_postgres_ms', label: 'deploy, no-op, PostgreSQL store', target: null, skipped: 'skipped' in pg ? pg.skipped : 'not measured' },
    { key: 'history_json_100k_ms', label: `history --json (${HISTORY_ROWS / 1000}k rows)`, stats: stats('history_json_100k_ms'), target: TARGETS.history_json_100k_ms },
    { key: 'status_json_100k_ms', label: `status --json (${HISTORY_ROWS / 1000}k rows)`, stats: stats('status_json_100k_ms'), target: null },
  ];
  const machine = MACHINE_VARIABLES.length > 0 ? { node: stats('baseline_machine_env'), history: stats('history_json_100k_machine_env_ms') } : undefined;
  if (machine) {
    rows.push({
      key: 'history_json_100k_machine_env_ms',
      label: `history --json, with ${MACHINE_VARIABLES.join(', ')}`,
      stats: machine.history,
      target: null,
      extra: { node_same_env_ms: machine.node.median, over_node_same_env_ms: round1(machine.history.median - machine.node.median) },
    });
  }
  const report = buildReport({ bench: 'core', runs, baseline: stats('baseline'), rows });

  const write = json ? log : (/** @type {string} */ line) => console.log(line);
  write('');
  printTable(report, rows, write);
  write(`deploy (pipeline overhead): ${deploy.median.toFixed(1)} ms = node start ${report.baseline_node_ms.toFixed(1)} ms + shipgate ${(deploy.median - report.baseline_node_ms).toFixed(1)} ms; ${(deploy.median - version.median).toFixed(1)} ms above \`shipgate --version\``);
  if (deployPg) write(`deploy on PostgreSQL: ${(deployPg.median - version.median).toFixed(1)} ms above \`shipgate --version\`, ${(deployPg.median - deploy.median).toFixed(1)} ms more than on SQLite`);
  else write(`deploy on PostgreSQL: SKIPPED (${'skipped' in pg ? pg.skipped : 'not measured'})`);
  if (machine) {
    write(
      `${MACHINE_VARIABLES.join(', ')} (set on this machine): \`node -e 0\` takes ${machine.node.median.toFixed(1)} ms with it, ${(machine.node.median - report.baseline_node_ms).toFixed(1)} ms more than without; ` +
        `history --json takes ${machine.history.median.toFixed(1)} ms with it (${(machine.history.median - machine.node.median).toFixed(1)} ms above that node start). ` +
        'Node loads the certificate bundle before any code runs; the targets are judged without it, as on a machine that does not set it.',
    );
  }
  if (json) console.log(JSON.stringify(report));
});
