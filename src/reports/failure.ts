/** Pure: the failure report of a deployment, from its record (seed 004's failure handler). */
import type { DeploymentRecord } from '../pipeline/record.js';
import { ackCommand } from '../pipeline/stop-sign.js';
import { backupAvailability } from './backups.js';
import { deployArgv, shellText, showEventsCommand, type CommandScope } from './commands.js';
import { REPORT_FORMAT, type FailureReport, type ReportBackups } from './contract.js';

function failedStage(record: DeploymentRecord): FailureReport['failed_stage'] {
  const s = record.stages.find((x) => x.status === 'failed') ?? record.stages.find((x) => x.status === 'interrupted');
  return s ? { name: s.name, error: s.error } : null;
}

function liveNow(r: DeploymentRecord): string {
  const before = r.previous_version ?? 'nothing (no version was live before)';
  switch (r.status) {
    case 'blocked':
      return `${before}: nothing changed`;
    case 'rolled_back':
    case 'cancelled':
      return `${before}: every begun stage was undone`;
    case 'failed':
      return `unknown: nothing was undone, so ${r.version} may be partly live`;
    default:
      return 'unknown: an undo failed, a person must look at the target';
  }
}

function restoreStep(backup: ReportBackups): string[] {
  return backup.backups.map((b) => `If its migrations changed ${b.database}, restore the backup taken before them: ${b.restore_command}`);
}

/** What a person must do, by outcome. Urgent when what runs is not known to be what ran before. */
export function actionRequired(r: DeploymentRecord, scope: CommandScope, backup: ReportBackups): FailureReport['action_required'] {
  const look = `Read the error and the journal: ${showEventsCommand(r.deployment_id)}`;
  switch (r.status) {
    case 'blocked':
      return { urgent: false, steps: ['Nothing changed: a gate refused the deployment.', 'Fix what the gate reports, then run it again.'] };
    case 'rolled_back':
    case 'cancelled':
      return { urgent: false, steps: [`${r.previous_version ?? 'The previous state'} is live again; nothing else is needed to restore service.`, look, 'Fix the cause, then deploy a new version.'] };
    case 'failed': {
      const back = r.previous_version ? [`Put the version that was live back: ${shellText(deployArgv(scope, r.previous_version))}`] : [];
      return { urgent: true, steps: [`ACTION REQUIRED: nothing was undone (rollback.auto off or --no-rollback); ${r.version} may be partly live.`, look, ...back, ...restoreStep(backup)] };
    }
    default:
      return {
        urgent: true,
        steps: [
          `ACTION REQUIRED: an undo failed; what ${r.environment} runs is unknown, and its deploys and rollbacks are refused until someone acknowledges it.`,
          `${look}; check the target itself (what it runs, whether it is healthy) and put it right by hand.`,
          ...restoreStep(backup),
          `Then say so: ${ackCommand(r.deployment_id)}`,
        ],
      };
  }
}

/** The failure report (the record is masked already; the caller masks the report again as a whole). */
export function buildFailureReport(record: DeploymentRecord, scope: CommandScope): FailureReport {
  const backup = backupAvailability(record, scope);
  return {
    report_format: REPORT_FORMAT,
    report: 'failure',
    deployment_id: record.deployment_id,
    app: record.app,
    environment: record.environment,
    kind: record.kind,
    version: record.version,
    previous_version: record.previous_version,
    status: record.status,
    triggered_by: record.triggered_by,
    started_at: record.started_at,
    finished_at: record.finished_at,
    failed_stage: failedStage(record),
    error: record.error,
    undone: record.stages.filter((s) => s.undo !== null).map((s) => ({ stage: s.name, undo: s.undo! })),
    live_now: liveNow(record),
    backup,
    action_required: actionRequired(record, scope, backup),
    journal_command: showEventsCommand(record.deployment_id),
  };
}
