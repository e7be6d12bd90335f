// @ts-check
/**
 * Realistic, reproducible deployment history for benchmarks: every version goes
 * to each environment in turn, about every 10 minutes over the past years; most
 * deployments succeed, some fail, roll back, are blocked or cancelled, and now
 * and then someone rolls back by hand. Ids come from the real `newDeploymentId`
 * and grow with time, so the rows come out oldest first and ids sort by time.
 */

/** @typedef {import('../../dist/store/index.js').NewDeployment} NewDeployment */
/** @typedef {import('../../dist/store/index.js').DeploymentStatus} DeploymentStatus */

const SPACING_MS = 10 * 60_000;
const ACTORS = ['alice', 'bob', 'carol', 'dave', 'erin', 'github-actions[bot]'];
const HOSTS = ['ci-runner-1', 'ci-runner-2', 'laptop-carol'];
const MANUAL_ROLLBACK_SHARE = 0.02;
/** @type {[DeploymentStatus, number, string | null][]} status, share, error */
const OUTCOMES = [
  ['succeeded', 0.9, null],
  ['rolled_back', 0.04, 'stage verify: health check failed: GET /health answered 503 (4 attempts)'],
  ['failed', 0.03, 'stage deploy: ./scripts/deploy.sh exited with code 1'],
  ['blocked', 0.02, 'gate window: outside the deploy window (mon-fri 09:00-17:00 Europe/Berlin)'],
  ['cancelled', 0.01, 'cancelled (SIGINT)'],
];
const SUCCEEDED = /** @type {[DeploymentStatus, number, string | null]} */ (OUTCOMES[0]);

/** A small seeded PRNG (mulberry32): the same rows on every run. */
function prng(/** @type {number} */ seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * @param {object} opts
 * @param {string} opts.app
 * @param {string[]} opts.environments  each version goes to them in this order
 * @param {number} opts.count           rows in all
 * @param {number} opts.endMs           the newest row starts before this
 * @param {(nowMs: number, random: () => Buffer) => string} opts.newId  the real `newDeploymentId`
 * @param {number} [opts.seed]
 * @returns {NewDeployment[]} oldest first
 */
export function makeDeployments({ app, environments, count, endMs, newId, seed = 42 }) {
  const random = prng(seed);
  const pick = (/** @type {readonly string[]} */ list) => /** @type {string} */ (list[Math.floor(random() * list.length)]);
  const bytes = (/** @type {number} */ n) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
  /** @type {Map<string, { version: string, id: string }[]>} succeeded deployments per environment, newest last */
  const live = new Map(environments.map((e) => [e, []]));
  /** @type {NewDeployment[]} */
  const rows = [];
  const startMs = endMs - count * SPACING_MS;
  let versionIndex = 0;
  for (let i = 0; i < count; i++) {
    const environment = /** @type {string} */ (environments[i % environments.length]);
    if (i % environments.length === 0) versionIndex++;
    const startedMs = startMs + i * SPACING_MS + Math.floor(random() * (SPACING_MS / 2));
    const history = /** @type {{ version: string, id: string }[]} */ (live.get(environment));
    const current = history.at(-1);
    const previous = history.at(-2);
    const manualRollback = previous !== undefined && random() < MANUAL_ROLLBACK_SHARE;
    const [status, , error] = manualRollback ? SUCCEEDED : outcome(random());
    const version = manualRollback ? previous.version : `v1.${Math.floor(versionIndex / 100)}.${versionIndex % 100}`;
    const id = newId(startedMs, () => bytes(3));
    rows.push({
      id,
      app,
      environment,
      kind: manualRollback ? 'rollback' : 'deploy',
      version,
      previousVersion: current?.version ?? null,
      status,
      triggeredBy: pick(ACTORS),
      reason: manualRollback ? 'errors up after release' : null,
      gitSha: manualRollback ? null : bytes(20).toString('hex'),
      gitRef: manualRollback ? null : `refs/tags/${version}`,
      rollbackOf: manualRollback ? (current?.id ?? null) : null,
      startedAt: new Date(startedMs).toISOString(),
      finishedAt: new Date(startedMs + (status === 'blocked' ? 300 : 15_000 + Math.floor(random() * 600_000))).toISOString(),
      currentStage: null,
      meta: { pid: 1000 + Math.floor(random() * 60_000), host: pick(HOSTS) },
      error,
    });
    if (status === 'succeeded') history.push({ version, id });
    if (history.length > 2) history.shift();
  }
  return rows;
}

/** @returns {[DeploymentStatus, number, string | null]} */
function outcome(/** @type {number} */ r) {
  let sum = 0;
  for (const o of OUTCOMES) if (r < (sum += o[1])) return o;
  return SUCCEEDED;
}
