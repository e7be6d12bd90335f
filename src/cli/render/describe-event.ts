import { humanDuration } from '../../config/duration.js';
import type { AnyLifecycleEvent } from '../../pipeline/events.js';

/** Pure: one line of text for a lifecycle event (null: not shown). */
export function describeEvent(e: AnyLifecycleEvent, verbose: boolean): string | null {
  switch (e.type) {
    case 'deploy:started':
      return `${e.kind} ${e.version} to ${e.app}/${e.environment} (${e.previousVersion ? `live: ${e.previousVersion}` : 'first deployment'}) as ${e.deploymentId}; stages: ${e.stages.join(' → ')}`;
    case 'gate:evaluated':
      return `gate ${e.gate.name}: ${e.gate.result} — ${e.gate.reason}`;
    case 'gate:waiting':
      return `gate ${e.gate}: ${e.message}`;
    case 'stage:started':
      return `stage ${e.stage} started`;
    case 'stage:finished':
      return `stage ${e.stage} finished (${humanDuration(e.durationMs)})`;
    case 'stage:failed':
      return `stage ${e.stage} FAILED (${humanDuration(e.durationMs)}): ${e.error}`;
    case 'step:started':
      return verbose || e.detail ? `  ${e.stage}/${e.step} started${e.detail ? `: ${e.detail}` : ''}` : null;
    case 'step:finished':
      return verbose ? `  ${e.stage}/${e.step} finished (${humanDuration(e.durationMs)})` : null;
    case 'step:failed':
      return `  ${e.stage}/${e.step} failed: ${e.error}`;
    case 'step:output':
      return e.lines.map((l) => `    │ ${l.text}`).join('\n');
    case 'undo:started':
      return `undo ${e.stage} started`;
    case 'undo:finished':
      return `undo ${e.stage} finished: ${e.detail} (${humanDuration(e.durationMs)})`;
    case 'undo:failed':
      return `undo ${e.stage} FAILED: ${e.error}`;
    case 'recovery:started':
      return `recovering interrupted deployment ${e.deploymentId} (${e.reason}); policy: ${e.policy}`;
    case 'cancel:requested':
      return `cancel requested (${e.signal})`;
    case 'approval:added':
      return `approved by ${e.approver}${e.comment ? `: ${e.comment}` : ''}`;
    case 'deploy:finished':
      return `${e.deploymentId} ${e.status} in ${humanDuration(e.durationMs)}${e.error ? `: ${e.error}` : ''}`;
  }
}
