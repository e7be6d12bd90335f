import { join } from 'node:path';
import { ensurePrivateDir, writePrivateFile } from '../runtime/private-files.js';
import { NotFound, UsageError } from '../errors.js';
import type { Clock } from '../runtime/clock.js';
import type { Masker } from '../runtime/secrets.js';
import type { AcknowledgementRow, Store } from '../store/contract.js';
import type { EventContext } from './events.js';
import { eventContext, type Journal } from './journal.js';

export interface AcknowledgeRequest {
  deploymentId: string;
  /** Who looked (actor name). */
  by: string;
  /** What they found and did: required, recorded. */
  reason: string;
}

export interface AcknowledgeResult {
  acknowledgement: AcknowledgementRow;
  /** True when someone had acknowledged it before (nothing was changed). */
  already: boolean;
}

export interface AcknowledgeDeps {
  store: Store;
  clock: Clock;
  masker: Masker;
  /** The journal of a deployment (wired like every other: see wiring.ts). */
  journal: (context: EventContext) => Journal;
  /** `.shipgate/records`: the record file is rewritten with the acknowledgement. */
  recordsDir: string;
}

/**
 * `shipgate ack <id> --reason "…"`: a person says they have looked at a
 * `rollback_failed` deployment and put the target right. Stored, journaled
 * (`deploy:acknowledged`) and added to the record; the environment may deploy again.
 */
export async function acknowledgeFailure(app: string, req: AcknowledgeRequest, deps: AcknowledgeDeps): Promise<AcknowledgeResult> {
  const reason = req.reason.trim();
  if (!reason) throw new UsageError('--reason: say what you found and did (it is recorded with your name)');
  const row = await deps.store.getDeployment(req.deploymentId);
  if (!row || row.app !== app) throw new NotFound(`no deployment ${req.deploymentId} of ${app} (see shipgate history)`);
  if (row.status !== 'rollback_failed') throw new UsageError(`deployment ${row.id} is ${row.status}, not rollback_failed: there is nothing to acknowledge`);
  const ack: AcknowledgementRow = { deploymentId: row.id, by: req.by, reason: deps.masker.mask(reason), at: new Date(deps.clock.now()).toISOString() };
  if (!(await deps.store.acknowledge(ack))) {
    const [earlier] = await deps.store.listAcknowledgements([row.id]);
    return { acknowledgement: earlier ?? ack, already: true };
  }
  await deps.journal(eventContext(row)).append('deploy:acknowledged', { deploymentId: row.id, by: ack.by, reason: ack.reason });
  await addToRecord(ack, deps);
  return { acknowledgement: ack, already: false };
}

/** The stored record and its file gain `acknowledged` (a record rebuilt from the journal has it too). */
async function addToRecord(ack: AcknowledgementRow, deps: AcknowledgeDeps): Promise<void> {
  const stored = await deps.store.getRecord(ack.deploymentId);
  if (!stored) return;
  const record = { ...stored, acknowledged: { by: ack.by, reason: ack.reason, at: ack.at } };
  await deps.store.saveRecord(ack.deploymentId, record);
  ensurePrivateDir(deps.recordsDir);
  await writePrivateFile(join(deps.recordsDir, `${ack.deploymentId}.json`), `${JSON.stringify(record, null, 2)}\n`);
}
