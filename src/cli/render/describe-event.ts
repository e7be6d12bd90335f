import { humanDuration } from '../../config/duration.js';
import type { JournaledEvent } from '../../pipeline/events.js';

/** Pure: one line of text for a lifecycle event (null: not shown). */
export function describeEvent(e: JournaledEvent, verbose: boolean): string | null {
  switch (e.type) {
    case 'deploy:started':
      // A rollback of the data only (no rollback stage) leaves the app as it is: its version is the live one.
      if (e.kind === 'rollback' && !e.stages.includes('rollback')) return `rollback of the data of ${e.app}/${e.environment} (${e.version} stays live) as ${e.deploymentId}; stages: ${e.stages.join(' → ')}`;
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
    case 'process:started':
      return verbose ? `  ${e.stage}: process group ${e.pgid} runs ${e.command}` : null;
    case 'process:ended':
      return `ended what the interrupted run left running: ${e.command} (process group ${e.pgid}, ${e.signal})`;
    case 'run:interrupted':
      return `INTERRUPTED: ${e.reason}`;
    case 'cancel:requested':
      return `cancel requested (${e.signal})`;
    case 'approval:added':
      return `approved by ${e.approver}${e.comment ? `: ${e.comment}` : ''}`;
    case 'rollout:step':
      return e.status === 'started' ? `rollout ${e.step}: ${e.trafficPercentage}% to the new version (${weightsText(e.weights)})` : `rollout ${e.step} ${e.status === 'finished' ? 'healthy' : 'FAILED'} after ${humanDuration(e.durationMs)}`;
    case 'rollout:evaluation':
      return `analysis ${e.evaluation.step}: ${e.evaluation.verdict}${e.evaluation.reasons.length ? ` — ${e.evaluation.reasons.join('; ')}` : ''}${e.evaluation.verdict === 'fail' ? ` (${e.failures} of ${e.failureLimit})` : ''}`;
    case 'rollout:weights':
      return `weights ${weightsText(e.weights)} (${e.reason})`;
    case 'rollout:paused':
      return `rollout paused in ${e.step} (${e.reason === 'inconclusive' ? 'analysis inconclusive' : 'by a person'}): shipgate resume or promote goes on, shipgate abort reverts`;
    case 'rollout:resumed':
      return `rollout resumed in ${e.step}`;
    case 'rollout:command':
      return `rollout: ${e.command} received in ${e.step}`;
    case 'rollout:requested':
      return `rollout: ${e.command} requested by ${e.by}`;
    case 'deploy:finished':
      return `${e.deploymentId} ${e.status} in ${humanDuration(e.durationMs)}${e.error ? `: ${e.error}` : ''}`;
    case 'stage:noted':
      return verbose ? `  ${e.stage} noted ${JSON.stringify(e.output)}` : null;
    case 'deploy:warning':
      return `WARNING: ${e.message}`;
    case 'backups:pruned':
      // The summary after the deploy says it (run-pipeline.ts).
      return verbose ? `pruned backups: ${prunedText(e.pruned) || 'none'}${e.errors.length > 0 ? ` (${e.errors.length} not deleted)` : ''}` : null;
    case 'scratch:dropped':
      return `${e.database}: dropped ${e.names.join(', ')}, left by a proof whose process is gone`;
    case 'agent:crash_loop':
    case 'agent:ejected':
    case 'agent:deadman_abort':
      return `agent (${e.environment}): ${e.message}`;
    case 'deploy:acknowledged':
      return `failed rollback acknowledged by ${e.by}: ${e.reason}`;
    case 'incident:opened':
      return `incident ${e.incident.id} (${e.incident.type}, ${e.incident.severity}) exported by ${e.incident.openedBy}: ${e.incident.details}`;
    case 'incident:resolved':
      return `incident ${e.incidentId} resolved by ${e.by}${e.resolution ? `: ${e.resolution}` : ''}`;
  }
}

/** `main: bk_1, bk_2; cache: bk_3` (an archive without a manifest is named by its key). */
export function prunedText(pruned: readonly { database: string; id: string; orphan?: boolean }[]): string {
  const by = new Map<string, string[]>();
  for (const p of pruned) by.set(p.database, [...(by.get(p.database) ?? []), p.orphan ? `${p.id} (archive without manifest)` : p.id]);
  return [...by].map(([db, ids]) => `${db}: ${ids.join(', ')}`).join('; ');
}

export function weightsText(w: Record<string, number>): string {
  return Object.entries(w).map(([v, p]) => `${v}=${p}%`).join(' ') || 'no traffic';
}
