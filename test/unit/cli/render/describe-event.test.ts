import { describe, expect, it } from 'vitest';
import { describeEvent } from '../../../../src/cli/render/describe-event.js';
import type { JournaledEvent, LifecycleEventName } from '../../../../src/pipeline/events.js';

const at = '2026-11-23T17:00:00.000Z';
const id = 'dep_20261123T170000Z_00abc';

/** One example of every lifecycle event, with the line it must render (plain, then verbose). */
const cases: { event: JournaledEvent; plain: string | null; verbose?: string | null }[] = [
  {
    event: { type: 'deploy:started', at, deploymentId: id, app: 'shop', environment: 'production', version: 'v1.2.0', kind: 'deploy', previousVersion: 'v1.1.0', stages: ['gates', 'deploy', 'verify'] },
    plain: `deploy v1.2.0 to shop/production (live: v1.1.0) as ${id}; stages: gates → deploy → verify`,
  },
  {
    event: { type: 'deploy:started', at, deploymentId: id, app: 'shop', environment: 'production', version: 'v1.2.0', kind: 'rollback', previousVersion: 'v1.2.0', stages: ['gates', 'data'] },
    plain: `rollback of the data of shop/production (v1.2.0 stays live) as ${id}; stages: gates → data`,
  },
  { event: { type: 'gate:evaluated', at, deploymentId: id, gate: { name: 'window', result: 'block', reason: 'Saturday is not a deploy day' } }, plain: 'gate window: block — Saturday is not a deploy day' },
  { event: { type: 'gate:waiting', at, deploymentId: id, gate: 'approval', message: 'waiting for 1 approval from alice, bob' }, plain: 'gate approval: waiting for 1 approval from alice, bob' },
  { event: { type: 'stage:started', at, deploymentId: id, stage: 'build' }, plain: 'stage build started' },
  { event: { type: 'stage:finished', at, deploymentId: id, stage: 'build', durationMs: 125_000 }, plain: 'stage build finished (2m5s)' },
  { event: { type: 'stage:failed', at, deploymentId: id, stage: 'deploy', durationMs: 450, error: 'deploy: exited with code 7' }, plain: 'stage deploy FAILED (450ms): deploy: exited with code 7' },
  { event: { type: 'step:started', at, deploymentId: id, stage: 'deploy', step: 'deploy', detail: './deploy.sh' }, plain: '  deploy/deploy started: ./deploy.sh' },
  { event: { type: 'step:finished', at, deploymentId: id, stage: 'deploy', step: 'deploy', durationMs: 3000 }, plain: null, verbose: '  deploy/deploy finished (3s)' },
  { event: { type: 'step:failed', at, deploymentId: id, stage: 'smoke', step: 'api', error: 'HTTP 500' , durationMs: 10 }, plain: '  smoke/api failed: HTTP 500' },
  {
    event: { type: 'step:output', at, deploymentId: id, stage: 'deploy', step: 'deploy', lines: [{ stream: 'stdout', text: 'pulling' }, { stream: 'stderr', text: 'warn: slow' }] },
    plain: '    │ pulling\n    │ warn: slow',
  },
  { event: { type: 'undo:started', at, deploymentId: id, stage: 'deploy' }, plain: 'undo deploy started' },
  { event: { type: 'undo:finished', at, deploymentId: id, stage: 'deploy', durationMs: 61_000, done: true, detail: 'restored v1.1.0' }, plain: 'undo deploy finished: restored v1.1.0 (1m1s)' },
  { event: { type: 'undo:failed', at, deploymentId: id, stage: 'deploy', durationMs: 5, error: 'rollback.sh exited with code 9' }, plain: 'undo deploy FAILED: rollback.sh exited with code 9' },
  { event: { type: 'approval:added', at, deploymentId: id, approver: 'bob', comment: 'lgtm' }, plain: 'approved by bob: lgtm' },
  { event: { type: 'recovery:started', at, deploymentId: id, policy: 'rollback', reason: 'its process (pid 42 on ci-1) is gone' }, plain: `recovering interrupted deployment ${id} (its process (pid 42 on ci-1) is gone); policy: rollback` },
  { event: { type: 'cancel:requested', at, deploymentId: id, signal: 'SIGINT' }, plain: 'cancel requested (SIGINT)' },
  { event: { type: 'process:started', at, deploymentId: id, stage: 'deploy', pgid: 4242, start: 'boot:77', command: './deploy.sh' }, plain: null, verbose: '  deploy: process group 4242 runs ./deploy.sh' },
  { event: { type: 'process:ended', at, deploymentId: id, stage: 'deploy', pgid: 4242, command: './deploy.sh', signal: 'SIGTERM' }, plain: 'ended what the interrupted run left running: ./deploy.sh (process group 4242, SIGTERM)' },
  { event: { type: 'run:interrupted', at, deploymentId: id, reason: 'the state store did not answer for 30s' }, plain: 'INTERRUPTED: the state store did not answer for 30s' },
  {
    event: { type: 'rollout:step', at, deploymentId: id, stage: 'deploy', step: 'canary', status: 'started', trafficPercentage: 5, weights: { 'v1.1.0': 95, 'v1.2.0': 5 }, durationMs: 0 },
    plain: 'rollout canary: 5% to the new version (v1.1.0=95% v1.2.0=5%)',
  },
  { event: { type: 'rollout:step', at, deploymentId: id, stage: 'deploy', step: 'canary', status: 'failed', trafficPercentage: 5, weights: { 'v1.1.0': 100 }, durationMs: 2000 }, plain: 'rollout canary FAILED after 2s' },
  {
    event: {
      type: 'rollout:evaluation',
      at,
      deploymentId: id,
      stage: 'deploy',
      failures: 1,
      failureLimit: 2,
      evaluation: {
        at,
        step: 'canary',
        verdict: 'fail',
        reasons: ['error rate 20.0% (12 of 60 requests) is above 1.0%'],
        candidate: { version: 'v1.2.0', windowMs: 1000, requests: 60, errors5xx: 12, connErrors: 0, errorRate: 0.2, p50: 3, p95: 9, p99: 12 },
        stable: null,
        probes: [],
      },
    },
    plain: 'analysis canary: fail — error rate 20.0% (12 of 60 requests) is above 1.0% (1 of 2)',
  },
  { event: { type: 'rollout:weights', at, deploymentId: id, stage: 'deploy', weights: { 'v1.1.0': 100 }, reason: 'revert: analysis failed' }, plain: 'weights v1.1.0=100% (revert: analysis failed)' },
  { event: { type: 'rollout:paused', at, deploymentId: id, stage: 'deploy', step: 'progressive', reason: 'command' }, plain: 'rollout paused in progressive (by a person): shipgate resume or promote goes on, shipgate abort reverts' },
  { event: { type: 'rollout:paused', at, deploymentId: id, stage: 'deploy', step: 'canary', reason: 'inconclusive' }, plain: 'rollout paused in canary (analysis inconclusive): shipgate resume or promote goes on, shipgate abort reverts' },
  { event: { type: 'rollout:resumed', at, deploymentId: id, stage: 'deploy', step: 'progressive' }, plain: 'rollout resumed in progressive' },
  { event: { type: 'rollout:command', at, deploymentId: id, stage: 'deploy', step: 'canary', command: 'promote' }, plain: 'rollout: promote received in canary' },
  { event: { type: 'rollout:requested', at, deploymentId: id, command: 'abort', by: 'alice' }, plain: 'rollout: abort requested by alice' },
  { event: { type: 'deploy:finished', at, deploymentId: id, status: 'rolled_back', durationMs: 90_000, error: 'smoke failed', recordPath: '/x.json' }, plain: `${id} rolled_back in 1m30s: smoke failed` },
  { event: { type: 'stage:noted', at, deploymentId: id, stage: 'deploy', output: { startedFrom: 'v1.1.0' } }, plain: null, verbose: '  deploy noted {"startedFrom":"v1.1.0"}' },
  { event: { type: 'deploy:warning', at, deploymentId: id, message: 'the store looks lost' }, plain: 'WARNING: the store looks lost' },
  {
    event: { type: 'backups:pruned', at, deploymentId: id, pruned: [{ database: 'main', id: 'bk_1' }, { database: 'main', id: 'main/bk_0.sqlite.gz', orphan: true }, { database: 'cache', id: 'bk_2' }], errors: [{ database: 'cache', message: 'x' }] },
    plain: null,
    verbose: 'pruned backups: main: bk_1, main/bk_0.sqlite.gz (archive without manifest); cache: bk_2 (1 not deleted)',
  },
  { event: { type: 'scratch:dropped', at, deploymentId: id, database: 'main', names: ['shipgate_verify_1', 'shipgate_verify_2'] }, plain: 'main: dropped shipgate_verify_1, shipgate_verify_2, left by a proof whose process is gone' },
  { event: { type: 'deploy:acknowledged', at, deploymentId: id, by: 'alice', reason: 'restored v1 by hand' }, plain: 'failed rollback acknowledged by alice: restored v1 by hand' },
  {
    event: { type: 'incident:opened', at, deploymentId: id, incident: { id: 'inc_20260101T000000Z_abcde', type: 'rollback', severity: 'warning', details: 'Rolled back due to: 5xx', openedBy: 'alice', deploymentIds: [id] } },
    plain: 'incident inc_20260101T000000Z_abcde (rollback, warning) exported by alice: Rolled back due to: 5xx',
  },
  { event: { type: 'incident:resolved', at, deploymentId: id, incidentId: 'inc_20260101T000000Z_abcde', by: 'bob', resolution: 'fixed' }, plain: 'incident inc_20260101T000000Z_abcde resolved by bob: fixed' },
  {
    event: { type: 'agent:crash_loop', at, deploymentId: id, agentEventId: 'e1', environment: 'production', version: 'v2', message: 'v2#1 is crash-looping: 3 exits within 60s (exited with code 1)', data: {} },
    plain: 'agent (production): v2#1 is crash-looping: 3 exits within 60s (exited with code 1)',
  },
  {
    event: { type: 'agent:ejected', at, deploymentId: id, agentEventId: 'e2', environment: 'production', version: 'v2', message: 'router: v2 ejected at 2026-01-01T00:00:00.000Z (5 of 9 requests failed in the last 10s)', data: {} },
    plain: 'agent (production): router: v2 ejected at 2026-01-01T00:00:00.000Z (5 of 9 requests failed in the last 10s)',
  },
  {
    event: { type: 'agent:deadman_abort', at, deploymentId: id, agentEventId: 'e3', environment: 'staging', version: 'v2', message: 'dead-man switch: no heartbeat from rollout x for 3000ms; all traffic back to v1', data: {} },
    plain: 'agent (staging): dead-man switch: no heartbeat from rollout x for 3000ms; all traffic back to v1',
  },
];

