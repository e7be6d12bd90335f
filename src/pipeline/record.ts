import type { GateResult } from '../gates/contract.js';
import type { SecretsStageOutput } from './stages/secrets-output.js';
import type { Evaluation } from '../rollout/contract.js';
import type { DeploymentRow, DeploymentStatus, EventRow } from '../store/contract.js';
import { deriveSagaState, type StageState } from './saga-state.js';
import type { RollbackType } from './rollback-type.js';
import type { ReportPaths } from '../reports/contract.js';
import { rollbackRecordFields } from './stages/data-rollback-output.js';
import { STAGE_RECORD_FIELDS } from './stages/record-fields.js';

export const RECORD_FORMAT = 1;

export interface RolloutStageRecord {
  stage: string;
  traffic_percentage: number;
  duration_seconds: number | null;
  status: 'healthy' | 'failed' | 'rolled_back' | 'interrupted' | 'not_started';
}

export interface StageRecord {
  name: string;
  status: 'succeeded' | 'failed' | 'interrupted' | 'not_started';
  undo: 'undone' | 'nothing_to_undo' | 'undo_failed' | 'undo_interrupted' | null;
  started_at: string | null;
  finished_at: string | null;
  duration_seconds: number | null;
  error: string | null;
}

export interface AnalysisRecord {
  at: string;
  step: string;
  verdict: string;
  reasons: string[];
  requests: number;
  error_rate: number;
  p95_ms: number | null;
  stable_error_rate: number | null;
}

/** What a rollback did to one database (`shipgate rollback --type migration|database|auto`). */
export interface DataRollbackRecord {
  database: string;
  action: 'down' | 'restore';
  /** `down`: the migrations reverted, newest first. */
  migrations?: string[];
  /** `restore`: the backup restored, and the moment after which every write is lost. */
  backup_id?: string;
  writes_lost_since?: string;
  why: string;
  /** The backup of the state before the rollback (restore it to undo the rollback). */
  safety_backup: string | null;
  done: boolean;
}

/** The deployment record (shape of the seed runbook's audit record, plus what shipgate knows). */
export interface DeploymentRecord {
  record_format: number;
  timestamp: string;
  deployment_id: string;
  app: string;
  kind: 'deploy' | 'rollback';
  version: string;
  previous_version: string | null;
  environment: string;
  status: DeploymentStatus;
  git_sha: string | null;
  git_ref: string | null;
  triggered_by: string;
  reason: string | null;
  services_deployed: string[];
  database_backup: Record<string, unknown> | null;
  migrations_applied: number;
  /** Names applied per database (builtin migrations), and destructive statements let through. */
  migrations?: { database: string; tool: string; applied: string[]; allowed_destructive?: string[] }[];
  /** Migrations were skipped (--skip-migrations). */
  migrations_skipped?: boolean;
  rollout_stages: RolloutStageRecord[];
  health_checks: Record<string, string>;
  gates: { name: string; result: string; reason: string }[];
  /** What the secrets gate scanned, the findings that blocked and those an allowlist entry let through (with its reason). */
  secrets_scan?: SecretsStageOutput;
  rollback_of: string | null;
  rollback_available: boolean;
  rollback_window_minutes: number;
  rollback_deadline: string | null;
  duration_seconds: number | null;
  started_at: string;
  finished_at: string | null;
  stages: StageRecord[];
  /** Every analysis evaluation of a progressive rollout, with its figures. */
  analysis: AnalysisRecord[];
  emergency: { by: string; reason: string } | null;
  forced: boolean;
  error: string | null;
  /** Things a person should know (the store and the target disagreed, the store looked lost). */
  warnings: string[];
  /** Rollbacks: app, migration, database or auto (`shipgate rollback --type`). */
  rollback_type?: RollbackType;
  /** Rollbacks that touched data: per database, what was done and why. */
  data_rollback?: DataRollbackRecord[];
  /** Backups retention deleted after this deploy (`orphan`: an archive without a manifest). */
  backups_pruned?: { database: string; id: string; orphan?: boolean }[];
  /** What retention could not delete; the deploy succeeded all the same. */
  backup_prune_errors?: { database: string; message: string }[];
  /** `rollback_failed` only: who looked at it and why later deployments may start (`shipgate ack`). */
  acknowledged: { by: string; reason: string; at: string } | null;
  /** The failure report or the rollback instructions written with the record (absent when none could be written). */
  report?: ReportPaths;
}

