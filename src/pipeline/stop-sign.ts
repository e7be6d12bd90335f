import type { DeploymentRow } from '../store/contract.js';

/**
 * `rollback_failed` is a stop sign: the target may run neither version, and a
 * deploy or rollback on top of it would build on an unknown state. Until a
 * person acknowledges it (`shipgate ack <id> --reason "…"`), the environment's
 * deploys and rollbacks refuse to start. `resume` still runs: it only finishes
 * what a dead process began, which can only make the state better known.
 */

/** The command that lifts the stop sign for one deployment. */
export function ackCommand(deploymentId: string): string {
  return `shipgate ack ${deploymentId} --reason "what you found and did"`;
}

/** Pure: one line per failure: what, when, and what failed (the stage and its error are in the row's error). */
export function describeFailure(d: Pick<DeploymentRow, 'id' | 'kind' | 'version' | 'previousVersion' | 'finishedAt' | 'error'>): string {
  const from = d.previousVersion ? ` (replacing ${d.previousVersion})` : '';
  return `${d.kind} ${d.version}${from} failed and its rollback failed too (${d.id}${d.finishedAt ? `, ${d.finishedAt}` : ''}): ${d.error ?? 'no error recorded'}`;
}

/** Pure: the message of BlockedByFailedRollback. */
export function stopSignMessage(app: string, environment: string, failures: readonly DeploymentRow[]): string {
  const newest = failures[0]!;
  return [
    `${app}/${environment} is stopped: what runs there is unknown, so nothing new starts on top of it.`,
    ...failures.map((d) => `  ${describeFailure(d)}`),
    `Look first: shipgate show ${newest.id} --events, and the target itself (what it runs, whether it is healthy); put it right by hand.`,
    `Then say so: ${failures.map((d) => ackCommand(d.id)).join('; ')}`,
  ].join('\n');
}
