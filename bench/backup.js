#!/usr/bin/env node
// @ts-check
/**
 * backup: `shipgate backup create` next to bare `pg_dump -Fc`, and its restore proof next to bare `pg_restore`, on a ~1 GB PostgreSQL database.
 *
 * How: the data is a dedicated database on the local PostgreSQL server
 * (`shipgate_bench_backup`, see bench/lib/pg.js for the server URL) filled by
 * `pgbench -i -s 68` (about 1 GB, `pg_database_size`). It is kept between runs:
 * a run reuses it when its comment says it was completed at the wanted scale
 * (the comment is written only after pgbench succeeded) and pgbench_branches
 * agrees; otherwise, or with `--fresh`, it is dropped and generated again (the
 * time it took is printed). `--scale N` picks another size (e.g. 5 while
 * developing; the next run at the default scale then rebuilds it).
 *
 * A fresh temp project holds shipgate.yaml (one postgres database `main`,
 * `backup: { verify: restore, storage: local backups }`, compression left at
 * `auto`, which adds none, since `pg_dump -Fc` already compresses, so both sides
 * write the same kind of archive) and the bare tools' archive, so that both
 * write to the same disk. Before measuring, each pgbench table is read once
 * (so that both dumps start with the data in the OS cache), and a CHECKPOINT
 * runs before every timed command (so that none pays for another's dirty pages).
 * Each round then times, as real child processes:
 *   - bare: `pg_dump -Fc -f FILE`, then `pg_restore --no-owner -d SCRATCH FILE`
 *     into a fresh scratch database (dropped afterwards);
 *   - shipgate: the BUILT `shipgate backup create --db main --json`, with its
 *     proof by restore, as a deploy runs it. Its create phase is from spawn to
 *     the "archive stored" line it writes on stderr (the dump streamed through
 *     the sha256 into storage and fsynced); its proof phase is the rest (the
 *     source's fingerprints, which run after the dump in its snapshot, beside
 *     the restore; the read-back and sha256 check; the restore into its scratch
 *     database; the comparison; the drop; the manifest). The whole command is
 *     also set against pg_dump + pg_restore.
 * Where the time goes (info rows, measured once before the rounds, alone): the
 * fingerprint queries shipgate runs after pg_dump, each algorithm in a
 * read-only snapshot of its own as a backup runs it (algorithm 2, what backups
 * use, and algorithm 1, the row-text hash of older manifests), so they can be
 * set against the bare pg_dump's time. There is no copy pass to time any more:
 * the dump streams into storage.
 *
 * Memory: each command runs under GNU time (`/usr/bin/time -f %M`). Its figure
 * is the peak RSS of the largest single process of the command's tree (Linux
 * reports the maximum, never a sum), so the pg_dump and pg_restore children
 * that shipgate starts are never added to it: it is the node process's own peak,
 * unless a child peaked higher (the bare tools' own peaks are printed next to it
 * for that comparison). Streaming means it stays flat as the database grows.
 *
 * Targets (from the issue): create <= 1.10x bare pg_dump; proof <= 1.5x bare
 * pg_restore; shipgate's peak RSS < 150 MB. A line that misses says MISSED; the
 * VERDICT line sums up, and the exit code is 0 on PASS, 1 on MISSED or when
 * the benchmark could not run (2 on bad arguments). Needs pgbench, pg_dump,
 * pg_restore and GNU time (`apt-get install time`) on the PATH / in /usr/bin.
 *
 *   npm run bench -- backup [--json] [--runs N] [--scale N] [--fresh]   (default N: 1 run, scale 68)
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { BenchError, CHILD_ENV, CLI, EXIT, check, checkpoint, distModule, log, makeTempDir, runBench, summarize } from './lib/harness.js';
import { PG_ADMIN_URL, createBenchDatabase, dropDatabase, withAdmin } from './lib/pg.js';
import { formatTable, int, passText, seconds } from './lib/table.js';

/** @typedef {import('./lib/harness.js').Stats} Stats */

