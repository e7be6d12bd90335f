import { ackCommand, describeFailure } from '../../pipeline/stop-sign.js';
import { agentDisagreement, statusScriptDisagreement } from '../../pipeline/target-truth.js';
import type { EnvironmentStatus } from '../../pipeline/environment-status.js';
import type { TargetStatus } from '../../providers/command/status.js';
import { describeWeights, sameWeights } from '../../agent/describe.js';
import { stableOf } from '../../rollout/weights.js';
import type { Store } from '../../store/contract.js';
import type { Output } from '../output.js';

/* The parts of `shipgate status` that say where the store's word is in doubt, and the stop sign. */

/** How many recent deployments name the versions a status script's output is compared with. */
export const KNOWN_VERSIONS_LIMIT = 50;

/** What the environment's agent says, as far as the truth about what is live goes. */
export interface RoutedView {
  /** What the router process serves (the agent's weights when no router answers). */
  weights: Record<string, number>;
  /** The agent's own weights, when it runs and its router answers: they should be the same. */
  agentWeights: Record<string, number> | null;
  /** A rollout in progress splits traffic on purpose: no comparison then. */
  rolloutActive: boolean;
}

/** Every warning about this environment: the store against the records (already in `s`), the router, the status script. */
export async function truthWarnings(s: EnvironmentStatus, agent: RoutedView | null, target: TargetStatus | null, store: Store): Promise<string[]> {
  const where = `${s.app}/${s.environment}`;
  const live = s.live?.version ?? null;
  const warnings = [...s.warnings];
  const settled = s.activity.length === 0;
  if (agent && settled && !agent.rolloutActive) {
    const routed = agentDisagreement(live, stableOf(agent.weights), where);
    // A store already in doubt (records) says the same thing better.
    if (routed && !(live === null && warnings.length > 0)) warnings.push(routed);
    if (agent.agentWeights && !sameWeights(agent.agentWeights, agent.weights)) {
      warnings.push(`the agent of ${where} holds ${describeWeights(agent.agentWeights)}, but its router serves ${describeWeights(agent.weights)}; the router's is what is live (shipgate agent status --env ${s.environment}; the next deploy or rollback sets the weights again)`);
    }
  }
  if (target?.ok && settled) {
    const known = [...new Set((await store.listDeployments({ app: s.app, environment: s.environment, limit: KNOWN_VERSIONS_LIMIT })).map((d) => d.version))];
    const named = statusScriptDisagreement(target.output, live, known, where);
    if (named) warnings.push(named);
  }
  return warnings;
}

/** The stop sign, in red, first thing under the environment's name. */
export function printStopSigns(s: EnvironmentStatus, out: Output): void {
  if (s.stopSigns.length === 0) return;
  const newest = s.stopSigns[0]!;
  for (const d of s.stopSigns) out.line(`  ${out.paint('red', 'STOPPED:  ')} ${out.paint('red', describeFailure(d))}`);
  out.line(`             no deploy or rollback starts until someone looks: shipgate show ${newest.id} --events, and the target itself`);
  for (const d of s.stopSigns) out.line(`             then: ${ackCommand(d.id)}`);
}

export function printWarnings(warnings: readonly string[], out: Output): void {
  for (const w of warnings) out.line(`  ${out.paint('yellow', 'WARNING:  ')} ${w}`);
}

export function stopSignsJson(s: EnvironmentStatus): Record<string, unknown>[] {
  return s.stopSigns.map((d) => ({ deployment_id: d.id, kind: d.kind, version: d.version, previous_version: d.previousVersion, finished_at: d.finishedAt, error: d.error, ack: ackCommand(d.id) }));
}
