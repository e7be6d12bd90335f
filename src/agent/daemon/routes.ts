import type { Agent } from './agent.js';
import { CommandBody, ConfigureBody, EnsureBody, KeepWarmBody, parseBody, RolloutBeginBody, RolloutIdBody, SpecBody, StopBody, VersionBody, WeightsBody } from './api-schemas.js';
import type { Routes } from './control-server.js';
import { AgentApiError } from './errors.js';

export interface LifecycleHooks {
  /** Starts listening with a newly created router. */
  onRouterCreated(): Promise<void>;
  /** Hands over to a new agent process; resolves with its pid once it serves. */
  restart(): Promise<{ pid: number }>;
  /** Stops the agent (and its instances, if asked) after the answer is sent. */
  stop(stopInstances: boolean): void;
}

function versionParam(q: URLSearchParams): string {
  const v = q.get('version');
  if (!v) throw new AgentApiError(400, 'version: expected a query parameter ?version=');
  return v;
}

function windowParam(q: URLSearchParams): number {
  const ms = Number(q.get('windowMs') ?? '10000');
  if (!Number.isInteger(ms) || ms < 1000 || ms > 300_000) throw new AgentApiError(400, 'windowMs: expected a whole number of ms from 1000 to 300000');
  return ms;
}

/** The control API: one line per endpoint, each validating its body. */
export function agentRoutes(agent: Agent, hooks: LifecycleHooks): Routes {
  return {
    'GET /v1/status': () => agent.status(),
    'POST /v1/configure': async (b) => {
      const { created } = agent.configure(parseBody(ConfigureBody, b));
      if (created) await hooks.onRouterCreated();
      return { created };
    },
    'POST /v1/versions/ensure': async (b) => {
      const { spec, count } = parseBody(EnsureBody, b);
      return { instances: await agent.ensureInstances(spec, count) };
    },
    'POST /v1/versions/spec': (b) => agent.rememberSpec(parseBody(SpecBody, b).spec),
    'POST /v1/weights': (b) => {
      const { weights, reason } = parseBody(WeightsBody, b);
      agent.setWeights(weights, reason);
      return { weights: agent.currentWeights() };
    },
    'GET /v1/weights': () => ({ weights: agent.currentWeights() }),
    'POST /v1/versions/stop': async (b) => agent.stopVersion(parseBody(VersionBody, b).version),
    'POST /v1/versions/keep-warm': (b) => {
      const { version, untilMs } = parseBody(KeepWarmBody, b);
      agent.keepWarm(version, untilMs);
    },
    'GET /v1/instances': (_b, q) => ({ instances: agent.instances(q.get('version') ?? undefined) }),
    'GET /v1/stats': (_b, q) => agent.stats(versionParam(q), windowParam(q)),
    'GET /v1/probe': async (_b, q) => ({ probes: await agent.probe(versionParam(q), q.get('viaHeader') === '1') }),
    'POST /v1/rollout/begin': (b) => agent.beginRollout(parseBody(RolloutBeginBody, b)),
    'POST /v1/rollout/heartbeat': (b) => agent.heartbeat(parseBody(RolloutIdBody, b).id),
    'POST /v1/rollout/end': (b) => agent.endRollout(parseBody(RolloutIdBody, b).id),
    'POST /v1/rollout/command': (b) => agent.command(parseBody(CommandBody, b).command),
    'POST /v1/restart': () => hooks.restart(),
    'POST /v1/stop': (b) => {
      hooks.stop(parseBody(StopBody, b).stopInstances);
      return { stopping: true };
    },
  };
}