const DEFAULT_RUNS = 1;
/** pgbench scale of about 1 GB: 100,000 pgbench_accounts rows per unit, ~15 MB with its index. */
const DEFAULT_SCALE = 68;
const DB_NAME = 'shipgate_bench_backup';
/** Written as the database's comment once generation completed; a partial database never has it. */
const MARKER = (/** @type {number} */ scale) => `shipgate bench backup: pgbench -i -s ${scale} complete`;
/** Server-side generation (G) is faster than streaming rows from the client; then vacuum and primary keys, as pgbench's default. */
const PGBENCH_INIT_STEPS = 'dtGvp';
const ACCOUNTS_PER_SCALE = 100_000;
const PGBENCH_TABLES = ['pgbench_accounts', 'pgbench_branches', 'pgbench_tellers', 'pgbench_history'];
const GNU_TIME = '/usr/bin/time';
const MB = 1_000_000;
const TARGETS = { create_ratio: 1.1, proof_ratio: 1.5, shipgate_peak_rss_mb: 150 };
const MAX_SCALE = 10_000;
const EXTRA = {
  options: /** @type {const} */ ({ scale: { type: 'string' }, fresh: { type: 'boolean' } }),
  usage: '[--scale N] [--fresh]',
  /** @param {Record<string, string | boolean | undefined>} flags */
  check: (flags) => {
    const scale = scaleOf(flags.scale);
    return Number.isInteger(scale) && scale >= 1 && scale <= MAX_SCALE ? null : `--scale: expected a whole number from 1 to ${MAX_SCALE} (got "${flags.scale}")`;
  },
};

/** @typedef {{ ms: number, rssKiB: number, stdout: string, markMs: number | null }} Measured */
/** @typedef {{ dump: Measured, restore: Measured, dumpBytes: number }} BareRound */
/** @typedef {{ create: Measured, storedMs: number, proofMs: number, id: string, size: number, proof: { ok: boolean, tables: number, rows: number, ms: number } }} ShipgateRound */

/** Connection flags of the pg tools (the password, when there is one, goes in PGPASSWORD). */
function pgConnection() {
  const url = new URL(PG_ADMIN_URL);
  const args = ['-h', url.hostname, '-p', url.port || '5432', '-U', decodeURIComponent(url.username || 'postgres')];
  /** @type {NodeJS.ProcessEnv} */
  const env = { ...CHILD_ENV };
  if (url.password) env.PGPASSWORD = decodeURIComponent(url.password);
  return { args, env };
}

/** The URL shipgate gets for the bench database: never with the password (that comes from PGPASSWORD). */
function benchDbUrl() {
  const url = new URL(PG_ADMIN_URL);
  url.password = '';
  url.pathname = `/${DB_NAME}`;
  return url.toString();
}

/**
 * Runs `command ARGS` under GNU time, resolves to its wall time (spawn to exit),
 * peak RSS and stdout, and when `marker` is given, the time (from spawn) at which
 * stderr first matched it; a BenchError when it does not exit 0.
 * @param {string} label  how the command is named in errors
 * @param {string[]} argv  command and arguments
 * @param {{ cwd: string, env: NodeJS.ProcessEnv, rssFile: string, marker?: RegExp }} o
 * @returns {Promise<Measured>}
 */
function measure(label, argv, { cwd, env, rssFile, marker }) {
  const started = performance.now();
  const child = spawn(GNU_TIME, ['-f', '%M', '-o', rssFile, ...argv], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  /** @type {number | null} */
  let markMs = null;
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => {
    stderr = (stderr + d).slice(-16_384);
    if (marker && markMs === null && marker.test(stderr)) markMs = performance.now() - started;
  });
  return new Promise((resolve, reject) => {
    child.on('error', (err) => reject(new BenchError(`${label}: ${err.message}`)));
    child.on('close', (code, signal) => {
      const ms = performance.now() - started;
      if (code !== 0) return reject(new BenchError(`\`${label}\` ${signal ? `was killed by ${signal}` : `exited with ${code}`} (expected 0)\n--- stderr ---\n${stderr.trimEnd() || '(empty)'}\n--- stdout ---\n${stdout.trimEnd().slice(-4000) || '(empty)'}`));
      try {
        resolve({ ms, rssKiB: peakKiB(rssFile, label), stdout, markMs });
      } catch (err) {
        reject(err); // thrown in an event handler, it would escape the promise
      }
    });
  });
}

