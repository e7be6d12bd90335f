/** Shared fixtures for pipeline unit tests: configs, facts, stores, journals and fake stages. */
import { join } from 'node:path';
import { resolveDocument, type LoadedConfig } from '../../../src/config/index.js';
import { Pipeline } from '../../../src/pipeline/deployment.js';
import type { BaseContext } from '../../../src/pipeline/context.js';
import { EventBus } from '../../../src/pipeline/events.js';
import type { DeploymentFacts, Stage, StageContext, UndoOutcome } from '../../../src/pipeline/stage.js';
import type { Clock } from '../../../src/runtime/clock.js';
import type { HttpClient } from '../../../src/runtime/http.js';
import type { Runner } from '../../../src/runtime/process.js';
import type { DeploymentRow, EventRow, Store } from '../../../src/store/contract.js';
import { openStore } from '../../../src/store/index.js';

export const T0 = '2026-11-23T17:00:00.000Z';

export const noHttp: HttpClient = () => Promise.reject(new Error('no HTTP in this test'));
export const noRun: Runner = () => Promise.reject(new Error('no processes in this test'));

/** The smallest valid config, as `loadConfig` would resolve it for "production". */
export function loadDoc(doc: Record<string, unknown> = {}, opts: { root?: string; env?: NodeJS.ProcessEnv } = {}): LoadedConfig {
  const full = { app: 'demo', provider: { type: 'command', deploy: ['./deploy.sh'] }, ...doc };
  return resolveDocument(full, 'production', join(opts.root ?? '/tmp/shipgate-unit', 'shipgate.yaml'), opts.env ?? {});
}

export function makeFacts(overrides: Partial<DeploymentFacts> = {}): DeploymentFacts {
  return {
    id: 'dep_20261123T170000Z_00aaa',
    app: 'demo',
    environment: 'production',
    kind: 'deploy',
    version: 'v1.1.0',
    previousVersion: 'v1.0.0',
    actor: 'alice',
    reason: null,
    gitSha: null,
    gitRef: null,
    emergency: null,
    rollbackOf: null,
    data: { backup: true, skipMigrations: false, allowDestructive: false },
    ...overrides,
  };
}

export function memoryStore(): Promise<Store> {
  return openStore('sqlite::memory:', { root: '/tmp' });
}

/** Stores the deployment row the way `Pipeline.start` does. */
export async function createRow(store: Store, facts: DeploymentFacts, startedAt = T0, meta: Record<string, unknown> = {}): Promise<void> {
  await store.createDeployment({ ...facts, triggeredBy: facts.actor, status: 'running', startedAt, meta });
}

/** A BaseContext built by the real `Pipeline.base()`. */
export function makeBase(opts: { store: Store; loaded: LoadedConfig; facts: DeploymentFacts; clock: Clock; signal?: AbortSignal; bus?: EventBus; run?: Runner; http?: HttpClient }): BaseContext {
  const pipeline = new Pipeline(opts.loaded, {
    store: opts.store,
    clock: opts.clock,
    http: opts.http ?? noHttp,
    run: opts.run ?? noRun,
    bus: opts.bus ?? new EventBus(),
    identity: { pid: process.pid, host: 'test-host', start: null },
    env: {},
  });
  const signal = opts.signal ?? new AbortController().signal;
  return pipeline.base(opts.facts, { signal, killSignal: signal });
}

export interface StageCall {
  what: 'run' | 'undo';
  stage: string;
  /** For undo: the output the stage's run returned (from the journal). */
  output?: Record<string, unknown> | null;
  /** Whether the context's soft signal was aborted when called. */
  aborted: boolean;
}

export interface FakeStageOptions {
  /** Thrown by run (or a function building what to throw). */
  fail?: Error | ((ctx: StageContext) => Error);
  /** What run returns. */
  output?: Record<string, unknown>;
  /** Called first thing in run. */
  onRun?: (ctx: StageContext) => void | Promise<void>;
  /** The stage has an undo: 'done' changes something, 'nothing' has nothing to do, 'throw' fails. */
  undo?: 'done' | 'nothing' | 'throw';
  undoError?: Error;
}

/** A stage that records its calls into `log`. */
export function fakeStage(name: string, log: StageCall[], opts: FakeStageOptions = {}): Stage {
  const stage: Stage = {
    name,
    plan: () => [{ step: name, detail: `fake ${name}` }],
    async run(ctx) {
      log.push({ what: 'run', stage: name, aborted: ctx.signal.aborted });
      await opts.onRun?.(ctx);
      if (opts.fail) throw typeof opts.fail === 'function' ? opts.fail(ctx) : opts.fail;
      return opts.output;
    },
  };
  if (opts.undo) {
    const kind = opts.undo;
    stage.undo = async (ctx, output): Promise<UndoOutcome> => {
      log.push({ what: 'undo', stage: name, output, aborted: ctx.signal.aborted });
      if (kind === 'throw') throw opts.undoError ?? new Error(`cannot undo ${name}`);
      return kind === 'done' ? { done: true, detail: `undid ${name}` } : { done: false, detail: `nothing to undo in ${name}` };
    };
  }
  return stage;
}

let seq = 0;

/** A journal event as the store returns it. */
export function ev(type: string, stage: string | null = null, data: Record<string, unknown> = {}, at = T0, deploymentId = 'dep_x'): EventRow {
  return { seq: ++seq, deploymentId, at, type, stage, step: null, data: { deploymentId, ...(stage ? { stage } : {}), ...data } };
}

/** A deployment row with sensible defaults. */
export function makeRow(overrides: Partial<DeploymentRow> = {}): DeploymentRow {
  return {
    id: 'dep_20261123T170000Z_00aaa',
    app: 'demo',
    environment: 'production',
    kind: 'deploy',
    version: 'v1.1.0',
    previousVersion: 'v1.0.0',
    status: 'succeeded',
    triggeredBy: 'alice',
    reason: null,
    gitSha: null,
    gitRef: null,
    rollbackOf: null,
    startedAt: T0,
    finishedAt: '2026-11-23T17:02:00.000Z',
    currentStage: null,
    meta: {},
    error: null,
    ...overrides,
  };
}
