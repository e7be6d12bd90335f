import type { AgentClient } from '../../agent/client.js';
import { AgentRequestFailed } from '../../agent/client.js';
import type { VersionSpec } from '../../agent/contract.js';
import { InstancesFailed, type InstanceInfo, type TrafficControl } from '../../rollout/contract.js';

/** Extra time over an instance set's readiness grace before giving up on the agent's answer. */
export const ENSURE_SLACK_MS = 15_000;

/**
 * The rollout's TrafficControl over the agent's control API. `specFor` says how
 * to run a version (release folder, command, environment); `beforeStart` may
 * refuse a version (rejecting with InstancesFailed) before any instance of it starts.
 */
export function agentTraffic(client: AgentClient, specFor: (version: string) => VersionSpec, beforeStart: (version: string) => Promise<void> = async () => undefined): TrafficControl {
  return {
    async ensureInstances(version, count) {
      await beforeStart(version);
      const spec = specFor(version);
      try {
        return await client.ensureInstances(spec, count, spec.readiness.graceMs + spec.stopTimeoutMs + ENSURE_SLACK_MS);
      } catch (err) {
        if (err instanceof AgentRequestFailed) throw new InstancesFailed(version, err.message);
        throw err;
      }
    },
    setWeights: (weights) => client.setWeights(weights, 'rollout'),
    currentWeights: () => client.currentWeights(),
    stopVersion: (version) => client.stopVersion(version, specFor(version).stopTimeoutMs + ENSURE_SLACK_MS),
    keepWarm: (version, untilMs) => client.keepWarm(version, untilMs),
    instances: (version): Promise<InstanceInfo[]> => client.instances(version),
    stats: (version, windowMs) => client.stats(version, Math.max(1000, windowMs)),
    probe: (version, opts) => client.probe(version, opts?.viaHeader === true),
    beginRollout: (r) => client.beginRollout(r),
    heartbeat: (id) => client.heartbeat(id),
    waitForSignals: (id, timeoutMs, signal) => client.waitForSignals(id, timeoutMs, signal),
    endRollout: (id) => client.endRollout(id),
  };
}
