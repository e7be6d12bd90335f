/** Traffic splits as the router takes them: integer percents that sum to 100, zero shares left out. */

/** The split that gives `candidate` `percent` of the traffic and `stable` the rest. */
export function splitWeights(stable: string, candidate: string, percent: number): Record<string, number> {
  const share = Math.min(100, Math.max(0, Math.round(percent)));
  const weights: Record<string, number> = {};
  if (share < 100) weights[stable] = 100 - share;
  if (share > 0) weights[candidate] = share;
  return weights;
}

/**
 * The candidate's percent when traffic follows instance counts. Never 0 while a
 * candidate instance serves, never 100 while a stable one does, so rounding
 * cannot hide a version from the router.
 */
export function shareOf(candidateCount: number, stableCount: number): number {
  const total = candidateCount + stableCount;
  if (total === 0 || candidateCount === 0) return 0;
  if (stableCount === 0) return 100;
  return Math.min(99, Math.max(1, Math.round((100 * candidateCount) / total)));
}

/** The weights the last `weights` action of `actions` sets, if any. */
export function weightsSetBy(actions: readonly { type: string; weights?: Record<string, number> }[]): Record<string, number> | null {
  const last = actions.filter((a) => a.type === 'weights').at(-1);
  return last?.weights ? { ...last.weights } : null;
}

/** The version holding most of the traffic (what a rollout starts from, what the target serves); null when none has any. */
export function stableOf(weights: Record<string, number>): string | null {
  const best = Object.entries(weights).sort((a, b) => b[1] - a[1])[0];
  return best && best[1] > 0 ? best[0] : null;
}
