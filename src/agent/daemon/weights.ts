import { AgentApiError } from './errors.js';

/**
 * Pure: weights are whole percents summing to 100, each on a version with a
 * ready instance. An empty table is refused: it would answer every request
 * with 503 (only the dead-man switch of a first deployment sets one, inside
 * the agent).
 */
export function validateWeights(weights: Record<string, number>, readyCount: (version: string) => number): void {
  const entries = Object.entries(weights);
  if (entries.length === 0) throw new AgentApiError(400, 'weights: expected at least one version (an empty table would answer every request with 503)');
  for (const [v, w] of entries) {
    if (!Number.isInteger(w) || w < 0 || w > 100) throw new AgentApiError(400, `weights.${v}: expected a whole percent from 0 to 100 (got ${JSON.stringify(w)})`);
  }
  const sum = entries.reduce((s, [, w]) => s + w, 0);
  if (sum !== 100) throw new AgentApiError(400, `weights: expected percents that sum to 100 (got ${sum})`);
  for (const [v, w] of entries) {
    if (w > 0 && readyCount(v) === 0) throw new AgentApiError(409, `weights.${v}: ${v} has no ready instance to send ${w}% of the traffic to`);
  }
}

/** Pure: the versions of `versions` that are not in `known`, in order. */
export function unknownVersions(versions: readonly string[], known: ReadonlySet<string>): string[] {
  return versions.filter((v) => !known.has(v));
}
