import type { HealthTarget } from '../config/schema/index.js';
import type { PlannedCommand, StageContext } from '../pipeline/stage.js';
import type { ProviderCapabilities } from './capabilities.js';

/**
 * How a version reaches the target. Providers that can split traffic (local
 * agent, Fly.io) will add a traffic capability; the command provider runs the
 * user's scripts and switches all at once.
 */
export interface Provider {
  readonly type: string;
  /** What it can do beyond deploy and rollback: a rollout session, a traffic split, metrics, instance logs. */
  readonly capabilities: ProviderCapabilities;
  /** Commands `deploy` would run, for --dry-run. */
  planDeploy(ctx: ProviderPlanContext): PlannedCommand[];
  /** Commands a rollback to `toVersion` would run. */
  planRollback(ctx: ProviderPlanContext, toVersion: string, fromVersion: string | null): PlannedCommand[];
  /**
   * Returns what the record should know (e.g. the rollout's steps and verdicts).
   * `start`: what the target served before (from {@link Provider.currentVersion}), when the provider can tell.
   */
  deploy(ctx: StageContext, start?: { startedFrom: string | null }): Promise<Record<string, unknown> | void>;
  /** Returns the target to `toVersion`. Must be safe to run after a partial deploy. */
  rollback(ctx: StageContext, toVersion: string, fromVersion: string | null): Promise<void>;
  /**
   * Refuses, before anything is recorded, undone or changed, a target this
   * provider cannot act on safely (throws a UsageError that says what to do).
   */
  preflight?(where: { root: string; environment: string }): Promise<void>;
  /**
   * What the target itself serves now (the version with most of the traffic),
   * null for nothing. Absent when the provider cannot tell (command scripts).
   */
  currentVersion?(ctx: StageContext): Promise<string | null>;
  /** Verified after deploy and rollback. */
  readonly health: HealthTarget | undefined;
}

export type ProviderPlanContext = Pick<StageContext, 'facts' | 'config' | 'paths' | 'masker'>;
