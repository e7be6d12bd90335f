/** Pure: which report a finished deployment gets, masked as a whole. */
import type { DeploymentRecord } from '../pipeline/record.js';
import type { Masker } from '../runtime/secrets.js';
import type { CommandScope } from './commands.js';
import type { DeploymentReport } from './contract.js';
import { buildFailureReport } from './failure.js';
import { buildSuccessReport } from './success.js';

/** A failure report for every outcome but success; rollback instructions for a successful deploy; nothing for a successful rollback. */
export function buildReport(record: DeploymentRecord, scope: CommandScope, masker: Pick<Masker, 'maskValue'>): DeploymentReport | null {
  if (record.status === 'running' || record.status === 'awaiting_approval') return null;
  if (record.status !== 'succeeded') return masker.maskValue(buildFailureReport(record, scope));
  return record.kind === 'deploy' ? masker.maskValue(buildSuccessReport(record, scope)) : null;
}
