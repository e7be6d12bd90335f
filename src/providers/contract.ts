import type { HealthTarget } from '../config/schema/index.js';
import type { PlannedCommand, StageContext } from '../pipeline/stage.js';

/**
 * How a version reaches the target. Providers that can split traffic (local
 * agent, Fly.io) will add a traffic capability; the command provider runs the
 * user's scripts and switches all at once.
 */
export interface Provider {
  readonly type: string;
  /** Commands `deploy` would run, for --dry-run. */
  planDeploy(ctx: ProviderPlanContext): PlannedCommand[];
  /** Commands a rollback to `toVersion` would run. */
  planRollback(ctx: ProviderPlanContext, toVersion: string, fromVersion: string | null): PlannedCommand[];
  /** Returns what the record should know (e.g. the rollout's steps and verdicts). */
  deploy(ctx: StageContext): Promise<Record<string, unknown> | void>;
  /** Returns the target to `toVersion`. Must be safe to run after a partial deploy. */
  rollback(ctx: StageContext, toVersion: string, fromVersion: string | null): Promise<void>;
  /** Verified after deploy and rollback. */
  readonly health: HealthTarget | undefined;
}

export type ProviderPlanContext = Pick<StageContext, 'facts' | 'config' | 'paths' | 'masker'>;
