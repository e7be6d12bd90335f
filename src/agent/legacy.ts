import { existsSync } from 'node:fs';
import { UsageError } from '../errors.js';
import type { AgentStatus } from './contract.js';
import { agentStatus } from './lifecycle.js';
import { legacyAgentPaths } from './paths.js';

/**
 * An agent of the layout before per-environment agents: it runs from
 * `.shipgate/agent/` itself and keeps one weight table for every environment of
 * the project (a staging deploy could move production's traffic). A new agent
 * cannot take it over (it does not know which environment it served), so every
 * command that would start an agent stops and says how to retire it.
 */
export async function findLegacyAgent(root: string): Promise<AgentStatus | null> {
  const paths = legacyAgentPaths(root);
  if (!existsSync(paths.socket)) return null;
  return agentStatus(paths);
}

/** One paragraph: what runs, why it is a problem, what to do. */
export function legacyAgentMessage(s: Pick<AgentStatus, 'pid' | 'listen'>, root: string): string {
  const where = legacyAgentPaths(root).socket;
  const router = s.listen ? `, router on ${s.listen}` : '';
  return (
    `an agent of an older shipgate still runs for this project (pid ${s.pid}, ${where}${router}): it keeps one weight table for every environment. ` +
    `Each environment now has an agent of its own under .shipgate/agent/<environment>/. Stop the old one once with "shipgate agent stop --legacy" ` +
    `(its instances stop with it${s.listen ? `, so ${s.listen} answers nothing until the next deploy` : ''}), then deploy again.`
  );
}

/** Throws a UsageError naming the old agent when one answers. */
export async function refuseLegacyAgent(root: string): Promise<void> {
  const legacy = await findLegacyAgent(root);
  if (legacy) throw new UsageError(legacyAgentMessage(legacy, root));
}
