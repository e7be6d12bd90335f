/**
 * A log-scale latency histogram laid out in a flat Uint32Array, so that a ring
 * of per-second histograms is one allocation. Bin 0 holds latencies below
 * {@link HIST_MIN_MS}; bin i (i >= 1) holds [MIN * G^(i-1), MIN * G^i) with
 * G = 2^(1/8): 8 bins per doubling, so a percentile read from the bins is
 * within about 4.5% of the true value. The last bin takes everything above.
 */

export const HIST_MIN_MS = 0.05;
const BINS_PER_DOUBLING = 8;
/** 0.05 ms .. about 100 s. */
export const HIST_BINS = 2 + 21 * BINS_PER_DOUBLING;
const SCALE = BINS_PER_DOUBLING / Math.LN2;

/** The bin of a latency in ms. */
export function binOf(ms: number): number {
  if (!(ms >= HIST_MIN_MS)) return 0;
  const bin = 1 + Math.floor(Math.log(ms / HIST_MIN_MS) * SCALE);
  return bin < HIST_BINS ? bin : HIST_BINS - 1;
}

/** The value that stands for a bin: the geometric middle of its bounds. */
export function binValue(bin: number): number {
  if (bin <= 0) return HIST_MIN_MS / 2;
  return HIST_MIN_MS * Math.pow(2, (bin - 0.5) / BINS_PER_DOUBLING);
}

/**
 * The q-quantile (0 < q <= 1, nearest rank) of merged bin counts, clamped to
 * the smallest and largest latency actually seen (so one sample reads back
 * exactly).
 */
export function quantile(counts: ArrayLike<number>, total: number, q: number, min: number, max: number): number | null {
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let bin = 0; bin < counts.length; bin++) {
    seen += counts[bin]!;
    if (seen >= rank) return Math.min(max, Math.max(min, binValue(bin)));
  }
  return max;
}
