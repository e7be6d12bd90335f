import { NotFound, UsageError } from '../../errors.js';
import { checkApprover } from '../../gates/approval.js';
import type { ApprovalGateConfig } from '../../gates/approval.js';
import { isTerminal } from '../../store/contract.js';
import { resolveActor } from '../../runtime/actor.js';
import { lightConfig } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalOptions, Output } from '../output.js';
import { eventContext } from '../../pipeline/journal.js';
import { wire } from '../../pipeline/wiring.js';

export interface ApproveFlags extends GlobalOptions {
  by?: string;
  comment?: string;
}

/**
 * `shipgate approve <id> --by NAME`. The rule applied is the one the waiting
 * deployment stored when it parked, so approvers need no deploy secrets.
 */
export async function approveCommand(id: string, flags: ApproveFlags, out: Output): Promise<number> {
  const settings = await lightConfig(flags, out);
  const approver = resolveActor(flags.by);
  const w = await wire({ storeUrl: settings.storeUrl, root: settings.root });
  const { store } = w;
  try {
    const row = await store.getDeployment(id);
    if (!row || row.app !== settings.app) throw new NotFound(`no deployment ${id} of ${settings.app} (see shipgate status)`);
    if (isTerminal(row.status)) throw new UsageError(`deployment ${id} already ended (${row.status}); nothing to approve`);
    const rule = row.meta.approval as ApprovalGateConfig | undefined;
    if (!rule) throw new UsageError(`deployment ${id} is not waiting for approval (it is ${row.status}${row.currentStage ? ` in stage ${row.currentStage}` : ''})`);
    const refused = checkApprover(rule, approver, row.triggeredBy);
    if (refused) throw new UsageError(refused);
    const existing = await store.listApprovals(id);
    if (existing.some((a) => a.approver === approver)) {
      out.line(`${approver} already approved ${id}`);
      return EXIT.ok;
    }
    const comment = flags.comment ?? null;
    await store.addApproval({ deploymentId: id, approver, comment, at: new Date().toISOString() });
    await w.journal(eventContext(row), settings.masker).append('approval:added', { deploymentId: id, approver, comment });
    if (out.json) out.result({ deployment_id: id, approver, comment, approvals: existing.length + 1, required: rule.required });
    else out.line(`approved ${id} (${row.version} to ${row.environment}) as ${approver}: ${existing.length + 1} of ${rule.required} approval(s)`);
    return EXIT.ok;
  } finally {
    await w.close();
  }
}
