/** The shapes of a deployment's reports (seed runbooks: failure report, manual rollback instructions). Imports nothing from implementations. */
import type { DeploymentKind, DeploymentStatus } from '../store/contract.js';

export const REPORT_FORMAT = 1;

/** A database backup a report points to, with the command that restores it. */
export interface ReportBackup {
  database: string;
  backup_id: string;
  location: string;
  timestamp: string;
  verified: boolean;
  restore_command: string;
}

export interface ReportBackups {
  /** True when at least one backup is there to restore. */
  available: boolean;
  /** Why there is none, or what to know about them, in words. */
  note: string;
  backups: ReportBackup[];
}

/** `.shipgate/reports/<id>-failure.{json,md}`: what failed, what was undone, what a person must do. */
export interface FailureReport {
  report_format: number;
  report: 'failure';
  deployment_id: string;
  app: string;
  environment: string;
  kind: DeploymentKind;
  version: string;
  previous_version: string | null;
  status: DeploymentStatus;
  triggered_by: string;
  started_at: string;
  finished_at: string | null;
  /** The stage that failed (or was interrupted), with its error. */
  failed_stage: { name: string; error: string | null } | null;
  error: string | null;
  /** Per begun stage, what its undo did (from the journal). */
  undone: { stage: string; undo: string }[];
  /** What runs in the environment now, in words. */
  live_now: string;
  backup: ReportBackups;
  action_required: { urgent: boolean; steps: string[] };
  journal_command: string;
}

/** `.shipgate/reports/<id>-success.{json,md}`: the rollback instructions of a successful deploy. */
export interface SuccessReport {
  report_format: number;
  report: 'success';
  deployment_id: string;
  app: string;
  environment: string;
  version: string;
  previous_version: string | null;
  finished_at: string | null;
  rollback: {
    available: boolean;
    window_minutes: number;
    deadline: string | null;
    /** The exact command, to run in the project's folder; null when there is nothing to roll back to. */
    command: string | null;
    argv: string[] | null;
    note: string;
  };
  backup: ReportBackups;
  journal_command: string;
}

export type DeploymentReport = FailureReport | SuccessReport;

/** Where a report was written (absolute paths), as the record and `--json` carry it. */
export interface ReportPaths {
  kind: DeploymentReport['report'];
  json: string;
  markdown: string;
}
