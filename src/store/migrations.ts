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

const v4: Migration = {
  version: 4,
  description: 'notification outbox: one row per journal event and channel, written with the event',
  up: (d) => [
    `CREATE TABLE notifications (
      id ${d.keyText} PRIMARY KEY,
      seq BIGINT NOT NULL,
      deployment_id ${d.keyText} NOT NULL REFERENCES deployments (id),
      channel ${d.keyText} NOT NULL,
      event ${d.keyText} NOT NULL,
      status ${d.keyText} NOT NULL,
      attempts INTEGER NOT NULL,
      next_at ${d.keyText} NOT NULL,
      created_at ${d.keyText} NOT NULL,
      sent_at TEXT,
      last_error TEXT
    )`,
    'CREATE INDEX notifications_due ON notifications (status, next_at)',
    'CREATE INDEX notifications_seq ON notifications (seq)',
  ],
};

const v5: Migration = {
  version: 5,
  description: 'events from outside a run (the local agent) journaled at most once: their ids',
  up: (d) => [
    `CREATE TABLE event_ids (
      id ${d.keyText} PRIMARY KEY,
      seq BIGINT NOT NULL
    )`,
  ],
};

const v6: Migration = {
  version: 6,
  description: 'incidents (shipgate incident export|resolve) and deployment reports (failure report, rollback instructions)',
  up: (d) => [
    `CREATE TABLE incidents (
      id ${d.keyText} PRIMARY KEY,
      app ${d.keyText} NOT NULL,
      environment ${d.keyText} NOT NULL,
      type ${d.keyText} NOT NULL,
      severity ${d.keyText} NOT NULL,
      details TEXT NOT NULL,
      status ${d.keyText} NOT NULL,
      deployment_ids TEXT NOT NULL,
      opened_by TEXT NOT NULL,
      opened_at ${d.keyText} NOT NULL,
      resolved_by TEXT,
      resolved_at TEXT,
      resolution TEXT
    )`,
    'CREATE INDEX incidents_app_opened ON incidents (app, opened_at)',
    `CREATE TABLE reports (
      deployment_id ${d.keyText} PRIMARY KEY REFERENCES deployments (id),
      kind ${d.keyText} NOT NULL,
      report TEXT NOT NULL
    )`,
  ],
};

/** v4's outbox columns, with `deployment_id` nullable (an alert's row is about no deployment) and `alert_id`. */
const OUTBOX_V7 = (d: Dialect): string => `CREATE TABLE notifications_v7 (
      id ${d.keyText} PRIMARY KEY,
      seq BIGINT NOT NULL,
      deployment_id ${d.keyText} REFERENCES deployments (id),
      alert_id ${d.keyText},
      channel ${d.keyText} NOT NULL,
      event ${d.keyText} NOT NULL,
      status ${d.keyText} NOT NULL,
      attempts INTEGER NOT NULL,
      next_at ${d.keyText} NOT NULL,
      created_at ${d.keyText} NOT NULL,
      sent_at TEXT,
      last_error TEXT
    )`;

const v7: Migration = {
  version: 7,
  description: 'alerts of the monitor rules and recorded metrics; outbox rows may be about an alert instead of a deployment',
  up: (d) => [
    `CREATE TABLE alerts (
      id ${d.keyText} PRIMARY KEY,
      app ${d.keyText} NOT NULL,
      environment ${d.keyText} NOT NULL,
      rule ${d.keyText} NOT NULL,
      kind ${d.keyText} NOT NULL,
      status ${d.keyText} NOT NULL,
      summary TEXT NOT NULL,
      details TEXT NOT NULL,
      fired_at ${d.keyText} NOT NULL,
      resolved_at ${d.keyText},
      resolved_by TEXT,
      resolution TEXT
    )`,
    // At most one firing alert per rule: two servers evaluating the same rule open it once.
    "CREATE UNIQUE INDEX alerts_firing ON alerts (app, environment, rule) WHERE status = 'firing'",
    'CREATE INDEX alerts_app_fired ON alerts (app, fired_at)',
    `CREATE TABLE metrics (
      id ${d.serialKey},
      app ${d.keyText} NOT NULL,
      environment ${d.keyText} NOT NULL,
      at ${d.keyText} NOT NULL,
      deployment_id TEXT,
      phase TEXT NOT NULL,
      status TEXT,
      duration_ms BIGINT,
      requests BIGINT,
      errors BIGINT,
      data TEXT NOT NULL
    )`,
    'CREATE INDEX metrics_app_env_at ON metrics (app, environment, at)',
    ...(d.name === 'postgres'
      ? ['ALTER TABLE notifications ALTER COLUMN deployment_id DROP NOT NULL', `ALTER TABLE notifications ADD COLUMN alert_id ${d.keyText}`]
      : [
          // SQLite cannot drop a NOT NULL: the table is copied into its new shape.
          OUTBOX_V7(d),
          'INSERT INTO notifications_v7 (id, seq, deployment_id, alert_id, channel, event, status, attempts, next_at, created_at, sent_at, last_error) SELECT id, seq, deployment_id, NULL, channel, event, status, attempts, next_at, created_at, sent_at, last_error FROM notifications',
          'DROP TABLE notifications',
          'ALTER TABLE notifications_v7 RENAME TO notifications',
          'CREATE INDEX notifications_due ON notifications (status, next_at)',
          'CREATE INDEX notifications_seq ON notifications (seq)',
        ]),
  ],
};

export const MIGRATIONS: readonly Migration[] = [v1, v2, v3, v4, v5, v6, v7];


export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.reduce((max, m) => Math.max(max, m.version), 0);
}
