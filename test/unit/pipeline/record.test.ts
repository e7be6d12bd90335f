import { describe, expect, it } from 'vitest';
import { buildRecord, RECORD_FORMAT } from '../../../src/pipeline/record.js';
import type { EventRow } from '../../../src/store/contract.js';
import { ev, makeRow } from './helpers.js';

const HOUR = 3_600_000;
/** Seconds after 17:00:00 on the test day, as ISO. */
const t = (s: number): string => new Date(Date.parse('2026-11-23T17:00:00.000Z') + s * 1000).toISOString();

const DEPLOY_PLAN = ['gates', 'build', 'deploy', 'verify', 'smoke'];

function stageRun(name: string, from: number, to: number, output?: Record<string, unknown>): EventRow[] {
  return [ev('stage:started', name, {}, t(from)), ev('stage:finished', name, { durationMs: (to - from) * 1000, ...(output ? { output } : {}) }, t(to))];
}

const gateEvents = [
  ev('gate:evaluated', null, { gate: { name: 'semver', result: 'pass', reason: 'v1.1.0 is a release version', details: { x: 1 } } }, t(0.2)),
  ev('gate:evaluated', null, { gate: { name: 'window', result: 'overridden', reason: 'outside hours; emergency override by alice' } }, t(0.3)),
];

const succeededEvents: EventRow[] = [
  ev('deploy:started', null, { stages: DEPLOY_PLAN }, t(0)),
  ev('stage:started', 'gates', {}, t(0)),
  ...gateEvents,
  ev('stage:finished', 'gates', { durationMs: 500 }, t(0.5)),
  ...stageRun('build', 1, 31.25),
  ...stageRun('deploy', 32, 62),
  ...stageRun('verify', 62, 64, { health: { status: 200 } }),
  ...stageRun('smoke', 64, 66, { results: [{ name: 'api', passed: true }, { name: 'home', passed: true }] }),
  ev('deploy:finished', null, { status: 'succeeded' }, t(120)),
];