export interface RecordInput {
  row: DeploymentRow;
  events: readonly EventRow[];
  rollbackWindowMs: number;
  services: string[];
}

const seconds = (from: string | null, to: string | null): number | null => (from && to ? Math.round((Date.parse(to) - Date.parse(from)) / 100) / 10 : null);

function stageRecord(s: StageState): StageRecord {
  const status = s.finished ? 'succeeded' : s.failed ? 'failed' : s.started ? 'interrupted' : 'not_started';
  const undo = s.undoFailed ? 'undo_failed' : s.undoFinished ? (s.undoDone ? 'undone' : 'nothing_to_undo') : s.undoStarted ? 'undo_interrupted' : null;
  return { name: s.name, status, undo, started_at: s.startedAt, finished_at: s.finishedAt, duration_seconds: seconds(s.startedAt, s.finishedAt), error: s.error };
}

interface RolloutStepOutput {
  name: string;
  trafficPercentage: number;
  durationMs: number;
  status: string;
}

/** The rollout's steps when a provider split traffic; one `full` step at 100% otherwise. */
function rolloutStages(stages: StageRecord[], states: Map<string, StageState>, kind: 'deploy' | 'rollback'): RolloutStageRecord[] {
  const name = kind === 'deploy' ? 'deploy' : 'rollback';
  const s = stages.find((x) => x.name === name);
  if (!s) return [];
  const steps = (states.get(name)?.output?.rollout as { steps?: RolloutStepOutput[] } | undefined)?.steps;
  if (steps) {
    return steps.map((st) => ({
      stage: st.name,
      traffic_percentage: st.trafficPercentage,
      duration_seconds: Math.round(st.durationMs / 100) / 10,
      status: (s.undo === 'undone' && st.status === 'healthy' ? 'rolled_back' : st.status === 'failed' ? 'failed' : st.status === 'healthy' ? 'healthy' : 'not_started') as RolloutStageRecord['status'],
    }));
  }
  const status: RolloutStageRecord['status'] = s.undo === 'undone' ? 'rolled_back' : s.status === 'succeeded' ? 'healthy' : s.status === 'failed' ? 'failed' : s.status === 'interrupted' ? 'interrupted' : 'not_started';
  return [{ stage: 'full', traffic_percentage: 100, duration_seconds: s.duration_seconds, status }];
}

function analysisRecords(events: readonly EventRow[]): AnalysisRecord[] {
  return events
    .filter((e) => e.type === 'rollout:evaluation')
    .map((e) => e.data.evaluation as Evaluation)
    .map((ev) => ({
      at: ev.at,
      step: ev.step,
      verdict: ev.verdict,
      reasons: ev.reasons,
      requests: ev.candidate.requests,
      error_rate: ev.candidate.errorRate,
      p95_ms: ev.candidate.p95,
      stable_error_rate: ev.stable ? ev.stable.errorRate : null,
    }));
}

function healthChecks(events: readonly EventRow[], stages: Map<string, StageState>): Record<string, string> {
  const out: Record<string, string> = {};
  const verify = stages.get('verify');
  if (verify?.started) out.provider_health = verify.finished ? 'healthy' : verify.failed ? 'unhealthy' : 'interrupted';
  const smokeDone = events.filter((e) => e.stage === 'smoke' && (e.type === 'stage:finished' || e.type === 'stage:failed'));
  const results = (smokeDone.at(-1)?.data.output as { results?: { name: string; passed: boolean }[] } | undefined)?.results ?? [];
  for (const r of results) out[r.name] = r.passed ? 'healthy' : 'unhealthy';
  const smoke = stages.get('smoke');
  if (smoke?.started) out.smoke_tests = smoke.finished ? 'passed' : smoke.failed ? 'failed' : 'interrupted';
  return out;
}

