import type { AnyLifecycleEvent, EventBus } from '../../pipeline/events.js';
import type { LogLevel } from '../../runtime/logger.js';
import type { Output } from '../output.js';
import { describeEvent } from './describe-event.js';

/** Under --log-format json: one JSON line per lifecycle event, with its text and its fields. */
export function attachJsonLogRenderer(bus: EventBus, out: Output): () => void {
  return bus.onAny((e) => out.log(eventLevel(e), describeEvent(e, true) ?? e.type, eventFields(e)));
}

/** Pure: failures are errors, warnings warn, the rest is info. */
export function eventLevel(e: AnyLifecycleEvent): LogLevel {
  if (e.type.endsWith(':failed') || e.type === 'run:interrupted') return 'error';
  if (e.type === 'deploy:warning') return 'warn';
  if (e.type === 'deploy:finished') return e.status === 'succeeded' ? 'info' : 'error';
  return 'info';
}

/** Pure: the fields of a log line: what the event is about, then its own data (already masked by the journal). */
export function eventFields(e: AnyLifecycleEvent): Record<string, unknown> {
  const { type, at, context, deploymentId: _id, stage, step, ...data } = e as AnyLifecycleEvent & { stage?: unknown; step?: unknown };
  const where = { ...(typeof stage === 'string' ? { stage } : {}), ...(typeof step === 'string' ? { step } : {}) };
  return { event: type, at, deployment_id: context.deploymentId, app: context.app, environment: context.environment, version: context.version, kind: context.kind, ...where, data };
}
