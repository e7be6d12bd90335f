import { NotFound, UsageError } from '../errors.js';
import type { DeploymentRow } from '../store/contract.js';

type Live = Pick<DeploymentRow, 'id' | 'app' | 'environment' | 'kind' | 'version' | 'previousVersion'>;

/**
 * Pure: the version a plain `shipgate rollback` (no `--to`) returns to: the one
 * live before the live deployment. After a rollback, that is the version just
 * rolled away from, so a second rollback would quietly put it back; shipgate
 * refuses and says how to go either way instead.
 */
export function plainRollbackTarget(live: Live): string {
  const from = live.previousVersion;
  if (!from) throw new NotFound(`nothing to roll back to: ${live.version} (${live.id}) was the first deployment of ${live.app}/${live.environment}; pass --to VERSION`);
  if (live.kind === 'rollback') {
    throw new UsageError(
      `${live.version} is live after rolling back from ${from} (${live.id}); a second rollback would put ${from} back. ` +
        `To go forward to ${from} again, run \`shipgate deploy ${from}\` or \`shipgate rollback --to ${from}\`; ` +
        'to go further back, `shipgate rollback --to VERSION` (`shipgate releases` lists the kept ones).',
    );
  }
  return from;
}

/** Pure: what `shipgate status` names as the rollback target: none after a rollback (see {@link plainRollbackTarget}). */
export function statusRollbackTarget(live: Pick<DeploymentRow, 'kind' | 'previousVersion'> | null): string | null {
  return live && live.kind !== 'rollback' ? live.previousVersion : null;
}