/** Pure: the record of a deployment from its row and journal. */
export function buildRecord(input: RecordInput): DeploymentRecord {
  const { row, events } = input;
  const state = deriveSagaState(events);
  const stages = state.plan.map((n) => stageRecord(state.stages.get(n)!));
  const gates = events.filter((e) => e.type === 'gate:evaluated').map((e) => e.data.gate as GateResult).map((g) => ({ name: g.name, result: g.result, reason: g.reason }));
  // A rollback's previous version is the one it rolled away from: not a rollback target (see rollback-target.ts).
  const available = row.status === 'succeeded' && row.previousVersion !== null && row.kind !== 'rollback';
  const deadline = available && row.finishedAt ? new Date(Date.parse(row.finishedAt) + input.rollbackWindowMs).toISOString() : null;
  const deployed = stages.some((s) => (s.name === 'deploy' || s.name === 'rollback') && s.status !== 'not_started');
  return {
    record_format: RECORD_FORMAT,
    timestamp: row.finishedAt ?? row.startedAt,
    deployment_id: row.id,
    app: row.app,
    kind: row.kind,
    version: row.version,
    previous_version: row.previousVersion,
    environment: row.environment,
    status: row.status,
    git_sha: row.gitSha,
    git_ref: row.gitRef,
    triggered_by: row.triggeredBy,
    reason: row.reason,
    services_deployed: deployed && row.status === 'succeeded' ? input.services : [],
    database_backup: null,
    migrations_applied: 0,
    rollout_stages: rolloutStages(stages, state.stages, row.kind),
    health_checks: healthChecks(events, state.stages),
    gates,
    rollback_of: row.rollbackOf,
    rollback_available: available,
    rollback_window_minutes: Math.round(input.rollbackWindowMs / 60_000),
    rollback_deadline: deadline,
    duration_seconds: seconds(row.startedAt, row.finishedAt),
    started_at: row.startedAt,
    finished_at: row.finishedAt,
    stages,
    analysis: analysisRecords(events),
    emergency: (row.meta.emergency as DeploymentRecord['emergency']) ?? null,
    forced: row.meta.forced === true,
    error: row.error,
    warnings: events.filter((e) => e.type === 'deploy:warning').map((e) => String(e.data.message)),
    acknowledged: acknowledgement(events),
    ...prunedBackups(events),
    ...stageFields(state.plan, state.stages),
    ...rollbackRecordFields(row.kind, row.meta, state.stages.get('data')?.output ?? null),
  };
}

/** What each stage that ran adds to the record (stages/record-fields.ts). */
function stageFields(plan: readonly string[], stages: Map<string, StageState>): Partial<DeploymentRecord> {
  return Object.assign({}, ...plan.map((name) => STAGE_RECORD_FIELDS[name]?.(stages.get(name)?.output ?? null) ?? {})) as Partial<DeploymentRecord>;
}

function prunedBackups(events: readonly EventRow[]): Pick<DeploymentRecord, 'backups_pruned' | 'backup_prune_errors'> {
  const e = events.find((x) => x.type === 'backups:pruned');
  if (!e) return {};
  return { backups_pruned: e.data.pruned as DeploymentRecord['backups_pruned'], backup_prune_errors: e.data.errors as DeploymentRecord['backup_prune_errors'] };
}

function acknowledgement(events: readonly EventRow[]): DeploymentRecord['acknowledged'] {
  const e = events.find((x) => x.type === 'deploy:acknowledged');
  return e ? { by: String(e.data.by), reason: String(e.data.reason), at: e.at } : null;
}