/** The number GNU time wrote (its last line; a line about the exit status may come first). @param {string} file @param {string} label */
function peakKiB(file, label) {
  const last = readFileSync(file, 'utf8').trim().split('\n').pop() ?? '';
  const kib = Number(last);
  check(Number.isInteger(kib) && kib > 0, `${label}: GNU time wrote no peak RSS (got "${last}")`);
  return kib;
}

/** The database's comment and its pgbench_branches count (null when missing). */
async function existingScale() {
  const rows = await withAdmin((c) => c.query("SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1", [DB_NAME]));
  const comment = /** @type {string | null | undefined} */ (rows.rows[0]?.comment);
  if (!comment) return { comment: null, branches: null };
  const counted = await withAdmin((c) => c.query('SELECT count(*)::int AS n FROM pgbench_branches'), DB_NAME).catch(() => null);
  return { comment, branches: /** @type {number | null} */ (counted?.rows[0]?.n ?? null) };
}

/**
 * The bench database at `scale`: reused when complete at that scale, else generated.
 * @param {number} scale
 * @param {boolean} fresh
 */
async function ensureData(scale, fresh) {
  const found = fresh ? { comment: null, branches: null } : await existingScale();
  let generationMs = null;
  if (found.comment === MARKER(scale) && found.branches === scale) {
    log(`data: reusing ${DB_NAME} (pgbench scale ${scale}; --fresh to rebuild)`);
  } else {
    log(`data: ${fresh ? '--fresh: rebuilding' : found.comment ? `rebuilding (found "${found.comment}", want scale ${scale})` : 'generating'} ${DB_NAME} with pgbench -i -s ${scale} (minutes at scale ${DEFAULT_SCALE})`);
    generationMs = await generate(scale);
    log(`data: generated in ${seconds(generationMs)}`);
  }
  const size = await withAdmin((c) => c.query('SELECT pg_database_size($1)::bigint AS bytes, version() AS version', [DB_NAME]));
  return { name: DB_NAME, scale, size_bytes: Number(size.rows[0]?.bytes), reused: generationMs === null, generation_ms: generationMs === null ? null : Math.round(generationMs), server: String(size.rows[0]?.version).split(' on ')[0] };
}