describe('buildRecord', () => {
  it('records every field of a succeeded deploy', () => {
    const row = makeRow({ status: 'succeeded', gitSha: 'abc123', gitRef: 'refs/tags/v1.1.0', reason: 'release', finishedAt: t(120), meta: { emergency: { by: 'alice', reason: 'hotfix' }, pid: 1 } });
    const record = buildRecord({ row, events: succeededEvents, rollbackWindowMs: HOUR, services: ['web', 'worker'] });
    expect(record).toEqual({
      record_format: RECORD_FORMAT,
      timestamp: t(120),
      deployment_id: row.id,
      app: 'demo',
      kind: 'deploy',
      version: 'v1.1.0',
      previous_version: 'v1.0.0',
      environment: 'production',
      status: 'succeeded',
      git_sha: 'abc123',
      git_ref: 'refs/tags/v1.1.0',
      triggered_by: 'alice',
      reason: 'release',
      services_deployed: ['web', 'worker'],
      database_backup: null,
      migrations_applied: 0,
      rollout_stages: [{ stage: 'full', traffic_percentage: 100, duration_seconds: 30, status: 'healthy' }],
      health_checks: { provider_health: 'healthy', api: 'healthy', home: 'healthy', smoke_tests: 'passed' },
      gates: [
        { name: 'semver', result: 'pass', reason: 'v1.1.0 is a release version' },
        { name: 'window', result: 'overridden', reason: 'outside hours; emergency override by alice' },
      ],
      rollback_of: null,
      rollback_available: true,
      rollback_window_minutes: 60,
      rollback_deadline: t(120 + 3600),
      duration_seconds: 120,
      started_at: t(0),
      finished_at: t(120),
      stages: [
        { name: 'gates', status: 'succeeded', undo: null, started_at: t(0), finished_at: t(0.5), duration_seconds: 0.5, error: null },
        { name: 'build', status: 'succeeded', undo: null, started_at: t(1), finished_at: t(31.25), duration_seconds: 30.3, error: null },
        { name: 'deploy', status: 'succeeded', undo: null, started_at: t(32), finished_at: t(62), duration_seconds: 30, error: null },
        { name: 'verify', status: 'succeeded', undo: null, started_at: t(62), finished_at: t(64), duration_seconds: 2, error: null },
        { name: 'smoke', status: 'succeeded', undo: null, started_at: t(64), finished_at: t(66), duration_seconds: 2, error: null },
      ],
      analysis: [],
      emergency: { by: 'alice', reason: 'hotfix' },
      forced: false,
      error: null,
      warnings: [],
      acknowledged: null,
    });
  });

  it('records a rolled-back deploy: failed smoke, deploy undone, nothing deployed, no rollback offered', () => {
    const events: EventRow[] = [
      ev('deploy:started', null, { stages: DEPLOY_PLAN }, t(0)),
      ...stageRun('gates', 0, 1),
      ...stageRun('build', 1, 2),
      ...stageRun('deploy', 2, 12),
      ...stageRun('verify', 12, 13),
      ev('stage:started', 'smoke', {}, t(13)),
      ev('stage:failed', 'smoke', { error: 'api: HTTP 500, expected 200', output: { results: [{ name: 'api', passed: false }, { name: 'home', passed: true }] } }, t(15)),
      ev('undo:started', 'deploy', {}, t(15)),
      ev('undo:finished', 'deploy', { done: true, detail: 'restored v1.0.0' }, t(20)),
      ev('deploy:finished', null, { status: 'rolled_back' }, t(21)),
    ];
    const row = makeRow({ status: 'rolled_back', finishedAt: t(21), error: 'api: HTTP 500, expected 200' });
    const record = buildRecord({ row, events, rollbackWindowMs: HOUR, services: ['demo'] });
    expect(record).toMatchObject({
      status: 'rolled_back',
      services_deployed: [],
      rollback_available: false,
      rollback_deadline: null,
      rollback_window_minutes: 60,
      rollout_stages: [{ stage: 'full', traffic_percentage: 100, duration_seconds: 10, status: 'rolled_back' }],
      health_checks: { provider_health: 'healthy', api: 'unhealthy', home: 'healthy', smoke_tests: 'failed' },
      gates: [],
      duration_seconds: 21,
      error: 'api: HTTP 500, expected 200',
    });
    expect(record.stages.map((s) => [s.name, s.status, s.undo])).toEqual([
      ['gates', 'succeeded', null],
      ['build', 'succeeded', null],
      ['deploy', 'succeeded', 'undone'],
      ['verify', 'succeeded', null],
      ['smoke', 'failed', null],
    ]);
    expect(record.stages[4]).toEqual({ name: 'smoke', status: 'failed', undo: null, started_at: t(13), finished_at: t(15), duration_seconds: 2, error: 'api: HTTP 500, expected 200' });
  });

  it('records a blocked deploy: the gate results, nothing started after the gates', () => {
    const events: EventRow[] = [
      ev('deploy:started', null, { stages: ['gates', 'deploy'] }, t(0)),
      ev('stage:started', 'gates', {}, t(0)),
      ev('gate:evaluated', null, { gate: { name: 'semver', result: 'pass', reason: 'ok' } }, t(0)),
      ev('gate:evaluated', null, { gate: { name: 'window', result: 'block', reason: 'Saturday is not a deploy day' } }, t(0)),
      ev('gate:evaluated', null, { gate: { name: 'approval', result: 'skip', reason: 'not evaluated: an earlier gate blocked' } }, t(0)),
      ev('stage:failed', 'gates', { error: 'blocked by gate "window": Saturday is not a deploy day' }, t(1)),
      ev('deploy:finished', null, { status: 'blocked' }, t(1)),
    ];
    const row = makeRow({ status: 'blocked', finishedAt: t(1), error: 'blocked by gate "window": Saturday is not a deploy day' });
    const record = buildRecord({ row, events, rollbackWindowMs: HOUR, services: ['demo'] });
    expect(record.gates).toEqual([
      { name: 'semver', result: 'pass', reason: 'ok' },
      { name: 'window', result: 'block', reason: 'Saturday is not a deploy day' },
      { name: 'approval', result: 'skip', reason: 'not evaluated: an earlier gate blocked' },
    ]);
    expect(record.stages).toEqual([
      { name: 'gates', status: 'failed', undo: null, started_at: t(0), finished_at: t(1), duration_seconds: 1, error: 'blocked by gate "window": Saturday is not a deploy day' },
      { name: 'deploy', status: 'not_started', undo: null, started_at: null, finished_at: null, duration_seconds: null, error: null },
    ]);
    expect(record).toMatchObject({ status: 'blocked', services_deployed: [], rollback_available: false, rollback_deadline: null, health_checks: {} });
    expect(record.rollout_stages).toEqual([{ stage: 'full', traffic_percentage: 100, duration_seconds: null, status: 'not_started' }]);
  });

  it('records an interrupted deploy (no deploy:finished): still running, no end, the stage interrupted', () => {
    const events: EventRow[] = [
      ev('deploy:started', null, { stages: ['gates', 'deploy', 'verify'] }, t(0)),
      ...stageRun('gates', 0, 1),
      ev('stage:started', 'deploy', {}, t(1)),
      ev('undo:started', 'deploy', {}, t(5)),
    ];
    const row = makeRow({ status: 'running', finishedAt: null, currentStage: 'deploy' });
    const record = buildRecord({ row, events, rollbackWindowMs: 30 * 60_000, services: ['demo'] });
    expect(record).toMatchObject({
      status: 'running',
      timestamp: t(0),
      finished_at: null,
      duration_seconds: null,
      services_deployed: [],
      rollback_available: false,
      rollback_deadline: null,
      rollback_window_minutes: 30,
      rollout_stages: [{ stage: 'full', traffic_percentage: 100, duration_seconds: null, status: 'interrupted' }],
      health_checks: {},
    });
    expect(record.stages.map((s) => [s.name, s.status, s.undo])).toEqual([
      ['gates', 'succeeded', null],
      ['deploy', 'interrupted', 'undo_interrupted'],
      ['verify', 'not_started', null],
    ]);
  });

  it('reports an interrupted verify and smoke in health_checks', () => {
    const events: EventRow[] = [ev('deploy:started', null, { stages: ['deploy', 'verify', 'smoke'] }), ...stageRun('deploy', 0, 1), ev('stage:started', 'verify', {}, t(1))];
    expect(buildRecord({ row: makeRow({ status: 'running', finishedAt: null }), events, rollbackWindowMs: HOUR, services: [] }).health_checks).toEqual({ provider_health: 'interrupted' });
    const smoke = [...events.slice(0, -1), ...stageRun('verify', 1, 2), ev('stage:started', 'smoke', {}, t(2))];
    expect(buildRecord({ row: makeRow({ status: 'running', finishedAt: null }), events: smoke, rollbackWindowMs: HOUR, services: [] }).health_checks).toEqual({ provider_health: 'healthy', smoke_tests: 'interrupted' });
  });

  it('records a rollback deployment: rollback_of, the rollback stage as the rollout, forced from meta', () => {
    const events: EventRow[] = [
      ev('deploy:started', null, { stages: ['gates', 'rollback', 'verify'] }, t(0)),
      ...stageRun('gates', 0, 0),
      ...stageRun('rollback', 0, 4),
      ...stageRun('verify', 4, 5),
      ev('deploy:finished', null, { status: 'succeeded' }, t(6)),
    ];
    const row = makeRow({ kind: 'rollback', version: 'v1.0.0', previousVersion: 'v1.1.0', rollbackOf: 'dep_20261123T160000Z_00bbb', status: 'succeeded', finishedAt: t(6), meta: { forced: true } });
    const record = buildRecord({ row, events, rollbackWindowMs: 2 * HOUR, services: ['demo'] });
    expect(record).toMatchObject({
      kind: 'rollback',
      version: 'v1.0.0',
      previous_version: 'v1.1.0',
      rollback_of: 'dep_20261123T160000Z_00bbb',
      services_deployed: ['demo'],
      rollout_stages: [{ stage: 'full', traffic_percentage: 100, duration_seconds: 4, status: 'healthy' }],
      // Its previous version is the one it rolled away from: a plain rollback refuses to go back there.
      rollback_available: false,
      rollback_window_minutes: 120,
      rollback_deadline: null,
      forced: true,
      emergency: null,
      health_checks: { provider_health: 'healthy' },
    });
  });

  it('sets rollback_deadline = finished_at + window only when a rollback is available', () => {
    const events = [ev('deploy:started', null, { stages: ['deploy'] }, t(0)), ...stageRun('deploy', 0, 10)];
    const first = buildRecord({ row: makeRow({ previousVersion: null, finishedAt: t(10) }), events, rollbackWindowMs: HOUR, services: ['demo'] });
    expect(first).toMatchObject({ rollback_available: false, rollback_deadline: null, services_deployed: ['demo'] });
    const second = buildRecord({ row: makeRow({ finishedAt: t(10) }), events, rollbackWindowMs: 90 * 60_000, services: ['demo'] });
    expect(second).toMatchObject({ rollback_available: true, rollback_deadline: t(10 + 5400), rollback_window_minutes: 90 });
    for (const status of ['failed', 'rolled_back', 'rollback_failed', 'cancelled', 'blocked'] as const) {
      expect(buildRecord({ row: makeRow({ status, finishedAt: t(10) }), events, rollbackWindowMs: HOUR, services: ['demo'] })).toMatchObject({ rollback_available: false, rollback_deadline: null, services_deployed: [] });
    }
  });

  it('lists services only when the deploy stage ran and the deployment succeeded', () => {
    const noDeploy = [ev('deploy:started', null, { stages: ['gates', 'deploy'] }), ...stageRun('gates', 0, 1)];
    expect(buildRecord({ row: makeRow({ status: 'succeeded' }), events: noDeploy, rollbackWindowMs: HOUR, services: ['demo'] }).services_deployed).toEqual([]);
  });

  it('reads the undo outcome of each stage', () => {
    const events: EventRow[] = [
      ev('deploy:started', null, { stages: ['a', 'b', 'c', 'deploy'] }),
      ...stageRun('a', 0, 1),
      ...stageRun('b', 1, 2),
      ...stageRun('c', 2, 3),
      ev('stage:started', 'deploy', {}, t(3)),
      ev('stage:failed', 'deploy', { error: 'x' }, t(4)),
      ev('undo:started', 'deploy'),
      ev('undo:finished', 'deploy', { done: false, detail: 'first deployment' }),
      ev('undo:started', 'c'),
      ev('undo:finished', 'c', { done: true }),
      ev('undo:started', 'b'),
      ev('undo:failed', 'b', { error: 'no' }),
    ];
    const record = buildRecord({ row: makeRow({ status: 'rollback_failed' }), events, rollbackWindowMs: HOUR, services: [] });
    expect(record.stages.map((s) => [s.name, s.undo])).toEqual([
      ['a', null],
      ['b', 'undo_failed'],
      ['c', 'undone'],
      ['deploy', 'nothing_to_undo'],
    ]);
    // Failed and not undone (there was nothing to return to): the rollout failed.
    expect(record.rollout_stages[0]?.status).toBe('failed');
  });

  it('reads emergency only from meta, and forced only when it is exactly true', () => {
    const events = [ev('deploy:started', null, { stages: ['deploy'] })];
    expect(buildRecord({ row: makeRow({ meta: {} }), events, rollbackWindowMs: HOUR, services: [] })).toMatchObject({ emergency: null, forced: false });
    expect(buildRecord({ row: makeRow({ meta: { forced: 'yes' } }), events, rollbackWindowMs: HOUR, services: [] }).forced).toBe(false);
  });

  it('keeps the warnings of the run and, for a failed rollback, who acknowledged it', () => {
    const events = [
      ev('deploy:started', null, { stages: ['deploy'] }, t(0)),
      ev('deploy:warning', null, { message: 'the store looks lost or replaced' }, t(0.1)),
      ev('deploy:finished', null, { status: 'rollback_failed' }, t(5)),
      ev('deploy:acknowledged', null, { by: 'alice', reason: 'restored v1.0.0 by hand' }, t(600)),
    ];
    const record = buildRecord({ row: makeRow({ status: 'rollback_failed', finishedAt: t(5) }), events, rollbackWindowMs: HOUR, services: [] });
    expect(record.warnings).toEqual(['the store looks lost or replaced']);
    expect(record.acknowledged).toEqual({ by: 'alice', reason: 'restored v1.0.0 by hand', at: t(600) });
  });
});

