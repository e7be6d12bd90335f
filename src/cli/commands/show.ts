import { parseDuration } from '../../config/duration.js';
import { NotFound } from '../../errors.js';
import { buildRecord, type DeploymentRecord } from '../../pipeline/record.js';
import { ackCommand } from '../../pipeline/stop-sign.js';
import { lightConfig } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalOptions, Output } from '../output.js';
import { describeEvent } from '../render/describe-event.js';
import type { JournaledEvent } from '../../pipeline/events.js';
import { openStore } from '../../store/index.js';

export interface ShowFlags extends GlobalOptions {
  events?: boolean;
}

/** `shipgate show <id>`: the deployment record (built from the journal if the run never finished). */
export async function showCommand(id: string, flags: ShowFlags, out: Output): Promise<number> {
  const settings = await lightConfig(flags, out);
  const store = await openStore(settings.storeUrl, { root: settings.root });
  try {
    const row = await store.getDeployment(id);
    if (!row || row.app !== settings.app) throw new NotFound(`no deployment ${id} of ${settings.app} (see shipgate history)`);
    const events = await store.listEvents(id);
    const stored = (await store.getRecord(id)) as DeploymentRecord | undefined;
    const window = parseDuration(settings.rollbackWindow) ?? 3_600_000;
    const record = settings.masker.maskValue(stored ?? buildRecord({ row, events, rollbackWindowMs: window, services: [row.app] }));
    if (out.json) {
      out.result(flags.events ? { ...record, events } : record);
      return EXIT.ok;
    }
    printRecord(record, out);
    if (flags.events) {
      out.line('');
      out.line('journal:');
      for (const e of events) {
        const text = describeEvent({ ...(e.data as object), type: e.type, at: e.at } as JournaledEvent, true);
        if (text) for (const line of text.split('\n')) out.line(`  ${e.at.slice(11, 23)} ${line}`);
      }
    }
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

function printRecord(r: DeploymentRecord, out: Output): void {
  const kv = (k: string, v: unknown): void => out.line(`${k.padEnd(18)} ${v === null || v === undefined ? '-' : String(v)}`);
  kv('deployment', `${r.deployment_id} (${r.kind})`);
  kv('app/environment', `${r.app}/${r.environment}`);
  kv('version', `${r.version}${r.previous_version ? ` (previous ${r.previous_version})` : ''}`);
  kv('status', r.status);
  kv('triggered by', r.triggered_by);
  kv('reason', r.reason);
  kv('git', [r.git_sha, r.git_ref].filter(Boolean).join(' ') || null);
  kv('started', r.started_at);
  kv('finished', r.finished_at);
  kv('duration', r.duration_seconds === null ? null : `${r.duration_seconds}s`);
  if (r.rollback_of) kv('rollback of', r.rollback_of);
  if (r.emergency) kv('emergency', `by ${r.emergency.by}: ${r.emergency.reason}`);
  if (r.forced) kv('forced', 'past the rollback window');
  kv('rollback', r.rollback_available ? `available until ${r.rollback_deadline}` : 'not available');
  if (r.error) kv('error', r.error);
  if (r.status === 'rollback_failed') kv('acknowledged', r.acknowledged ? `by ${r.acknowledged.by} at ${r.acknowledged.at}: ${r.acknowledged.reason}` : `NOT YET: no deploy or rollback of ${r.environment} starts until ${ackCommand(r.deployment_id)}`);
  for (const w of r.warnings ?? []) kv('warning', w);
  out.line('gates:');
  for (const g of r.gates) out.line(`  ${g.name.padEnd(9)} ${g.result.padEnd(10)} ${g.reason}`);
  out.line('stages:');
  for (const s of r.stages) out.line(`  ${s.name.padEnd(9)} ${s.status.padEnd(12)} ${s.duration_seconds ?? '-'}s${s.undo ? `  undo: ${s.undo}` : ''}${s.error ? `  ${s.error}` : ''}`);
  const checks = Object.entries(r.health_checks);
  if (checks.length > 0) out.line(`health:            ${checks.map(([k, v]) => `${k}=${v}`).join(', ')}`);
}
