import type { GateName } from '../config/schema/index.js';
import type { Clock } from '../runtime/clock.js';
import type { HttpClient } from '../runtime/http.js';
import type { Runner } from '../runtime/process.js';
import type { ApprovalRow } from '../store/contract.js';

/**
 * A gate decides whether a deployment may proceed. Evaluators are pure functions
 * over facts; fetching the facts (HTTP, processes, the store) happens at the edge
 * through the injected effects in {@link GateContext}.
 */

export const GATE_RESULTS = ['pass', 'block', 'skip', 'overridden'] as const;
export type GateResultKind = (typeof GATE_RESULTS)[number];

export interface GateResult {
  name: GateName;
  result: GateResultKind;
  /** One sentence a tired on-call engineer can act on. */
  reason: string;
  /** Figures behind the verdict (journaled with it). */
  details?: Record<string, unknown>;
}

export interface EmergencyOverride {
  by: string;
  reason: string;
}

export interface GateContext {
  app: string;
  environment: string;
  version: string;
  kind: 'deploy' | 'rollback';
  /** Commit being deployed; needed by the checks gate. */
  gitSha: string | null;
  /** Who started the deployment. */
  actor: string;
  /** Set when the deployment exists (approval needs it). */
  deploymentId: string | null;
  /** `--emergency --reason`: overrides the window gate only. */
  emergency: EmergencyOverride | null;
  /** `gates check --at`: evaluate the window at this instant instead of now. */
  at: number | null;
  /** `--dry-run` / `gates check`: never wait (pending checks, approvals) and report instead. */
  noWait: boolean;
  clock: Clock;
  http: HttpClient;
  run: Runner;
  signal?: AbortSignal;
  /** Approvals recorded so far; polled while the approval gate waits. */
  listApprovals: () => Promise<ApprovalRow[]>;
  /** Called when a gate starts waiting (pending checks, approval), for progress output. */
  onWait?: (gate: GateName, message: string) => void;
  /** Masks secrets in text the gate puts into reasons. */
  mask: (text: string) => string;
  /** What the secrets gate scans (set where that gate runs: the pipeline after the build, `gates check`). */
  secretScan?: SecretScanFacts;
}

/** A secret value the config knows, with the variable it came from when there is one. */
export interface KnownSecret {
  name: string | null;
  value: string;
}

export interface SecretScanFacts {
  /** The release folder of the version being deployed; null when there is none to scan. */
  releaseDir: string | null;
  /** Why there is no release folder (said in the result). */
  noRelease: string | null;
  /** The project: where `git` runs for the commits since the live version. */
  root: string;
  /** The live version and its commit (null when nothing is live, or its commit was not recorded). */
  live: { version: string; sha: string | null } | null;
  /** Values of every secret the config and the environment know. */
  known: readonly KnownSecret[];
}

export interface Gate {
  readonly name: GateName;
  /** Whether `shipgate rollback` evaluates this gate. */
  readonly applyToRollback: boolean;
  evaluate(ctx: GateContext): Promise<GateResult>;
}
