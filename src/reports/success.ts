/** Pure: the rollback instructions of a successful deploy, from its record (seed 004's manual rollback). */
import type { DeploymentRecord } from '../pipeline/record.js';
import { backupAvailability } from './backups.js';
import { rollbackArgv, shellText, showEventsCommand, type CommandScope } from './commands.js';
import { REPORT_FORMAT, type SuccessReport } from './contract.js';

function rollback(record: DeploymentRecord, scope: CommandScope): SuccessReport['rollback'] {
  const window = record.rollback_window_minutes;
  const base = { available: record.rollback_available, window_minutes: window, deadline: record.rollback_deadline };
  if (!record.rollback_available || !record.previous_version) {
    return { ...base, available: false, command: null, argv: null, note: 'nothing to roll back to: this is the first successful deployment of the environment' };
  }
  const argv = rollbackArgv(scope, record.previous_version);
  return {
    ...base,
    command: shellText(argv),
    argv,
    note: `Run it in the project's folder until ${record.rollback_deadline} (${window} minutes after the deployment; past that it needs --force). Add --reason "…" to record why; --type auto also undoes the data.`,
  };
}

export function buildSuccessReport(record: DeploymentRecord, scope: CommandScope): SuccessReport {
  return {
    report_format: REPORT_FORMAT,
    report: 'success',
    deployment_id: record.deployment_id,
    app: record.app,
    environment: record.environment,
    version: record.version,
    previous_version: record.previous_version,
    finished_at: record.finished_at,
    rollback: rollback(record, scope),
    backup: backupAvailability(record, scope),
    journal_command: showEventsCommand(record.deployment_id),
  };
}
