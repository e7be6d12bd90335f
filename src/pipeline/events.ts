import type { GateResult } from '../gates/contract.js';
import type { DeploymentKind, DeploymentStatus } from '../store/contract.js';
import type { RolloutCommand } from '../rollout/contract.js';
import type { RolloutEvent } from '../rollout/events.js';

/** An event of the local agent's own (crash loop, ejection, dead-man abort), journaled by the next command or `serve` (pipeline/agent-events.ts). */
export interface AgentJournaled {
  deploymentId: string;
  /** The agent's id of the event: it is journaled once, however often it is read. */
  agentEventId: string;
  environment: string;
  version: string;
  message: string;
  data: Record<string, unknown>;
}

/** A rollout event as journaled: with the deployment and the stage that ran it. */
type Journaled<E> = Omit<E, 'type'> & { deploymentId: string; stage: string };

/** How long the pipeline waits for listeners of an event it must know were heard (deploy:finished). */
export const DEFAULT_LISTENER_TIMEOUT_MS = 10_000;

/**
 * Typed lifecycle events. The journal writes each one before subscribers hear it.
 * The progress view, notifiers, metrics and the dashboard subscribe; the
 * pipeline never calls them by name.
 */
export interface LifecycleEvents {
  'deploy:started': { deploymentId: string; app: string; environment: string; version: string; kind: 'deploy' | 'rollback'; previousVersion: string | null; stages: string[] };
  'gate:evaluated': { deploymentId: string; gate: GateResult };
  'gate:waiting': { deploymentId: string; gate: string; message: string };
  'stage:started': { deploymentId: string; stage: string };
  'stage:finished': { deploymentId: string; stage: string; durationMs: number; output?: Record<string, unknown> };
  'stage:failed': { deploymentId: string; stage: string; durationMs: number; error: string; output?: Record<string, unknown> };
  'step:started': { deploymentId: string; stage: string; step: string; detail?: string };
  'step:finished': { deploymentId: string; stage: string; step: string; durationMs: number; detail?: string };
  'step:failed': { deploymentId: string; stage: string; step: string; durationMs: number; error: string };
  'step:output': { deploymentId: string; stage: string; step: string; lines: { stream: 'stdout' | 'stderr'; text: string }[] };
  /** A command's process group exists and is about to run the command (recovery ends a group its dead run left behind). */
  'process:started': { deploymentId: string; stage: string; pgid: number; start: string | null; command: string };
  /** Recovery ended a process group that a dead run had left running. */
  'process:ended': { deploymentId: string; stage: string | null; pgid: number; command: string; signal: 'SIGTERM' | 'SIGKILL' };
  'undo:started': { deploymentId: string; stage: string };
  'undo:finished': { deploymentId: string; stage: string; durationMs: number; done: boolean; detail: string };
  'undo:failed': { deploymentId: string; stage: string; durationMs: number; error: string };
  'approval:added': { deploymentId: string; approver: string; comment: string | null };
  'recovery:started': { deploymentId: string; policy: 'rollback' | 'resume'; reason: string };
  'cancel:requested': { deploymentId: string; signal: string };
  /** The run stopped without finishing (store unreachable, an internal error); the next command settles it. */
  'run:interrupted': { deploymentId: string; reason: string };
  'rollout:step': Journaled<Extract<RolloutEvent, { type: 'rollout:step' }>>;
  'rollout:evaluation': Journaled<Extract<RolloutEvent, { type: 'rollout:evaluation' }>>;
  'rollout:weights': Journaled<Extract<RolloutEvent, { type: 'rollout:weights' }>>;
  'rollout:paused': Journaled<Extract<RolloutEvent, { type: 'rollout:paused' }>>;
  'rollout:resumed': Journaled<Extract<RolloutEvent, { type: 'rollout:resumed' }>>;
  'rollout:command': Journaled<Extract<RolloutEvent, { type: 'rollout:command' }>>;
  /**
   * A person asked the running rollout for a command (`shipgate promote|abort|pause|resume`) through the store:
   * the rollout session of a provider whose target has no agent of shipgate's (Fly.io). The deploy process
   * takes it at its next look and journals `rollout:command` when it acts on it.
   */
  'rollout:requested': { deploymentId: string; command: RolloutCommand; by: string };
  'deploy:finished': { deploymentId: string; status: DeploymentStatus; durationMs: number; error: string | null; recordPath: string | null };
  /** Part of a stage's output known before the stage ends (what the target ran before anything moved): an undo after a crash needs it. */
  'stage:noted': { deploymentId: string; stage: string; output: Record<string, unknown> };
  /** Something a person should know about this deployment (the store and the target disagree, the store looks lost). */
  'deploy:warning': { deploymentId: string; message: string };
  /** Retention after a successful deploy: the backups it deleted, and what it could not delete (never a failure of the deploy). */
  'backups:pruned': { deploymentId: string; pruned: { database: string; id: string; orphan?: boolean }[]; errors: { database: string; message: string }[] };
  /** Recovery dropped scratch databases of backup proofs whose process is gone (a run killed mid-proof). */
  'scratch:dropped': { deploymentId: string; database: string; names: string[] };
  /** The local agent saw an instance of the version exit again and again. */
  'agent:crash_loop': AgentJournaled;
  /** The local agent's router stopped sending weighted traffic to a version that kept failing. */
  'agent:ejected': AgentJournaled;
  /** The local agent moved traffic back to stable on its own: the process driving the rollout stopped sending heartbeats. */
  'agent:deadman_abort': AgentJournaled;
  /** `shipgate ack`: a person looked at a failed rollback; later deployments may start again. */
  'deploy:acknowledged': { deploymentId: string; by: string; reason: string };
  /** `shipgate incident export`: an incident linked to this deployment (and maybe others); channels that ask for `incident` hear it. */
  'incident:opened': { deploymentId: string; incident: IncidentSummary };
  /** `shipgate incident resolve`: service is restored. */
  'incident:resolved': { deploymentId: string; incidentId: string; by: string; resolution: string | null };
}

