#!/usr/bin/env node
// @ts-check
/**
 * text: splitting a child's output into lines and masking secrets in it stay linear in the length of the text.
 *
 * How, in one process on the BUILT modules of dist/:
 *   1. splitting: one line without a newline, of N and of 4N MiB, fed in 64 KiB
 *      chunks, to the splitter shipgate had before (`rest + chunk`, then split:
 *      reproduced here as the baseline) and to `LineSplitter`. The figure is the
 *      ratio of the two times (4N over N): 4 for linear work, 16 for quadratic.
 *      The baseline runs at a smaller N (it is the slow one).
 *   2. masking: `Masker.mask` with SECRETS secrets on a line of 1 and 4 MiB of
 *      text that holds escapes (so the URL and JSON views are built) and a few
 *      secrets in several forms: the same ratio, same target.
 *   3. the cost of masking one ordinary 120-character log line, against the
 *      masker shipgate had before (raw and URL-encoded forms, split/join),
 *      measured in the same run: informational (more forms are found now).
 * Each time is the median of N runs. Targets: both ratios <= 6.
 *
 *   npm run bench -- text [--json] [--runs N]   (default N: 5)
 */
import { check, distModule, log, runBench } from './lib/harness.js';

const DEFAULT_RUNS = 5;
const CHUNK = 64 * 1024;
const MIB = 1024 * 1024;
/** Line sizes in MiB: the baseline is quadratic, so it gets smaller ones. */
const SPLIT_SIZES = { old: [2, 8], new: [16, 64] };
const MASK_SIZES = [1, 4];
const SECRETS = 20;
const LINE_REPEATS = 20_000;
/** A linear algorithm's ratio for 4x the input is 4; quadratic gives 16. */
const TARGET_RATIO = 6;

const { LineSplitter } = /** @type {typeof import('../dist/runtime/line-splitter.js')} */ (await import(distModule('runtime/line-splitter.js')));
const { Masker, MASK } = /** @type {typeof import('../dist/runtime/secrets.js')} */ (await import(distModule('runtime/secrets.js')));

/** The splitter of `processRunner` before this benchmark existed. @param {string[]} chunks */
function oldSplit(chunks) {
  let rest = '';
  let count = 0;
  for (const chunk of chunks) {
    const lines = (rest + chunk).split(/\r?\n/);
    rest = lines.pop() ?? '';
    count += lines.length;
  }
  return count + (rest ? 1 : 0);
}

/** @param {string[]} chunks */
function newSplit(chunks) {
  let count = 0;
  const s = new LineSplitter(() => count++);
  for (const c of chunks) s.push(c);
  s.end();
  return count;
}

/** The masker before: raw and URL-encoded forms, longest first, split/join. @param {string[]} secrets */
function oldMasker(secrets) {
  const forms = [...new Set(secrets.flatMap((s) => [s, encodeURIComponent(s)]))].sort((a, b) => b.length - a.length);
  return (/** @type {string} */ text) => {
    let out = text;
    for (const s of forms) if (out.includes(s)) out = out.split(s).join(MASK);
    return out;
  };
}

/** Median ms of `runs` calls of `fn`. @param {() => unknown} fn @param {number} runs */
function median(fn, runs) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

/** @param {number} mib */
const oneLine = (mib) => Array.from({ length: (mib * MIB) / CHUNK }, () => 'x'.repeat(CHUNK));

/** @param {(chunks: string[]) => number} split @param {number[]} sizes @param {number} runs */
function splitRatio(split, sizes, runs) {
  const [small, large] = sizes.map((mib) => {
    const chunks = oneLine(mib);
    check(split(chunks) === 1, `${mib} MiB without a newline must be one line`);
    return median(() => split(chunks), runs);
  });
  return { small_ms: round(small), large_ms: round(large), ratio: round(large / small) };
}

const secrets = Array.from({ length: SECRETS }, (_, i) => `tok_${i}_${'s3cr3t'.repeat(3)}/+=`);

