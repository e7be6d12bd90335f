#!/usr/bin/env node
// @ts-check
/**
 * archive-encryption: an archive encrypted to an age recipient, written and read back, next to the passphrase encryption and no encryption, on 1 GiB.
 *
 * How: a temp folder holds a source file of MIB MiB of random bytes (incompressible,
 * so every byte goes through the cipher; default 1024, `--mib N`). For each
 * encryption (none: the baseline; passphrase: AES-256-GCM frames; age: one X25519
 * recipient, ChaCha20-Poly1305 with the `age-encryption` library), a child node
 * process runs the BUILT archive pipeline of dist/ (`writeArchive`, compression
 * none) from the source file to a stored file, and another child decodes it
 * (`decodeArchive`) into a dump file, whose sha256 must equal the source's. Each
 * child reports its wall time and its own peak RSS (`process.resourceUsage().maxRSS`).
 * Figures are medians over the rounds (one by default, `--runs N` for more); the
 * ratios are each encryption's time over no encryption's in the same run.
 *
 * Target (from the issue): the peak RSS of every child < 150 MB whatever the size
 * (streaming, nothing buffered). The times are informational. Exit 0 on PASS, 1 on
 * MISSED or when the benchmark could not run.
 *
 *   npm run bench -- archive-encryption [--json] [--runs N] [--mib N]   (default N: 1 run, 1024 MiB)
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { BenchError, CHILD_ENV, check, distModule, log, makeTempDir, runBench, summarize, timeNode } from './lib/harness.js';
import { formatTable, passText, seconds } from './lib/table.js';

const DEFAULT_RUNS = 1;
const DEFAULT_MIB = 1024;
const MAX_MIB = 65_536;
const MIB = 1024 * 1024;
const TARGET_RSS_MB = 150;
const MODES = /** @type {const} */ (['none', 'passphrase', 'age']);
const PASSPHRASE = 'a benchmark passphrase of at least thirty-two characters';
const SELF = fileURLToPath(import.meta.url);

/** @typedef {typeof MODES[number]} Mode */
/** @typedef {{ ms: number, rss_mb: number }} ChildFigures */

/** The child: one direction of one mode, on the files in `dir`; prints its figures as JSON. */
async function child(/** @type {Mode} */ mode, /** @type {'write' | 'read'} */ direction, /** @type {string} */ dir) {
  const { writeArchive, decodeArchive } = /** @type {typeof import('../dist/databases/archive/archive.js')} */ (await import(distModule('databases/archive/archive.js')));
  const age = await import('age-encryption');
  const identity = process.env.BENCH_AGE_IDENTITY ?? '';
  const format = {
    compression: /** @type {const} */ ('none'),
    ...(mode === 'passphrase' ? { passphrase: PASSPHRASE } : {}),
    ...(mode === 'age' ? (direction === 'write' ? { recipients: [await age.identityToRecipient(identity)] } : { identities: [identity] }) : {}),
  };
  const started = performance.now();
  if (direction === 'write') await writeArchive(createReadStream(join(dir, 'source')), format, (body) => pipeline(body, createWriteStream(join(dir, 'stored'))));
  else await decodeArchive(join(dir, 'stored'), format, join(dir, 'dump'));
  const figures = { ms: performance.now() - started, rss_mb: (process.resourceUsage().maxRSS * 1024) / 1e6 };
  console.log(JSON.stringify(figures));
}

