// @ts-check
/** Plain-text tables and number formatting for benchmark reports. */

/**
 * Lines of a table: the header, a rule, then the rows; the first `leftColumns`
 * columns are left-aligned, the others right-aligned.
 * @param {string[]} header
 * @param {string[][]} rows
 * @param {number} [leftColumns]
 * @returns {string[]}
 */
export function formatTable(header, rows, leftColumns = 1) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (/** @type {string[]} */ cells) =>
    cells
      .map((c, i) => (i < leftColumns ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [format(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(format)];
}

/** 123456 -> `123,456` */
export function int(/** @type {number} */ n) {
  return Math.round(n).toLocaleString('en');
}

/** ms -> `1.23 s` */
export function seconds(/** @type {number} */ ms) {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** PASS or MISSED, as printed. */
export function passText(/** @type {boolean} */ pass) {
  return pass ? 'PASS' : 'MISSED';
}
