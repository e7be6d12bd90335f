import { systemClock, type Clock } from '../../runtime/clock.js';
import type { Agent } from './agent.js';
import {
  CommandBody,
  ConfigureBody,
  EmptyBody,
  EnsureBody,
  InstancesQuery,
  KeepWarmBody,
  MAX_KEEP_WARM_MS,
  ProbeQuery,
  RolloutBeginBody,
  RolloutIdBody,
  RolloutWaitBody,
  SpecBody,
  StatsQuery,
  StopBody,
  VersionBody,
  WeightsBody,
} from './api-schemas.js';
import { route, type Routes } from './control-server.js';
import { AgentApiError } from './errors.js';
import { unknownVersions } from './weights.js';

export interface LifecycleHooks {
  /** Hands over to a new agent process; resolves with its pid once it serves. */
  restart(): Promise<{ pid: number }>;
  /** Stops the agent (and its instances, if asked) after the answer is sent. */
  stop(stopInstances: boolean): void;
}

/** A keep-warm deadline within MAX_KEEP_WARM_MS of the agent's clock (so it is a time Date and the warm timer can hold). */
export function checkKeepWarmUntil(untilMs: number, nowMs: number): void {
  if (Math.abs(untilMs - nowMs) <= MAX_KEEP_WARM_MS) return;
  throw new AgentApiError(400, `untilMs: expected a time in ms since 1970 within ${MAX_KEEP_WARM_MS / 86_400_000} days of the agent's clock (now ${nowMs}) (got ${untilMs})`);
}

function checkKnown(agent: Agent, versions: string[], field: (v: string) => string): void {
  const unknown = unknownVersions(versions, agent.knownVersions());
  if (unknown.length > 0) throw new AgentApiError(409, `${field(unknown[0]!)}: expected a version the agent runs (got ${JSON.stringify(unknown[0])})`);
}

/** The control API: one entry per endpoint, each with the schema of its body and query. */
export function agentRoutes(agent: Agent, hooks: LifecycleHooks, clock: Clock = systemClock): Routes {
  return {
    'GET /v1/status': route({}, () => agent.status()),
    'POST /v1/configure': route({ body: ConfigureBody }, (b) => agent.configure(b)),
    'POST /v1/versions/ensure': route({ body: EnsureBody }, async ({ spec, count }) => ({ instances: await agent.ensureInstances(spec, count) })),
    'POST /v1/versions/spec': route({ body: SpecBody }, ({ spec }) => agent.rememberSpec(spec)),
    'POST /v1/weights': route({ body: WeightsBody }, async ({ weights, reason }) => {
      checkKnown(agent, Object.keys(weights), (v) => `weights.${v}`);
      await agent.setWeights(weights, reason);
      return { weights: agent.currentWeights() };
    }),
    'GET /v1/weights': route({}, () => ({ weights: agent.currentWeights() })),
    // Stopping a version that is gone already is a success: undo after a crash repeats it.
    'POST /v1/versions/stop': route({ body: VersionBody }, async ({ version }) => agent.stopVersion(version)),
    'POST /v1/versions/keep-warm': route({ body: KeepWarmBody }, ({ version, untilMs }) => {
      checkKeepWarmUntil(untilMs, clock.now());
      agent.keepWarm(version, untilMs);
    }),
    'GET /v1/instances': route({ query: InstancesQuery }, (_b, q) => ({ instances: agent.instances(q.version) })),
    'GET /v1/stats': route({ query: StatsQuery }, (_b, q) => agent.stats(q.version, q.windowMs)),
    'GET /v1/probe': route({ query: ProbeQuery }, async (_b, q) => ({ probes: await agent.probe(q.version, q.viaHeader === '1') })),
    'POST /v1/rollout/begin': route({ body: RolloutBeginBody }, (b) => {
      // The dead-man switch sends all traffic to stable: it must be a version the agent can serve.
      if (b.stable !== null) checkKnown(agent, [b.stable], () => 'stable');
      return agent.beginRollout(b);
    }),
    'POST /v1/rollout/heartbeat': route({ body: RolloutIdBody }, ({ id }) => agent.heartbeat(id)),
    'POST /v1/rollout/wait': route({ body: RolloutWaitBody }, ({ id, timeoutMs }) => agent.waitForSignals(id, timeoutMs)),
    'POST /v1/rollout/end': route({ body: RolloutIdBody }, ({ id }) => agent.endRollout(id)),
    'POST /v1/rollout/command': route({ body: CommandBody }, ({ command }) => agent.command(command)),
    'POST /v1/restart': route({ body: EmptyBody }, () => hooks.restart()),
    'POST /v1/stop': route({ body: StopBody }, ({ stopInstances }) => {
      hooks.stop(stopInstances);
      return { stopping: true };
    }),
  };
}
