/**
 * What a rollout needs from a provider (the local agent, Fly.io; Kubernetes
 * later), split into capabilities, and the shapes of plans, figures and verdicts.
 * Plans and verdicts are pure; the controller executes them, driven by a Clock.
 */

/** Router figures for one version over a sliding window. */
export interface VersionStats {
  version: string;
  windowMs: number;
  requests: number;
  /** 5xx responses from the version's instances. */
  errors5xx: number;
  /** Requests that failed to reach an instance (refused, reset, timeout). */
  connErrors: number;
  /** (errors5xx + connErrors) / requests, or 0 with no requests. */
  errorRate: number;
  /** Latency percentiles in ms, null with no requests. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** The router took the version out of weighted routing: its answers failed again and again. */
  ejected?: boolean;
}

/** A direct probe of one instance (not through the router). */
export interface InstanceProbe {
  instanceId: string;
  version: string;
  ok: boolean;
  status: number | null;
  ms: number | null;
  reason: string;
}

export type InstanceState = 'starting' | 'ready' | 'unhealthy' | 'crashloop' | 'draining' | 'stopped';

export interface InstanceInfo {
  id: string;
  version: string;
  pid: number | null;
  port: number;
  state: InstanceState;
  restarts: number;
  startedAt: string;
  readyAt: string | null;
  lastExit: { code: number | null; signal: string | null; at: string } | null;
}

/** Commands a person sends to a running rollout (`shipgate promote|abort|pause|resume`). */
export const ROLLOUT_COMMANDS = ['promote', 'promote-full', 'abort', 'pause', 'resume'] as const;
export type RolloutCommand = (typeof ROLLOUT_COMMANDS)[number];

/** The router took a version out of weighted routing (its answers failed `ejectAfter` times in a row). */
export interface RouterEjection {
  version: string;
  /** ISO time of the ejection. */
  at: string;
  /** The version's figures at that moment (`ejected: true`). */
  stats: VersionStats;
}

/** What the agent tells the driver on each heartbeat. */
export interface RolloutSignals {
  /** The dead-man switch fired: traffic is back on stable and the rollout is aborted. */
  abortedByDeadman: boolean;
  /** Commands received since the last heartbeat, oldest first. */
  commands: RolloutCommand[];
  /** The router ejected the candidate: the rollout has failed. */
  ejection?: RouterEjection | null;
  /** The same commands with who sent them, where the session knows (the store's: its journal sequence number too). */
  requests?: { command: RolloutCommand; by: string; seq: number }[];
}

export interface RolloutRegistration {
  id: string;
  stable: string | null;
  candidate: string;
  /** The agent returns all traffic to `stable` if heartbeats stop this long. */
  deadmanMs: number;
}

/** Why an instance set could not be made ready. */
export class InstancesFailed extends Error {
  constructor(
    readonly version: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ProbeOptions {
  /** Reach the instances through the router's version-header route (blue-green preview), not directly. */
  viaHeader?: boolean;
}

/*
 * A provider's capabilities, each small, as Argo's traffic routers are: a provider
 * has the ones it can do, and a rollout composes them (TrafficControl). A provider
 * that lacks one says so where it is asked for.
 */

/** Runs instances of versions: start, stop, keep warm, list, probe. */
export interface Instances {
  /** Makes `version` run `count` ready instances (starting or stopping some); rejects with InstancesFailed. */
  ensureInstances(version: string, count: number, signal?: AbortSignal): Promise<InstanceInfo[]>;
  /** Drains, then stops every instance of `version`. */
  stopVersion(version: string): Promise<void>;
  /** Keeps `version`'s instances running at weight 0 until `untilMs`, then stops them (blue-green). */
  keepWarm(version: string, untilMs: number): Promise<void>;
  instances(version: string): Promise<InstanceInfo[]>;
  /** Probes `version`'s instances directly, or through the router with the version header when `opts.viaHeader`. */
  probe(version: string, opts?: ProbeOptions): Promise<InstanceProbe[]>;
}

/**
 * How a traffic split is made: `percent`, by a router that takes any weights
 * (the local agent); `count`, only by how many instances each version runs (a
 * platform's own load balancer, as Fly.io's): each weight is then approximated
 * by instance counts, and the weight actually reached is what is recorded.
 */
export type TrafficSplitKind = 'percent' | 'count';

/** Moves traffic between versions. Weights are percents that sum to 100. */
export interface TrafficSplit {
  /** @default 'percent' */
  readonly kind?: TrafficSplitKind;
  /** Sets the traffic split atomically. */
  setWeights(weights: Record<string, number>): Promise<void>;
  currentWeights(): Promise<Record<string, number>>;
}

/** Figures of a version over a window (a router's, or a metrics store's such as Prometheus). */
export interface MetricsSource {
  stats(version: string, windowMs: number): Promise<VersionStats>;
}

/** A rollout registered with the provider: heartbeats, commands, the dead-man switch. */
export interface RolloutSession {
  beginRollout(r: RolloutRegistration): Promise<void>;
  heartbeat(rolloutId: string): Promise<RolloutSignals>;
  /**
   * A heartbeat that waits: answers at once when there is a signal (a command, the
   * dead-man switch, an ejection of the candidate), else after `timeoutMs` with none.
   * Lets the driver hear an ejection the moment it happens instead of at its next
   * tick. Optional: without it the driver sleeps, then heartbeats.
   */
  waitForSignals?(rolloutId: string, timeoutMs: number, signal?: AbortSignal): Promise<RolloutSignals>;
  endRollout(rolloutId: string): Promise<void>;
}

/** Everything the rollout controller drives: the four capabilities together. */
export interface TrafficControl extends Instances, TrafficSplit, MetricsSource, RolloutSession {}

/** One action of a plan step. */
export type RolloutAction =
  | { type: 'ensure'; version: string; count: number }
  | { type: 'weights'; weights: Record<string, number> }
  | { type: 'stop'; version: string }
  | { type: 'keepWarm'; version: string };

/** One step of a plan: actions, then watch for `pauseMs` (or until promoted, for `manual`). */
export interface PlanStep {
  /** `canary`, `progressive`, `full`, `switch`, `batch-2`, `preview`... (the record's `stage`). */
  name: string;
  actions: RolloutAction[];
  /** The new version's share of traffic after the actions (the record's `traffic_percentage`). */
  trafficPercentage: number;
  pauseMs: number | 'manual';
  /** Run analysis during the pause. */
  analyse: boolean;
  /** Analysis reaches the new version through the version header, not by weight (blue-green preview). */
  viaHeader: boolean;
}

export interface RolloutPlan {
  strategy: 'immediate' | 'rolling' | 'canary' | 'bluegreen';
  stable: string | null;
  candidate: string;
  steps: PlanStep[];
  /** What returns traffic to stable when the rollout fails (also used by undo). The first action is always the weights, when there is a stable version. */
  revert: RolloutAction[];
  /** Actions run once the last step's watch has passed (stopping stable after `full`). */
  finish?: RolloutAction[];
  /** Decisions the planner made on the user's behalf (e.g. `maxSurge` raised to 1), for the plan output and the journal. */
  notes?: string[];
}

export type Verdict = 'pass' | 'fail' | 'inconclusive';

/** One analysis evaluation, with its figures (journaled and recorded). */
export interface Evaluation {
  at: string;
  step: string;
  verdict: Verdict;
  reasons: string[];
  candidate: VersionStats;
  stable: VersionStats | null;
  probes: InstanceProbe[];
}
