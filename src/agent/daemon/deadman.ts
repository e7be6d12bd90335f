import type { AgentRollout } from '../contract.js';

/** How often the agent checks heartbeats. */
export const DEADMAN_CHECK_MS = 250;

/** Pure: has the process driving this rollout gone silent for longer than its dead-man time? */
export function isDeadmanDue(rollout: AgentRollout | null, nowMs: number): boolean {
  return rollout !== null && rollout.state === 'active' && nowMs - Date.parse(rollout.lastHeartbeatAt) > rollout.deadmanMs;
}

/** Pure: the weights the dead-man switch sets: everything to stable (or nothing, for a first deployment). */
export function deadmanWeights(rollout: AgentRollout): Record<string, number> {
  return rollout.stable ? { [rollout.stable]: 100 } : {};
}
