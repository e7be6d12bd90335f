/**
 * Traffic by instance count, for providers whose split is `count` (no router of
 * their own: the platform's load balancer spreads requests evenly over instances).
 * As Argo Rollouts does without a mesh, a step's weight becomes the number of
 * instances that run the new version, rounded up so a canary always has one; the
 * weight actually reached is that count's share, and that is what is recorded.
 */

/** One step of a count plan: how many of `total` instances run the new version. */
export interface CountStep {
  /** The weight the config asked for (percent). */
  requested: number;
  /** Instances on the new version after the step. */
  count: number;
  /** The new version's share of instances after the step (percent, rounded): the weight reached. */
  reached: number;
}

/** Instances of `total` that carry `weight` percent: 0 at 0, all at 100, otherwise at least one (Argo: ceil). */
export function countForWeight(weight: number, total: number): number {
  if (!Number.isInteger(total) || total < 1) throw new RangeError(`total must be a whole number of at least 1 (got ${total})`);
  const w = Math.min(100, Math.max(0, weight));
  if (w === 0) return 0;
  return Math.min(total, Math.max(1, Math.ceil((w * total) / 100)));
}

/** The weight `count` of `total` instances reach (percent, rounded to a whole number). */
export function weightReached(count: number, total: number): number {
  return total <= 0 ? 0 : Math.round((100 * Math.min(count, total)) / total);
}

/**
 * The canary steps as instance counts. Steps that reach no more instances than
 * the one before are dropped (3 instances cannot show 5% and 10% apart), and the
 * plan always ends with every instance on the new version.
 */
export function planCounts(weights: readonly number[], total: number): CountStep[] {
  const steps: CountStep[] = [];
  for (const requested of [...weights, 100]) {
    const count = countForWeight(requested, total);
    const last = steps.at(-1);
    if (count === 0 || (last && count <= last.count)) continue;
    steps.push({ requested, count, reached: weightReached(count, total) });
  }
  return steps;
}

/** Rolling batches: `total` instances replaced `batch` at a time; the counts on the new version after each. */
export function planBatches(total: number, batch: number): CountStep[] {
  const size = Math.max(1, Math.floor(batch));
  const counts: number[] = [];
  for (let count = size; count < total; count += size) counts.push(count);
  counts.push(total);
  return counts.map((count) => ({ requested: weightReached(count, total), count, reached: weightReached(count, total) }));
}