describe('buildRecord: fields the backup and migrate stages contribute', () => {
  const backup = {
    database: 'main', id: 'bk_1', key: 'k', location: '.shipgate/backups/k', timestamp: t(2), size: 2048, sha256: 'b'.repeat(64),
    compression: 'gzip', encrypted: true, verify: { method: 'restore', ok: true, tables: 4, rows: 1000, ms: 1500 },
  };
  const events: EventRow[] = [
    ev('deploy:started', null, { stages: ['gates', 'build', 'backup', 'migrate', 'deploy'] }, t(0)),
    ...stageRun('gates', 0, 1),
    ...stageRun('build', 1, 2),
    ...stageRun('backup', 2, 4, { backups: [backup], skipped: [] }),
    ev('stage:started', 'migrate', {}, t(4)),
    ev('stage:noted', 'migrate', { output: { databases: { main: { tool: 'builtin', applied: ['0001_users'] } } } }, t(5)),
    ev('stage:finished', 'migrate', { durationMs: 2000, output: { databases: { main: { tool: 'builtin', applied: ['0001_users', '0002_orders'] } } } }, t(6)),
    ...stageRun('deploy', 6, 8),
    ev('deploy:finished', null, { status: 'succeeded' }, t(9)),
  ];

  it('database_backup in the seed\'s shape with the proof and its figures; migrations_applied counts, migrations names', () => {
    const record = buildRecord({ row: makeRow({ status: 'succeeded', finishedAt: t(9) }), events, rollbackWindowMs: HOUR, services: ['web'] });
    expect(record.database_backup).toEqual({
      backup_id: 'bk_1', database: 'main', location: '.shipgate/backups/k', timestamp: t(2), size_bytes: 2048, sha256: 'b'.repeat(64), compression: 'gzip', encrypted: true,
      // Journaled before age recipients existed: an encrypted backup then used the passphrase.
      encryption: 'passphrase',
      verification: { method: 'restore', ok: true, tables: 4, rows: 1000, seconds: 1.5 },
    });
    expect(record.migrations_applied).toBe(2);
    expect(record.migrations).toEqual([{ database: 'main', tool: 'builtin', applied: ['0001_users', '0002_orders'] }]);
  });

  it('database_backup says which encryption the backup used', () => {
    const aged = events.map((e) => (e.stage === 'backup' && e.type === 'stage:finished' ? { ...e, data: { ...e.data, output: { backups: [{ ...backup, key: 'k.age', encryption: 'age' }], skipped: [] } } } : e));
    const record = buildRecord({ row: makeRow({ status: 'succeeded', finishedAt: t(9) }), events: aged, rollbackWindowMs: HOUR, services: ['web'] });
    expect(record.database_backup).toMatchObject({ encrypted: true, encryption: 'age' });
  });

  it('without those stages: null and 0, as before', () => {
    const record = buildRecord({ row: makeRow({ status: 'succeeded', finishedAt: t(120) }), events: succeededEvents, rollbackWindowMs: HOUR, services: ['web'] });
    expect(record.database_backup).toBeNull();
    expect(record.migrations_applied).toBe(0);
    expect(record.migrations).toBeUndefined();
  });
});
