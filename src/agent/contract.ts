import type { InstanceInfo, RolloutCommand, RouterEjection } from '../rollout/contract.js';

/**
 * The local agent's pieces and its control API. The agent is one long-lived
 * process per project state folder: supervisor (instances), control API (unix
 * socket, mode 0600; optional TCP with a token), rollouts and the dead-man
 * switch. The router (traffic) runs in a process of its own under a keeper
 * that holds its listening socket: the data plane, which the agent configures
 * and reads over the router's own control socket.
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

/** The longest the agent holds a driver's `POST /v1/rollout/wait`. */
export const MAX_SIGNAL_WAIT_MS = 60_000;

/** How long a stopping router process lets in-flight requests finish. */
export const DEFAULT_ROUTER_SHUTDOWN_MS = 30_000;

/** Failed answers in a row after which the router ejects a minority version (router.ejectAfter). */
export const DEFAULT_EJECT_AFTER = 5;

/**
 * Client connections one router holds open (router.maxConnections): well under
 * the usual file descriptor limits, and the router lowers it further to half of
 * what the agent's own limit leaves (see router/connection-cap.ts).
 */
export const DEFAULT_MAX_CONNECTIONS = 4096;

/**
 * Times the agent takes, in ms: the control API refuses anything else, and the
 * config refuses it first (config/schema/local.ts), before gates and build run.
 */
/** The longest timer the agent sets (2^31 - 1 ms, about 24.8 days; longer ones fire at once in Node). */
export const MAX_AGENT_TIMER_MS = 2_147_483_647;
/** The shortest readiness probe interval: shorter would only load the instance. */
export const MIN_PROBE_INTERVAL_MS = 10;
/** The shortest dead-man time: below a second a busy CI runner trips it. */
export const MIN_DEADMAN_MS = 1000;

export interface RouterOptions {
  /** Cookie that pins a client to a version; false to disable. */
  stickyCookie: string | false;
  versionHeader: boolean;
  bodyLimit: number;
  retry: boolean;
  /** Failed answers in a row after which a minority version gets no weighted traffic for a while; false: never. @default 5 */
  ejectAfter?: number | false;
  /** Client connections held open at most; beyond, idle keep-alive ones are closed first, then new ones get 503. @default DEFAULT_MAX_CONNECTIONS */
  maxConnections?: number;
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
  /** The router process, as the agent sees it. */
  router: RouterReport;
}

/** One router process as it reports itself (`GET /v1/status` on the router's socket). */
export interface RouterProcessStatus {
  pid: number;
  /** The keeper that restarts it; null once the keeper is gone (the router keeps serving, but nothing restarts it). */
  keeperPid: number | null;
  /** Differs for every router process: tells a restarted router from the one the agent knew. */
  boot: string;
  startedAt: string;
  listen: string;
  /** How many router processes the keeper started before this one. */
  restarts: number;
  weights: Record<string, number>;
  backends: number;
  /** Open client connections. */
  connections: number;
  /** Requests under way to instances. */
  inFlight: number;
  ejected: string[];
}

/** The router as the agent (or, with the agent down, the CLI) reports it. */
export interface RouterReport {
  /** `down`: it should run and does not answer, or could not listen. `not_running`: none was started (no deploy yet), or it was stopped. */
  state: 'serving' | 'down' | 'not_running';
  listen: string | null;
  process: RouterProcessStatus | null;
  /** Why it is down; a failed bind names the address and the cause. */
  error: string | null;
}

/** What the router tells its agent: a version ejected (failed answers in a row), with its figures then. */
export interface RouterEvent extends RouterEjection {
  seq: number;
  type: 'ejected';
}

/** `GET /v1/events` on the router's socket: events after a sequence number, for one router process (`boot`). */
export interface RouterEventBatch {
  boot: string;
  /** Pass as `after` next time. */
  next: number;
  events: RouterEvent[];
}

/** What a router process serves, and keeps on disk so that its successor serves it at once (no secrets in it). */
export interface RouterTableState {
  format: 1;
  listen: string;
  options: RouterOptions;
  table: RoutingTable;
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
  /** When the rollout was registered (an ejection before it belongs to an earlier rollout). */
  beganAt?: string;
  /** The router ejected the candidate during this rollout (told to the driver at once: the rollout fails). */
  ejection?: RouterEjection | null;
  /** The ejection has not been told to the driver yet. */
  ejectionPending?: boolean;
}
