import { endGroup } from '../runtime/process-group.js';
import type { DeploymentRow } from '../store/contract.js';
import type { BaseContext } from './context.js';

interface StartedGroup {
  pgid: number;
  start: string | null;
  stage: string | null;
  command: string;
}

/** Pure: the process groups a deployment's journal says it started. */
export function startedGroups(events: readonly { type: string; stage: string | null; data: Record<string, unknown> }[]): StartedGroup[] {
  return events
    .filter((e) => e.type === 'process:started' && typeof e.data.pgid === 'number')
    .map((e) => ({ pgid: e.data.pgid as number, start: (e.data.start as string | null) ?? null, stage: e.stage, command: String(e.data.command ?? '') }));
}

/**
 * Ends every command a dead run of this deployment left running, before anything
 * is undone or re-run: a deploy script that finished after the undo would put the
 * new version back while `status` says the old one is live. Each group is checked
 * against its journaled start token, so a reused pid is never signalled. Only
 * runs that ran on this host can be reached.
 */
export async function endOrphanedCommands(base: BaseContext, row: DeploymentRow, host: string): Promise<void> {
  const groups = startedGroups(await base.store.listEvents(base.facts.id));
  if (row.meta.host !== undefined && row.meta.host !== host) {
    if (groups.length > 0) {
      const message = `the dead run ran on ${String(row.meta.host)}, not here (${host}): commands it started there (${groups.map((g) => `${g.command}, process group ${g.pgid}`).join('; ')}) cannot be ended from here; if one is still running on that host, it may change the target after this recovery`;
      await base.journal.append('deploy:warning', { deploymentId: base.facts.id, message });
    }
    return;
  }
  for (const g of groups) {
    const ending = await endGroup(g.pgid, g.start, { clock: base.clock });
    if (ending === 'SIGTERM' || ending === 'SIGKILL') {
      await base.journal.append('process:ended', { deploymentId: base.facts.id, stage: g.stage, pgid: g.pgid, command: g.command, signal: ending });
    }
  }
}
