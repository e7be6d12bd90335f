import { describe, expect, it } from 'vitest';
import type { DeploymentRecord, StageRecord } from '../../../src/pipeline/record.js';
import { buildReport } from '../../../src/reports/build.js';
import { restoreArgv, rollbackArgv, shellQuote, shellText } from '../../../src/reports/commands.js';
import type { FailureReport, SuccessReport } from '../../../src/reports/contract.js';
import { reportMarkdown } from '../../../src/reports/markdown.js';
import { Masker } from '../../../src/runtime/secrets.js';

const SECRET = 'pg-pass-7Hq2xZk9LmW4';
const scope = { environment: 'production' };

function stage(name: string, rest: Partial<StageRecord> = {}): StageRecord {
  return { name, status: 'succeeded', undo: null, started_at: '2026-01-01T10:00:00.000Z', finished_at: '2026-01-01T10:00:10.000Z', duration_seconds: 10, error: null, ...rest };
}

const BACKUP = {
  backup_id: 'bk_20260101T100001Z_abc123',
  database: 'main',
  location: 'file:backups/main/bk_20260101T100001Z_abc123.sql.gz',
  timestamp: '2026-01-01T10:00:02.000Z',
  verification: { method: 'restore', ok: true },
};

function record(rest: Partial<DeploymentRecord> = {}): DeploymentRecord {
  return {
    record_format: 1,
    timestamp: '2026-01-01T10:01:00.000Z',
    deployment_id: 'dep_20260101T100000Z_00abc',
    app: 'shop',
    kind: 'deploy',
    version: 'v1.1.0',
    previous_version: 'v1.0.0',
    environment: 'production',
    status: 'succeeded',
    git_sha: null,
    git_ref: null,
    triggered_by: 'alice',
    reason: null,
    services_deployed: ['shop'],
    database_backup: BACKUP,
    migrations_applied: 1,
    rollout_stages: [],
    health_checks: {},
    gates: [],
    rollback_of: null,
    rollback_available: true,
    rollback_window_minutes: 60,
    rollback_deadline: '2026-01-01T11:01:00.000Z',
    duration_seconds: 60,
    started_at: '2026-01-01T10:00:00.000Z',
    finished_at: '2026-01-01T10:01:00.000Z',
    stages: [stage('gates'), stage('backup'), stage('migrate'), stage('deploy')],
    analysis: [],
    emergency: null,
    forced: false,
    error: null,
    warnings: [],
    acknowledged: null,
    ...rest,
  };
}

/** A deploy whose migration failed with the database password in the error, and whose undo ran. */
function failedRecord(status: DeploymentRecord['status'], undo: StageRecord['undo'] = 'undone'): DeploymentRecord {
  const error = `migrate: psql postgres://app:${SECRET}@db/shop failed: relation "users" already exists`;
  return record({
    status,
    rollback_available: false,
    rollback_deadline: null,
    error,
    stages: [stage('gates'), stage('backup', { undo: 'nothing_to_undo' }), stage('migrate', { status: 'failed', error, undo }), stage('deploy', { status: 'not_started' })],
  });
}

describe('the failure report', () => {
  it('names the failed stage, what was undone, the backup with its restore command, and the action', () => {
    const r = buildReport(failedRecord('rolled_back'), scope, new Masker()) as FailureReport;
    expect(r.report).toBe('failure');
    expect(r.failed_stage?.name).toBe('migrate');
    expect(r.undone).toEqual([
      { stage: 'backup', undo: 'nothing_to_undo' },
      { stage: 'migrate', undo: 'undone' },
    ]);
    expect(r.backup).toMatchObject({ available: true, backups: [{ database: 'main', backup_id: BACKUP.backup_id, verified: true, restore_command: `shipgate backup restore ${BACKUP.backup_id} --db main --env production` }] });
    expect(r.live_now).toBe('v1.0.0: every begun stage was undone');
    expect(r.action_required.urgent).toBe(false);
  });

  it('is urgent when an undo failed, and ends with the ack command', () => {
    const r = buildReport(failedRecord('rollback_failed', 'undo_failed'), scope, new Masker()) as FailureReport;
    expect(r.action_required.urgent).toBe(true);
    expect(r.action_required.steps.at(-1)).toBe('Then say so: shipgate ack dep_20260101T100000Z_00abc --reason "what you found and did"');
    expect(r.live_now).toMatch(/^unknown/);
  });

  it('says why there is no backup when the deployment stopped before its backup stage', () => {
    const r = buildReport(record({ status: 'blocked', database_backup: null, stages: [stage('gates', { status: 'failed', error: 'blocked' }), stage('backup', { status: 'not_started' })] }), scope, new Masker()) as FailureReport;
    expect(r.backup).toEqual({ available: false, note: 'no backup: the deployment stopped before its backup stage finished (backup stage not started)', backups: [] });
  });

  it('masks a secret in the error text, in the JSON and in the Markdown', () => {
    const r = buildReport(failedRecord('rolled_back'), scope, new Masker([SECRET]))!;
    const json = JSON.stringify(r);
    const md = reportMarkdown(r);
    expect(json).toContain('relation \\"users\\" already exists');
    expect(md).toContain('relation "users" already exists');
    expect(json).not.toContain(SECRET);
    expect(md).not.toContain(SECRET);
  });
});

describe('the rollback instructions of a success', () => {
  it('give the deadline, the exact rollback command and the restore command of the backup', () => {
    const r = buildReport(record(), { environment: 'production', configFile: 'deploy/ship gate.yaml' }, new Masker()) as SuccessReport;
    expect(r.rollback).toMatchObject({
      available: true,
      window_minutes: 60,
      deadline: '2026-01-01T11:01:00.000Z',
      command: "shipgate rollback --to v1.0.0 --config 'deploy/ship gate.yaml' --env production",
      argv: ['shipgate', 'rollback', '--to', 'v1.0.0', '--config', 'deploy/ship gate.yaml', '--env', 'production'],
    });
    expect(r.backup.backups[0]!.restore_command).toBe(`shipgate backup restore ${BACKUP.backup_id} --db main --config 'deploy/ship gate.yaml' --env production`);
    const md = reportMarkdown(r);
    expect(md).toContain("```sh\nshipgate rollback --to v1.0.0 --config 'deploy/ship gate.yaml' --env production\n```");
  });

  it('have no command on a first deployment, and a successful rollback gets no report', () => {
    const first = buildReport(record({ previous_version: null, rollback_available: false, rollback_deadline: null }), scope, new Masker()) as SuccessReport;
    expect(first.rollback).toMatchObject({ available: false, command: null, argv: null });
    expect(buildReport(record({ kind: 'rollback' }), scope, new Masker())).toBeNull();
  });
});

describe('report commands', () => {
  it('are argv arrays; the shell text quotes only what needs it', () => {
    expect(rollbackArgv(scope, 'v1.2.3')).toEqual(['shipgate', 'rollback', '--to', 'v1.2.3', '--env', 'production']);
    expect(restoreArgv(scope, 'main', 'bk_1')).toEqual(['shipgate', 'backup', 'restore', 'bk_1', '--db', 'main', '--env', 'production']);
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellText(['a', 'b c', '$HOME'])).toBe(`a 'b c' '$HOME'`);
  });
});
