import type { ResolvedConfig } from '../config/load.js';
import type { DeploymentKind } from '../store/contract.js';
import type { RollbackType } from './rollback-type.js';
import type { PlanContext, PlannedStep, Stage } from './stage.js';
import { createDataRollbackStage } from './stages/data-rollback.js';
import { createBackupStage } from './stages/backup.js';
import { createBuildStage } from './stages/build.js';
import { createMigrateStage } from './stages/migrate.js';
import { createDeployStage, createRollbackStage, createVerifyStage } from './stages/deploy.js';
import { createGatesStage } from './stages/gates.js';
import { createSecretsStage } from './stages/secrets.js';
import { createSmokeStage } from './stages/smoke.js';

/**
 * The ordered stages of a deployment of `kind` under `config`. A rollback of
 * type `migration` or `database` leaves the app alone: gates, then the data. One
 * of type `auto` moves the app back first (the old version runs on the new
 * schema, as during the deploy), then the data, then the smoke tests.
 */
export function stagesFor(kind: DeploymentKind, config: ResolvedConfig, rollbackType: RollbackType = 'app'): Stage[] {
  const stages: Stage[] = [createGatesStage()];
  if (kind === 'rollback' && (rollbackType === 'migration' || rollbackType === 'database')) return [...stages, createDataRollbackStage()];
  if (kind === 'deploy' && config.build) stages.push(createBuildStage(config.build));
  // What the build made is what ships: scanned before anything changes.
  if (kind === 'deploy' && config.gates.secrets) stages.push(createSecretsStage(config.gates.secrets));
  // Build first, so a broken build never touches a database.
  const databases = config.databases ?? {};
  if (kind === 'deploy' && Object.keys(databases).length > 0) stages.push(createBackupStage(databases));
  if (kind === 'deploy' && Object.values(databases).some((db) => db.migrations !== undefined)) stages.push(createMigrateStage(databases));
  stages.push(kind === 'deploy' ? createDeployStage() : createRollbackStage());
  if (config.provider.health) stages.push(createVerifyStage());
  if (kind === 'rollback' && rollbackType === 'auto') stages.push(createDataRollbackStage());
  if (config.smoke.length > 0) stages.push(createSmokeStage(config.smoke));
  return stages;
}

/** Stages as the journal recorded them (a crash recovery uses the plan that was running). */
export function stagesInPlan(plan: readonly string[], all: readonly Stage[]): Stage[] {
  return plan.length === 0 ? [...all] : plan.map((n) => all.find((s) => s.name === n)).filter((s): s is Stage => s !== undefined);
}

export interface PlannedStage {
  stage: string;
  undo: boolean;
  steps: PlannedStep[];
}

/** What `--dry-run` prints: every stage, step and command, with secrets masked. */
export function describePlan(stages: readonly Stage[], ctx: PlanContext): PlannedStage[] {
  return stages.map((s) => ({
    stage: s.name,
    undo: s.undo !== undefined,
    steps: s.plan(ctx).map((step) => (step.command ? { ...step, command: ctx.masker.maskValue(step.command) } : step)),
  }));
}
