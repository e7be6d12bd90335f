/**
 * The store's schema, as an ordered list of migrations. Never edit a released
 * migration: append a new one with the next version.
 */
import type { Dialect } from './dialect.js';

export interface Migration {
  version: number;
  description: string;
  /** Statements to run, in order, inside the migration transaction. */
  up(d: Dialect): string[];
}

const v1: Migration = {
  version: 1,
  description: 'deployments, events, locks, releases, approvals, records',
  up: (d) => [
    `CREATE TABLE deployments (
      id ${d.keyText} PRIMARY KEY,
      app ${d.keyText} NOT NULL,
      environment ${d.keyText} NOT NULL,
      kind ${d.keyText} NOT NULL,
      version TEXT NOT NULL,
      previous_version TEXT,
      status ${d.keyText} NOT NULL,
      triggered_by TEXT NOT NULL,
      reason TEXT,
      git_sha TEXT,
      git_ref TEXT,
      rollback_of TEXT,
      started_at TEXT NOT NULL,
      finished_at TEXT,
      current_stage TEXT,
      meta TEXT NOT NULL,
      error TEXT
    )`,
    'CREATE INDEX deployments_app_id ON deployments (app, id)',
    'CREATE INDEX deployments_app_env_id ON deployments (app, environment, id)',
    'CREATE INDEX deployments_app_env_status_id ON deployments (app, environment, status, id)',
    `CREATE TABLE events (
      seq ${d.serialKey},
      deployment_id ${d.keyText} NOT NULL REFERENCES deployments (id),
      at TEXT NOT NULL,
      type TEXT NOT NULL,
      stage TEXT,
      step TEXT,
      data TEXT NOT NULL
    )`,
    'CREATE INDEX events_deployment_seq ON events (deployment_id, seq)',
    `CREATE TABLE locks (
      app ${d.keyText} NOT NULL,
      environment ${d.keyText} NOT NULL,
      deployment_id ${d.keyText} NOT NULL,
      holder TEXT NOT NULL,
      pid INTEGER NOT NULL,
      host TEXT NOT NULL,
      process_start TEXT,
      acquired_at TEXT NOT NULL,
      heartbeat_at TEXT NOT NULL,
      PRIMARY KEY (app, environment)
    )`,
    `CREATE TABLE releases (
      app ${d.keyText} NOT NULL,
      version ${d.keyText} NOT NULL,
      created_at ${d.keyText} NOT NULL,
      dir TEXT,
      manifest_sha256 TEXT,
      start TEXT NOT NULL,
      artifacts TEXT NOT NULL,
      PRIMARY KEY (app, version)
    )`,
    `CREATE TABLE approvals (
      id ${d.serialKey},
      deployment_id ${d.keyText} NOT NULL REFERENCES deployments (id),
      approver TEXT NOT NULL,
      comment TEXT,
      at ${d.keyText} NOT NULL
    )`,
    'CREATE INDEX approvals_deployment ON approvals (deployment_id, at)',
    `CREATE TABLE records (
      deployment_id ${d.keyText} PRIMARY KEY REFERENCES deployments (id),
      record TEXT NOT NULL
    )`,
  ],
};

/** Statuses of deployments still in progress (kept literal so the partial index applies). */
export const UNFINISHED_SQL = "('running', 'awaiting_approval')";

const v2: Migration = {
  version: 2,
  description: 'partial index for unfinished deployments (status and recovery stay fast on a long history)',
  up: () => [`CREATE INDEX deployments_unfinished ON deployments (app, environment, id) WHERE status IN ${UNFINISHED_SQL}`],
};

const v3: Migration = {
  version: 3,
  description: 'acknowledgements: who looked at a failed rollback, and why later deployments may start again',
  up: (d) => [
    `CREATE TABLE acknowledgements (
      deployment_id ${d.keyText} PRIMARY KEY REFERENCES deployments (id),
      acknowledged_by TEXT NOT NULL,
      reason TEXT NOT NULL,
      at ${d.keyText} NOT NULL
    )`,
  ],
};

export const MIGRATIONS: readonly Migration[] = [v1, v2, v3];


export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.reduce((max, m) => Math.max(max, m.version), 0);
}