/** What the journal and the channels are told of an incident. */
export interface IncidentSummary {
  id: string;
  type: string;
  severity: string;
  details: string;
  openedBy: string;
  deploymentIds: string[];
}

export type LifecycleEventName = keyof LifecycleEvents;

/** What every event is about, whatever its type: consumers route and filter on it. */
export interface EventContext {
  deploymentId: string;
  app: string;
  environment: string;
  version: string;
  kind: DeploymentKind;
  /** Who started the deployment. */
  actor: string;
}

type Envelope<K extends LifecycleEventName> = { type: K; at: string; context: EventContext } & LifecycleEvents[K];

/** An event as the journal stores it (no context: the deployment row has it). */
export type JournaledEvent = { [K in LifecycleEventName]: { type: K; at: string } & LifecycleEvents[K] }[LifecycleEventName];

/** An event as subscribers hear it. */
export type AnyLifecycleEvent = { [K in LifecycleEventName]: Envelope<K> }[LifecycleEventName];

/** A listener may be async; its failure is reported, never propagated. */
export type Listener<E> = (event: E) => void | Promise<void>;

export interface EventBusOptions {
  /** Where listener failures go. @default a process warning */
  onListenerError?: (failure: { type: string; error: unknown }) => void;
}

/**
 * A typed event bus that is safe to hang anything on. A listener that throws or
 * returns a rejected promise is reported through `onListenerError` and never
 * reaches the emitter: a notifier cannot kill a deploy. Listeners are called in
 * order, synchronously, so renderers see events in journal order; async ones
 * run on and are tracked, so a caller can wait for them (bounded) where it must
 * know they finished.
 */
export class EventBus {
  private readonly listeners = new Map<string, Listener<AnyLifecycleEvent>[]>();
  private readonly pending = new Set<Promise<void>>();
  private readonly report: (failure: { type: string; error: unknown }) => void;

  constructor(opts: EventBusOptions = {}) {
    this.report = opts.onListenerError ?? ((f) => process.emitWarning(`event listener for ${f.type} failed: ${describe(f.error)}`));
  }

  on<K extends LifecycleEventName>(type: K, listener: Listener<Envelope<K>>): () => void {
    return this.add(type, listener as unknown as Listener<AnyLifecycleEvent>);
  }

  /** Every event, in order. */
  onAny(listener: Listener<AnyLifecycleEvent>): () => void {
    return this.add('*', listener);
  }

  /**
   * Delivers `event` to its listeners. Never throws or rejects. Resolves when
   * every async listener of this event settled, or after `waitMs` (they run on).
   */
  emit(event: AnyLifecycleEvent, waitMs = 0): Promise<void> {
    const running: Promise<void>[] = [];
    for (const name of [event.type, '*']) {
      for (const listener of [...(this.listeners.get(name) ?? [])]) {
        const settled = this.call(listener, event);
        if (settled) running.push(settled);
      }
    }
    return running.length === 0 || waitMs <= 0 ? Promise.resolve() : within(Promise.all(running).then(() => undefined), waitMs);
  }

  /** Waits for every async listener still running (bounded): a process about to exit calls this. */
  settle(waitMs = DEFAULT_LISTENER_TIMEOUT_MS): Promise<void> {
    return this.pending.size === 0 ? Promise.resolve() : within(Promise.all([...this.pending]).then(() => undefined), waitMs);
  }

  private add(name: string, listener: Listener<AnyLifecycleEvent>): () => void {
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), listener]);
    return () => this.listeners.set(name, (this.listeners.get(name) ?? []).filter((l) => l !== listener));
  }

  /** Calls one listener; returns a promise that never rejects when it is async. */
  private call(listener: Listener<AnyLifecycleEvent>, event: AnyLifecycleEvent): Promise<void> | null {
    let result: void | Promise<void>;
    try {
      result = listener(event);
    } catch (error) {
      this.safeReport(event.type, error);
      return null;
    }
    if (!isThenable(result)) return null;
    const settled = Promise.resolve(result).then(
      () => undefined,
      (error: unknown) => this.safeReport(event.type, error),
    );
    this.pending.add(settled);
    void settled.finally(() => this.pending.delete(settled));
    return settled;
  }

  private safeReport(type: string, error: unknown): void {
    try {
      this.report({ type, error });
    } catch {
      // a reporter that fails has nowhere left to report to
    }
  }
}

function isThenable(v: unknown): v is PromiseLike<void> {
  return typeof (v as { then?: unknown } | null | undefined)?.then === 'function';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `p`, or nothing after `ms`; the timer does not keep the process alive. */
function within(p: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    void p.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