/** About `mib` MiB of text with escapes, holding secrets in several forms. @param {number} mib */
function maskText(mib) {
  const pieces = ['path=a%2Fb&q=1+2 ', '{"k":"v\\n\\"x\\""} ', 'plain words and numbers 12345 '];
  let text = '';
  for (let i = 0; text.length < mib * MIB; i++) {
    text += pieces[i % pieces.length];
    if (i % 5000 === 0) text += ` ${encodeURIComponent(secrets[i % SECRETS] ?? '')} ${Buffer.from(`u:${secrets[0]}`).toString('base64')} `;
  }
  return text;
}

/** @param {number} runs */
function maskRatio(runs) {
  const m = new Masker(secrets);
  const [small, large] = MASK_SIZES.map((mib) => {
    const text = maskText(mib);
    check(!m.mask(text).includes(secrets[0] ?? '?'), 'a secret survived masking');
    return median(() => m.mask(text), runs);
  });
  return { small_ms: round(small), large_ms: round(large), ratio: round(large / small) };
}

/** @param {number} runs */
function lineCost(runs) {
  const line = '2026-11-23T17:00:00Z GET /api/orders?id=42&page=3 200 12ms user=alice agent="curl/8.5" trace=af31c2d9e8b7a6f5';
  const now = new Masker(secrets);
  const before = oldMasker(secrets);
  const perLine = (/** @type {(t: string) => string} */ mask) => (median(() => { for (let i = 0; i < LINE_REPEATS; i++) mask(line); }, runs) * 1000) / LINE_REPEATS;
  const oldUs = perLine(before);
  const newUs = perLine((t) => now.mask(t));
  return { old_us: round(oldUs), new_us: round(newUs), ratio: round(newUs / oldUs) };
}

const round = (/** @type {number} */ v) => Math.round(v * 100) / 100;
const verdict = (/** @type {boolean} */ pass) => (pass ? 'PASS' : 'MISSED');

await runBench('text', DEFAULT_RUNS, async ({ json, runs }) => {
  log(`bench text: ${runs} run(s) per figure, node ${process.version}`);
  const splitOld = splitRatio(oldSplit, SPLIT_SIZES.old, Math.min(runs, 3));
  const splitNew = splitRatio(newSplit, SPLIT_SIZES.new, runs);
  const mask = maskRatio(runs);
  const line = lineCost(runs);
  const pass = { split: splitNew.ratio <= TARGET_RATIO, mask: mask.ratio <= TARGET_RATIO };
  const write = json ? log : (/** @type {string} */ l) => console.log(l);
  write(`split, old (rest + chunk):  ${SPLIT_SIZES.old[0]} MiB ${splitOld.small_ms} ms, ${SPLIT_SIZES.old[1]} MiB ${splitOld.large_ms} ms: ratio ${splitOld.ratio} for 4x the input (quadratic: 16)`);
  write(`split, LineSplitter:        ${SPLIT_SIZES.new[0]} MiB ${splitNew.small_ms} ms, ${SPLIT_SIZES.new[1]} MiB ${splitNew.large_ms} ms: ratio ${splitNew.ratio} for 4x the input (target <= ${TARGET_RATIO})  ${verdict(pass.split)}`);
  write(`mask, ${SECRETS} secrets:          ${MASK_SIZES[0]} MiB ${mask.small_ms} ms, ${MASK_SIZES[1]} MiB ${mask.large_ms} ms: ratio ${mask.ratio} for 4x the input (target <= ${TARGET_RATIO})  ${verdict(pass.mask)}`);
  write(`mask one 120-char line:     ${line.new_us} µs, the old masker ${line.old_us} µs (${line.ratio}x; it found the raw and URL-encoded forms only)`);
  write(`VERDICT: ${pass.split && pass.mask ? 'PASS' : 'MISSED'}`);
  if (json) console.log(JSON.stringify({ bench: 'text', node: process.version, runs, split_old: splitOld, split_new: splitNew, mask, line, target_ratio: TARGET_RATIO, all_pass: pass.split && pass.mask }));
});
