// @ts-check
/**
 * Figures of a benchmark: each measure next to the bare-Node baseline of the
 * same run (ratio and difference), its target and PASS/MISSED; printed as a
 * table for people and as one JSON object for machines.
 */

import { round1 } from './harness.js';

/** @typedef {import('./harness.js').Stats} Stats */

/**
 * @typedef {object} Row
 * @property {string} key            JSON key, e.g. `noop_deploy_ms`
 * @property {string} label          shown in the table
 * @property {Stats} [stats]         absent when skipped
 * @property {number | null} target  ms, or null (informational)
 * @property {string} [skipped]      why the row was not measured
 * @property {Record<string, number>} [extra]  more figures for the JSON (e.g. over_version_ms)
 */

/**
 * @typedef {object} Report
 * @property {string} bench
 * @property {string} node
 * @property {number} runs
 * @property {number} baseline_node_ms  median of `node -e 0`
 * @property {Stats} baseline_node
 * @property {Record<string, Record<string, unknown>>} results
 * @property {string[]} missed
 * @property {boolean} all_pass
 */

/**
 * @param {{ bench: string, runs: number, baseline: Stats, rows: Row[] }} input
 * @returns {Report}
 */
export function buildReport({ bench, runs, baseline, rows }) {
  /** @type {Record<string, Record<string, unknown>>} */
  const results = {};
  const missed = [];
  for (const row of rows) {
    if (!row.stats) {
      results[row.key] = { skipped: true, reason: row.skipped ?? 'not measured', target: row.target, pass: null };
      continue;
    }
    const pass = row.target === null ? null : row.stats.median <= row.target;
    if (pass === false) missed.push(row.key);
    results[row.key] = {
      median: row.stats.median,
      min: row.stats.min,
      p90: row.stats.p90,
      max: row.stats.max,
      target: row.target,
      pass,
      ratio_to_node: ratio(row.stats.median, baseline.median),
      over_node_ms: round1(row.stats.median - baseline.median),
      ...row.extra,
    };
  }
  return { bench, node: process.version, runs, baseline_node_ms: baseline.median, baseline_node: baseline, results, missed, all_pass: missed.length === 0 };
}

/**
 * The human table: measure, median, min, p90, ratio and difference to the
 * baseline, target, PASS/MISSED; then a plain verdict line.
 * @param {Report} report
 * @param {Row[]} rows
 * @param {(line: string) => void} write
 */
export function printTable(report, rows, write) {
  const base = report.baseline_node;
  const header = ['measure', 'median', 'min', 'p90', 'x node', '+ node', 'target', 'result'];
  /** @type {string[][]} */
  const lines = [['node -e 0 (baseline)', ms(base.median), ms(base.min), ms(base.p90), '1.00x', '-', '-', 'baseline']];
  for (const row of rows) {
    const r = report.results[row.key] ?? {};
    const target = row.target === null ? 'info' : `<= ${row.target} ms`;
    if (!row.stats) lines.push([row.label, '-', '-', '-', '-', '-', target, 'SKIPPED']);
    else lines.push([row.label, ms(row.stats.median), ms(row.stats.min), ms(row.stats.p90), `${Number(r.ratio_to_node).toFixed(2)}x`, signedMs(Number(r.over_node_ms)), target, verdict(r.pass)]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const format = (/** @type {string[]} */ cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  write(format(header));
  write(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) write(format(line));
  write('');
  write(report.all_pass ? 'all targets met' : `MISSED: ${report.missed.map((k) => `${k} (median ${report.results[k]?.median} ms > target ${report.results[k]?.target} ms)`).join('; ')}`);
}

/** @param {unknown} pass */
function verdict(pass) {
  if (pass === null) return 'info';
  return pass ? 'PASS' : 'MISSED';
}

function signedMs(/** @type {number} */ value) {
  return `${value < 0 ? '-' : '+'}${ms(Math.abs(value))}`;
}

function ms(/** @type {number} */ value) {
  return `${value.toFixed(1)} ms`;
}

function ratio(/** @type {number} */ value, /** @type {number} */ base) {
  return base > 0 ? Math.round((value / base) * 100) / 100 : null;
}