/** Drops and recreates the database, runs pgbench -i, then marks it complete. @param {number} scale */
async function generate(scale) {
  const started = performance.now();
  await dropDatabase(DB_NAME);
  await withAdmin((c) => c.query(`CREATE DATABASE ${DB_NAME}`));
  const { args, env } = pgConnection();
  const init = spawnSync('pgbench', ['-i', '-I', PGBENCH_INIT_STEPS, '-s', String(scale), ...args, DB_NAME], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (init.error) throw new BenchError(`pgbench: ${init.error.message} (install the PostgreSQL client tools)`);
  if (init.status !== 0) throw new BenchError(`pgbench -i -s ${scale} exited with ${init.status ?? init.signal}:\n${init.stderr.trimEnd()}`);
  await withAdmin((c) => c.query(`COMMENT ON DATABASE ${DB_NAME} IS '${MARKER(scale)}'`));
  return performance.now() - started;
}

/** Reads every pgbench table once through a column that forces the heap, so that no dump starts cold. */
async function warmUp() {
  const started = performance.now();
  await withAdmin(async (c) => {
    for (const table of PGBENCH_TABLES) await c.query(`SELECT count(filler) FROM ${table}`);
  }, DB_NAME);
  log(`warm-up: read the ${PGBENCH_TABLES.length} pgbench tables in ${seconds(performance.now() - started)}`);
}

const checkpointServer = () => withAdmin((c) => c.query('CHECKPOINT'));

/**
 * The fingerprint queries alone, with the built code (null when this build has
 * no fingerprintVersion: an older build is measured without them).
 * @returns {Promise<{ alg2_ms: number, alg1_ms: number } | null>}
 */
async function fingerprintCosts() {
  const fp = await import(distModule('databases/postgres/fingerprints.js'));
  const { openSql } = await import(distModule('databases/connection.js'));
  if (typeof fp.PG_FINGERPRINT_VERSION !== 'number') return null;
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${DB_NAME}`;
  const sql = await openSql('postgres', url.toString());
  try {
    const time = async (/** @type {number} */ version) => {
      await checkpointServer();
      const started = performance.now();
      await fp.fingerprintDatabase(sql, version);
      return Math.round(performance.now() - started);
    };
    return { alg2_ms: await time(2), alg1_ms: await time(1) };
  } finally {
    await sql.close();
  }
}

/**
 * Why `shipgate backup` cannot be measured with this build (null when it can):
 * commander answers `backup --help` with the top-level help when there is no such command.
 * @param {string} cwd
 */
function backupUnavailable(cwd) {
  const probe = spawnSync(process.execPath, [CLI, 'backup', '--help'], { cwd, env: CHILD_ENV, encoding: 'utf8' });
  const help = `${probe.stdout}\n${probe.stderr}`;
  const rebuild = 'build a version that has `backup create|verify` (npm run build), then run the benchmark again';
  if (!/Usage: shipgate backup\b/.test(help)) return `this build of bin/shipgate.js has no \`backup\` command (\`shipgate backup --help\` shows the top-level help); ${rebuild}`;
  const lacking = ['create', 'verify'].filter((c) => !new RegExp(`^\\s+${c}\\b`, 'm').test(help));
  return lacking.length === 0 ? null : `\`shipgate backup\` of this build has no ${lacking.join(' or ')} subcommand; ${rebuild}`;
}

/** The temp project: shipgate.yaml and a folder for the bare archive, on the same disk. */
function makeProject() {
  const dir = makeTempDir('backup');
  const yaml = `app: benchapp
provider: { type: command, deploy: ["true"] }
databases:
  main:
    type: postgres
    url: "${benchDbUrl()}"
    backup: { verify: restore, storage: { type: local, path: backups } }
`;
  writeFileSync(join(dir, 'shipgate.yaml'), yaml);
  return dir;
}

/**
 * Bare pg_dump -Fc, then pg_restore into a fresh scratch database (dropped right after).
 * @param {string} dir
 * @returns {Promise<BareRound>}
 */
async function bareRound(dir) {
  const { args, env } = pgConnection();
  const file = join(dir, 'bare.dump');
  await checkpointServer();
  const dump = await measure('pg_dump -Fc', ['pg_dump', '-Fc', '-f', file, ...args, DB_NAME], { cwd: dir, env, rssFile: join(dir, 'rss-bare-dump') });
  await checkpoint();
  const scratch = await createBenchDatabase();
  if ('skipped' in scratch) throw new BenchError(scratch.skipped);
  try {
    await checkpointServer();
    const restore = await measure('pg_restore --no-owner', ['pg_restore', '--no-owner', ...args, '-d', scratch.name, file], { cwd: dir, env, rssFile: join(dir, 'rss-bare-restore') });
    return { dump, restore, dumpBytes: statSync(file).size };
  } finally {
    await dropDatabase(scratch.name);
  }
}

/** The progress line `backup create` writes once the archive is in storage, before its proof. */
const STORED_LINE = /: archive stored at .* proving it by/;

/**
 * `shipgate backup create` with its proof by restore, as a deploy runs it: the
 * create phase ends at its "archive stored" line (the dump streamed into
 * storage, sha256 known, fsynced); the proof phase is the rest of the command
 * (the source's fingerprints, which run after the dump beside the restore, the
 * read-back and sha256 check, the restore into a scratch database, the
 * comparison, the drop, the manifest).
 * @param {string} dir
 * @returns {Promise<ShipgateRound>}
 */
async function shipgateRound(dir) {
  const { env } = pgConnection();
  await checkpointServer();
  const create = await measure('shipgate backup create --db main --json', [process.execPath, CLI, 'backup', 'create', '--db', 'main', '--json'], { cwd: dir, env, rssFile: join(dir, 'rss-sg-create'), marker: STORED_LINE });
  check(create.markMs !== null, `shipgate backup create wrote no "archive stored" line on stderr (${STORED_LINE}): this build does not report it, so the create and proof phases cannot be told apart`);
  const backup = parseCreate(create.stdout);
  // Same disk as the bare archive: the backup must be in the project's `backups` folder.
  check(bytesUnder(join(dir, 'backups')) > 0, `shipgate backup create reported backup ${backup.id} but the project's backups/ folder is empty: it did not write to storage.path`);
  const storedMs = /** @type {number} */ (create.markMs);
  return { create, storedMs, proofMs: create.ms - storedMs, id: backup.id, size: backup.size, proof: backup.proof };
}

/** `[{ id, size, verify, ... }]` from `backup create --json`; the proof must be a restore that passed. @param {string} stdout */
function parseCreate(stdout) {
  const out = parseJson(stdout, 'shipgate backup create --json');
  check(Array.isArray(out) && out.length === 1, `shipgate backup create --json: expected an array of one backup, got ${stdout.slice(0, 300)}`);
  const b = out[0];
  check(typeof b?.id === 'string' && typeof b.size === 'number', `shipgate backup create --json: expected { id, size }, got ${JSON.stringify(b).slice(0, 300)}`);
  const v = b.verify;
  check(v && v.method === 'restore' && typeof v.ok === 'boolean', `shipgate backup create --json: expected verify { method: "restore", ok, tables, rows, ms }, got ${JSON.stringify(v).slice(0, 300)}`);
  check(v.ok === true, `shipgate backup create: the proof failed: ${JSON.stringify(v).slice(0, 500)}`);
  return { id: /** @type {string} */ (b.id), size: /** @type {number} */ (b.size), proof: { ok: true, tables: Number(v.tables), rows: Number(v.rows), ms: Number(v.ms) } };
}

/**
 * The JSON a command printed: all of stdout, or from its first line that opens
 * an object or array (a line of progress before it is tolerated).
 * @param {string} text @param {string} what @returns {any}
 */
function parseJson(text, what) {
  const start = text.search(/^[[{]/m);
  try {
    return JSON.parse(start > 0 ? text.slice(start) : text);
  } catch {
    throw new BenchError(`${what}: stdout is not JSON: ${text.slice(0, 300) || '(empty)'}`);
  }
}

/** Bytes of the files under `dir` (0 when it does not exist). @param {string} dir @returns {number} */
function bytesUnder(dir) {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir, { withFileTypes: true }).reduce((sum, e) => sum + (e.isDirectory() ? bytesUnder(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);
}

/**
 * The rounds: bare and shipgate alternate which goes first.
 * @param {{ dir: string, runs: number, shipgate: boolean }} o
 */
async function measureRounds({ dir, runs, shipgate }) {
  /** @type {BareRound[]} */
  const bare = [];
  /** @type {ShipgateRound[]} */
  const sg = [];
  for (let round = 1; round <= runs; round++) {
    const order = round % 2 === 1 || !shipgate ? ['bare', 'shipgate'] : ['shipgate', 'bare'];
    for (const side of order) {
      if (side === 'bare') bare.push(await bareRound(dir));
      else if (shipgate) sg.push(await shipgateRound(dir));
      await checkpoint();
    }
    log(`  round ${round}/${runs}: pg_dump ${seconds(lastOf(bare).dump.ms)}, pg_restore ${seconds(lastOf(bare).restore.ms)}${shipgate ? `; shipgate create: stored at ${seconds(lastOf(sg).storedMs)}, proven ${seconds(lastOf(sg).proofMs)} later` : ''}`);
  }
  return { bare, sg };
}

/** @template T @param {T[]} list @returns {T} */
function lastOf(list) {
  return /** @type {T} */ (list[list.length - 1]);
}

/** @param {number} value @param {number} base */
const ratio = (value, base) => Math.round((value / base) * 1000) / 1000;
const mb = (/** @type {number} */ kib) => Math.round(((kib * 1024) / MB) * 10) / 10;
const size = (/** @type {number} */ bytes) => `${(bytes / MB).toFixed(1)} MB`;

/**
 * The figures: medians, ratios, peaks and the verdict of each target.
 * @param {{ bare: BareRound[], sg: ShipgateRound[] }} rounds
 */
function figures({ bare, sg }) {
  const stats = (/** @type {number[]} */ xs) => summarize(xs);
  const bareDump = stats(bare.map((r) => r.dump.ms));
  const bareRestore = stats(bare.map((r) => r.restore.ms));
  const b = { dump_ms: bareDump, restore_ms: bareRestore, whole_ms: stats(bare.map((r) => r.dump.ms + r.restore.ms)), dump_peak_rss_mb: mb(Math.max(...bare.map((r) => r.dump.rssKiB))), restore_peak_rss_mb: mb(Math.max(...bare.map((r) => r.restore.rssKiB))), archive_bytes: lastOf(bare).dumpBytes };
  if (sg.length === 0) return { bare: b, shipgate: null, results: null };
  const create = stats(sg.map((r) => r.storedMs));
  const verify = stats(sg.map((r) => r.proofMs));
  const whole = stats(sg.map((r) => r.create.ms));
  const peak = mb(Math.max(...sg.map((r) => r.create.rssKiB)));
  const s = { create_ms: create, verify_ms: verify, whole_ms: whole, peak_rss_mb: peak, archive_bytes: lastOf(sg).size, proof: lastOf(sg).proof };
  const createRatio = ratio(create.median, bareDump.median);
  const proofRatio = ratio(verify.median, bareRestore.median);
  const results = {
    create_ratio: { value: createRatio, target: TARGETS.create_ratio, pass: createRatio <= TARGETS.create_ratio },
    proof_ratio: { value: proofRatio, target: TARGETS.proof_ratio, pass: proofRatio <= TARGETS.proof_ratio },
    shipgate_peak_rss_mb: { value: peak, target: TARGETS.shipgate_peak_rss_mb, pass: peak < TARGETS.shipgate_peak_rss_mb },
  };
  return { bare: b, shipgate: s, results };
}

/**
 * The table and the verdict.
 * @param {ReturnType<typeof figures> & { breakdown: Awaited<ReturnType<typeof fingerprintCosts>> }} f
 * @param {Awaited<ReturnType<typeof ensureData>>} data
 * @param {string | null} unavailable
 * @param {(line: string) => void} write
 */
function report(f, data, unavailable, write) {
  const { bare: b, shipgate: s, results: r, breakdown } = f;
  write(`database ${data.name}: pgbench scale ${data.scale}, ${size(data.size_bytes)} (${data.reused ? 'reused' : `generated in ${seconds(/** @type {number} */ (data.generation_ms))}`}); ${data.server}`);
  write('');
  const none = unavailable ? 'NOT RUN' : '-';
  const rows = [
    ['create: time', seconds(b.dump_ms.median), s ? seconds(s.create_ms.median) : none, r ? `${r.create_ratio.value.toFixed(2)}x` : '-', `<= ${TARGETS.create_ratio.toFixed(2)}x`, r ? passText(r.create_ratio.pass) : none],
    ['proof (restore): time', seconds(b.restore_ms.median), s ? seconds(s.verify_ms.median) : none, r ? `${r.proof_ratio.value.toFixed(2)}x` : '-', `<= ${TARGETS.proof_ratio.toFixed(2)}x`, r ? passText(r.proof_ratio.pass) : none],
    ['whole command (dump + proof)', seconds(b.whole_ms.median), s ? seconds(s.whole_ms.median) : none, s ? `${ratio(s.whole_ms.median, b.whole_ms.median).toFixed(2)}x` : '-', 'info', 'info'],
    ['peak RSS', `${b.dump_peak_rss_mb} / ${b.restore_peak_rss_mb} MB`, s ? `${s.peak_rss_mb} MB` : none, '-', `< ${TARGETS.shipgate_peak_rss_mb} MB`, r ? passText(r.shipgate_peak_rss_mb.pass) : none],
    ['archive size', size(b.archive_bytes), s ? size(s.archive_bytes) : none, s ? `${ratio(s.archive_bytes, b.archive_bytes).toFixed(2)}x` : '-', 'info', 'info'],
    ...(breakdown
      ? [
          ['fingerprints alone: algorithm 2', '-', seconds(breakdown.alg2_ms), `${ratio(breakdown.alg2_ms, b.dump_ms.median).toFixed(2)}x`, 'info', 'info'],
          ['fingerprints alone: algorithm 1', '-', seconds(breakdown.alg1_ms), `${ratio(breakdown.alg1_ms, b.dump_ms.median).toFixed(2)}x`, 'info', 'info'],
        ]
      : []),
  ];
  for (const line of formatTable(['measure', 'bare pg_dump / pg_restore', 'shipgate', 'ratio', 'target', 'result'], rows)) write(line);
  write('');
  if (s) write(`shipgate's proof: ${int(s.proof.tables)} tables, ${int(s.proof.rows)} rows, ${seconds(s.proof.ms)} by its own clock`);
  write('peak RSS: the largest single process of each command (GNU time %M); the pg_dump/pg_restore that shipgate starts are not added to it');
  const missed = unavailable ? [`shipgate not run: ${unavailable}`] : Object.entries(r ?? {}).filter(([, v]) => !v.pass).map(([k, v]) => `${k} ${v.value} (target ${k.endsWith('_mb') ? '<' : '<='} ${v.target})`);
  const accounts = data.scale * ACCOUNTS_PER_SCALE;
  if (s && s.proof.rows < accounts) missed.push(`proof_rows ${s.proof.rows} (pgbench_accounts alone has ${accounts}: the proof did not cover the data)`);
  write(`VERDICT: ${missed.length === 0 ? 'PASS' : `MISSED (${missed.join('; ')})`}`);
  return missed;
}

/** --scale: a whole number from 1 to MAX_SCALE (the default when absent). @param {string | boolean | undefined} value */
function scaleOf(value) {
  return value === undefined ? DEFAULT_SCALE : Number(value);
}

/** Set when a target was missed: the exit code is then 1 (runBench's 0 means "it ran"). */
let missedAny = false;

await runBench('backup', DEFAULT_RUNS, async ({ json, runs, flags }) => {
  const scale = scaleOf(flags.scale);
  check(existsSync(GNU_TIME), `${GNU_TIME} is missing: the peak RSS needs GNU time (apt-get install time)`);
  log(`bench backup: ${runs} run(s), pgbench scale ${scale}, node ${process.version}, ${cpus().length} CPUs, load ${loadavg()[0]?.toFixed(2)}`);
  const dir = makeProject();
  const unavailable = backupUnavailable(dir);
  if (unavailable) log(`shipgate backup: ${unavailable}\n  measuring the bare baselines only; the verdict will be MISSED`);
  const data = await ensureData(scale, flags.fresh === true);
  await warmUp();
  const breakdown = unavailable === null ? await fingerprintCosts() : null;
  const f = { ...figures(await measureRounds({ dir, runs, shipgate: unavailable === null })), breakdown };
  const write = json ? log : (/** @type {string} */ line) => console.log(line);
  const missed = report(f, data, unavailable, write);
  missedAny = missed.length > 0;
  if (json) console.log(JSON.stringify({ bench: 'backup', node: process.version, runs, database: data, targets: TARGETS, bare: f.bare, shipgate: f.shipgate, shipgate_unavailable: unavailable, breakdown, results: f.results, missed, all_pass: missed.length === 0 }));
}, EXTRA);

if (process.exitCode === EXIT.ok && missedAny) process.exitCode = EXIT.failed;