describe('describeEvent', () => {
  for (const c of cases) {
    it(`renders ${c.event.type}`, () => {
      expect(describeEvent(c.event, false)).toBe(c.plain);
      expect(describeEvent(c.event, true)).toBe(c.verbose === undefined ? c.plain : c.verbose);
    });
  }

  it('covers every lifecycle event type', () => {
    const all: Record<LifecycleEventName, true> = {
      'deploy:started': true,
      'gate:evaluated': true,
      'gate:waiting': true,
      'stage:started': true,
      'stage:finished': true,
      'stage:failed': true,
      'step:started': true,
      'step:finished': true,
      'step:failed': true,
      'step:output': true,
      'undo:started': true,
      'undo:finished': true,
      'undo:failed': true,
      'approval:added': true,
      'recovery:started': true,
      'cancel:requested': true,
      'process:started': true,
      'process:ended': true,
      'run:interrupted': true,
      'rollout:step': true,
      'rollout:evaluation': true,
      'rollout:weights': true,
      'rollout:paused': true,
      'rollout:resumed': true,
      'rollout:command': true,
      'rollout:requested': true,
      'deploy:finished': true,
      'stage:noted': true,
      'deploy:warning': true,
      'deploy:acknowledged': true,
      'agent:crash_loop': true,
      'agent:ejected': true,
      'agent:deadman_abort': true,
      'backups:pruned': true,
      'scratch:dropped': true,
      'incident:opened': true,
      'incident:resolved': true,
    };
    expect([...new Set(cases.map((c) => c.event.type))].sort()).toEqual(Object.keys(all).sort());
  });

  it('words a first deployment, a rollback, and a success without error', () => {
    expect(describeEvent({ type: 'deploy:started', at, deploymentId: id, app: 'shop', environment: 'staging', version: 'v1.0.0', kind: 'rollback', previousVersion: null, stages: ['rollback'] }, false)).toBe(
      `rollback v1.0.0 to shop/staging (first deployment) as ${id}; stages: rollback`,
    );
    expect(describeEvent({ type: 'deploy:finished', at, deploymentId: id, status: 'succeeded', durationMs: 999, error: null, recordPath: null }, false)).toBe(`${id} succeeded in 999ms`);
    expect(describeEvent({ type: 'approval:added', at, deploymentId: id, approver: 'bob', comment: null }, false)).toBe('approved by bob');
  });

  it('shows a step start without detail only when verbose', () => {
    const e: JournaledEvent = { type: 'step:started', at, deploymentId: id, stage: 'smoke', step: 'api' };
    expect(describeEvent(e, false)).toBeNull();
    expect(describeEvent(e, true)).toBe('  smoke/api started');
  });
});
