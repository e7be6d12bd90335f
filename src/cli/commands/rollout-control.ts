import { AgentUnavailable } from '../../agent/client.js';
import { clientFor } from '../../agent/lifecycle.js';
import { agentPaths } from '../../agent/paths.js';
import type { RolloutCommand } from '../../rollout/contract.js';
import { UsageError } from '../../errors.js';
import { agentDirOf } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalOptions, Output } from '../output.js';

const DONE: Record<RolloutCommand, string> = {
  promote: 'promoted: the current step ends now',
  'promote-full': 'promoted to 100%',
  abort: 'abort requested: traffic returns to stable and the deployment is undone',
  pause: 'paused: analysis continues; `shipgate resume` continues the steps',
  resume: 'resumed',
};

/** `shipgate promote [--full] | abort | pause | resume`: steers the rollout in progress. */
export async function rolloutCommand(command: RolloutCommand, flags: GlobalOptions, out: Output): Promise<number> {
  const { dir, providerType } = await agentDirOf(flags, out);
  if (providerType !== null && providerType !== 'local') throw new UsageError(noSessionMessage(command, providerType));
  try {
    const r = await clientFor(agentPaths(dir)).command(command);
    if (out.json) out.result({ rollout: r.id, candidate: r.candidate, command });
    else out.line(`${r.candidate} (${r.id}): ${DONE[command]}`);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof AgentUnavailable) throw new UsageError('no rollout is in progress: the agent is not running');
    throw new UsageError((err as Error).message);
  }
}

/** A provider without a rollout session (Fly.io, command scripts) cannot be steered mid-rollout: say so, and what works instead. */
export function noSessionMessage(command: RolloutCommand, providerType: string): string {
  const name = command === 'promote-full' ? 'promote --full' : command;
  return `provider type ${providerType} has no rollout session, so \`shipgate ${name}\` cannot steer its rollout (only provider type local has one); stop a rollout in progress with Ctrl-C, which undoes it`;
}
