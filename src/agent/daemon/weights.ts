import { AgentApiError } from './errors.js';

/** Pure: weights are whole percents summing to 100 (or empty), each on a version with a ready instance. */
export function validateWeights(weights: Record<string, number>, readyCount: (version: string) => number): void {
  const entries = Object.entries(weights);
  for (const [v, w] of entries) {
    if (!Number.isInteger(w) || w < 0 || w > 100) throw new AgentApiError(400, `weights.${v}: expected a whole percent from 0 to 100 (got ${JSON.stringify(w)})`);
  }
  const sum = entries.reduce((s, [, w]) => s + w, 0);
  if (entries.length > 0 && sum !== 100) throw new AgentApiError(400, `weights: expected percents that sum to 100 (got ${sum})`);
  for (const [v, w] of entries) {
    if (w > 0 && readyCount(v) === 0) throw new AgentApiError(409, `weights.${v}: ${v} has no ready instance to send ${w}% of the traffic to`);
  }
}