async function sha256Of(/** @type {string} */ file) {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

async function writeSource(/** @type {string} */ file, /** @type {number} */ mib) {
  const block = randomBytes(MIB);
  // A different first bytes per MiB, so no two blocks are equal.
  const blocks = function* () {
    for (let i = 0; i < mib; i++) yield Buffer.concat([Buffer.from(i.toString(16).padStart(8, '0')), block.subarray(8)]);
  };
  await pipeline(Readable.from(blocks()), createWriteStream(file));
}

/** @returns {ChildFigures} */
function runChild(/** @type {Mode} */ mode, /** @type {'write' | 'read'} */ direction, /** @type {string} */ dir, /** @type {NodeJS.ProcessEnv} */ env) {
  const { stdout } = timeNode([SELF, '--child', mode, direction, dir], dir, env);
  try {
    return JSON.parse(stdout.trim().split('\n').pop() ?? '');
  } catch {
    throw new BenchError(`the ${mode} ${direction} child printed no figures: ${stdout.slice(0, 500)}`);
  }
}

const EXTRA = {
  options: /** @type {const} */ ({ mib: { type: 'string' } }),
  usage: '[--mib N]',
  /** @param {Record<string, string | boolean | undefined>} flags */
  check: (flags) => {
    const mib = flags.mib === undefined ? DEFAULT_MIB : Number(flags.mib);
    return Number.isInteger(mib) && mib >= 1 && mib <= MAX_MIB ? null : `--mib: expected a whole number from 1 to ${MAX_MIB} (got "${flags.mib}")`;
  },
};

if (process.argv[2] === '--child') {
  await child(/** @type {Mode} */ (process.argv[3]), /** @type {'write' | 'read'} */ (process.argv[4]), process.argv[5] ?? '.');
} else {
  await runBench('archive-encryption', DEFAULT_RUNS, async ({ json, runs, flags }) => {
    const mib = flags?.mib === undefined ? DEFAULT_MIB : Number(flags.mib);
    const dir = makeTempDir('archive-encryption');
    const { generateX25519Identity } = await import('age-encryption');
    const env = { ...CHILD_ENV, BENCH_AGE_IDENTITY: await generateX25519Identity() };
    log(`bench archive-encryption: ${mib} MiB of random bytes, ${runs} round(s), node ${process.version}`);
    await writeSource(join(dir, 'source'), mib);
    const want = await sha256Of(join(dir, 'source'));
    /** @type {Record<Mode, { write: number[], read: number[], rss: number[] }>} */
    const samples = { none: { write: [], read: [], rss: [] }, passphrase: { write: [], read: [], rss: [] }, age: { write: [], read: [], rss: [] } };
    for (let round = 0; round < runs; round++) {
      for (const mode of MODES) {
        const w = runChild(mode, 'write', dir, env);
        const r = runChild(mode, 'read', dir, env);
        check((await sha256Of(join(dir, 'dump'))) === want, `${mode}: the decoded dump differs from the source`);
        for (const f of ['stored', 'dump']) rmSync(join(dir, f), { force: true });
        samples[mode].write.push(w.ms);
        samples[mode].read.push(r.ms);
        samples[mode].rss.push(w.rss_mb, r.rss_mb);
        log(`  round ${round + 1}, ${mode}: write ${seconds(w.ms)}, read ${seconds(r.ms)}, peak RSS ${Math.round(w.rss_mb)} / ${Math.round(r.rss_mb)} MB`);
      }
    }
    const base = { write: summarize(samples.none.write).median, read: summarize(samples.none.read).median };
    const rows = MODES.map((mode) => {
      const write = summarize(samples[mode].write).median;
      const read = summarize(samples[mode].read).median;
      const rss = Math.max(...samples[mode].rss);
      return { mode, write_ms: write, read_ms: read, write_ratio: Math.round((write / base.write) * 100) / 100, read_ratio: Math.round((read / base.read) * 100) / 100, write_mib_s: Math.round(mib / (write / 1000)), read_mib_s: Math.round(mib / (read / 1000)), peak_rss_mb: Math.round(rss), pass: rss < TARGET_RSS_MB };
    });
    const allPass = rows.every((r) => r.pass);
    const write = json ? log : (/** @type {string} */ l) => console.log(l);
    write(
      formatTable(
        ['encryption', 'write', 'x none', 'MiB/s', 'read', 'x none', 'MiB/s', `peak RSS (< ${TARGET_RSS_MB} MB)`],
        rows.map((r) => [r.mode, seconds(r.write_ms), String(r.write_ratio), String(r.write_mib_s), seconds(r.read_ms), String(r.read_ratio), String(r.read_mib_s), `${r.peak_rss_mb} MB ${passText(r.pass)}`]),
      ).join('\n'),
    );
    write(`VERDICT: ${allPass ? 'PASS' : 'MISSED'}`);
    if (json) console.log(JSON.stringify({ bench: 'archive-encryption', node: process.version, runs, mib, rows, target_rss_mb: TARGET_RSS_MB, all_pass: allPass }));
    if (!allPass) process.exitCode = 1;
  }, EXTRA);
}
