import type { InstanceInfo, RolloutCommand } from '../rollout/contract.js';

/**
 * The local agent's pieces and its control API. The agent is one long-lived
 * process per project state folder: supervisor (instances), router (traffic),
 * control API (unix socket, mode 0600; optional TCP with a token).
 */

/** How to run one version's instances (sent by the CLI, kept by the agent). */
export interface VersionSpec {
  version: string;
  /** Absolute release folder: the instances' working directory. */
  releaseDir: string;
  argv: string[];
  /** Extra environment (PORT and SHIPGATE_VERSION are added per instance). */
  env: Record<string, string>;
  readiness: { path: string; intervalMs: number; timeoutMs: number; graceMs: number; expect?: number[] };
  stopTimeoutMs: number;
}

/** A backend as the router sees it. */
export interface Backend {
  id: string;
  version: string;
  host: string;
  port: number;
  /** Only ready, non-draining backends receive new requests. */
  ready: boolean;
  draining: boolean;
}

/** Failed answers in a row after which the router ejects a minority version (router.ejectAfter). */
export const DEFAULT_EJECT_AFTER = 5;

export interface RouterOptions {
  /** Cookie that pins a client to a version; false to disable. */
  stickyCookie: string | false;
  versionHeader: boolean;
  bodyLimit: number;
  retry: boolean;
  /** Failed answers in a row after which a minority version gets no weighted traffic for a while; false: never. @default 5 */
  ejectAfter?: number | false;
}

/** The router's view of the world: weights per version and the backends. */
export interface RoutingTable {
  weights: Record<string, number>;
  backends: Backend[];
}

/** `GET /v1/status` */
export interface AgentStatus {
  pid: number;
  startedAt: string;
  /** The shipgate version of the agent's code. */
  agentVersion: string;
  app: string | null;
  listen: string | null;
  weights: Record<string, number>;
  /** `specMissing`: its environment did not survive an agent crash, so its instances are not restarted until a command sends the spec again. */
  versions: { version: string; instances: InstanceInfo[]; warmUntil: string | null; specMissing?: boolean }[];
  rollout: AgentRollout | null;
}

export interface AgentRollout {
  id: string;
  stable: string | null;
  candidate: string;
  deadmanMs: number;
  lastHeartbeatAt: string;
  state: 'active' | 'aborted_by_deadman' | 'ended';
  abortedAt: string | null;
  pendingCommands: RolloutCommand[];
  paused: boolean;
}
