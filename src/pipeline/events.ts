import { EventEmitter } from 'node:events';
import type { GateResult } from '../gates/contract.js';
import type { DeploymentStatus } from '../store/contract.js';
import type { RolloutEvent } from '../rollout/events.js';

/** A rollout event as journaled: with the deployment and the stage that ran it. */
type Journaled<E> = Omit<E, 'type'> & { deploymentId: string; stage: string };

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
  'undo:started': { deploymentId: string; stage: string };
  'undo:finished': { deploymentId: string; stage: string; durationMs: number; done: boolean; detail: string };
  'undo:failed': { deploymentId: string; stage: string; durationMs: number; error: string };
  'approval:added': { deploymentId: string; approver: string; comment: string | null };
  'recovery:started': { deploymentId: string; policy: 'rollback' | 'resume'; reason: string };
  'cancel:requested': { deploymentId: string; signal: string };
  'rollout:step': Journaled<Extract<RolloutEvent, { type: 'rollout:step' }>>;
  'rollout:evaluation': Journaled<Extract<RolloutEvent, { type: 'rollout:evaluation' }>>;
  'rollout:weights': Journaled<Extract<RolloutEvent, { type: 'rollout:weights' }>>;
  'rollout:paused': Journaled<Extract<RolloutEvent, { type: 'rollout:paused' }>>;
  'rollout:resumed': Journaled<Extract<RolloutEvent, { type: 'rollout:resumed' }>>;
  'rollout:command': Journaled<Extract<RolloutEvent, { type: 'rollout:command' }>>;
  'deploy:finished': { deploymentId: string; status: DeploymentStatus; durationMs: number; error: string | null; recordPath: string | null };
  /** Part of a stage's output known before the stage ends (what the target ran before anything moved): an undo after a crash needs it. */
  'stage:noted': { deploymentId: string; stage: string; output: Record<string, unknown> };
  /** Something a person should know about this deployment (the store and the target disagree, the store looks lost). */
  'deploy:warning': { deploymentId: string; message: string };
  /** `shipgate ack`: a person looked at a failed rollback; later deployments may start again. */
  'deploy:acknowledged': { deploymentId: string; by: string; reason: string };
}

export type LifecycleEventName = keyof LifecycleEvents;

export type AnyLifecycleEvent = { [K in LifecycleEventName]: { type: K; at: string } & LifecycleEvents[K] }[LifecycleEventName];

/** A typed event bus. Listeners must not throw; a throwing listener is reported and ignored. */
export class EventBus {
  private emitter = new EventEmitter();

  on<K extends LifecycleEventName>(type: K, listener: (event: { type: K; at: string } & LifecycleEvents[K]) => void): () => void {
    this.emitter.on(type, listener as (e: unknown) => void);
    return () => this.emitter.off(type, listener as (e: unknown) => void);
  }

  /** Every event, in order. */
  onAny(listener: (event: AnyLifecycleEvent) => void): () => void {
    this.emitter.on('*', listener);
    return () => this.emitter.off('*', listener);
  }

  emit(event: AnyLifecycleEvent): void {
    for (const name of [event.type, '*'] as const) {
      for (const l of this.emitter.listeners(name)) {
        try {
          (l as (e: unknown) => void)(event);
        } catch (err) {
          process.emitWarning(`event listener for ${event.type} threw: ${(err as Error).message}`);
        }
      }
    }
  }
}
