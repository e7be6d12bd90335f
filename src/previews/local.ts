import { rmSync } from 'node:fs';
import { stopAgent } from '../agent/lifecycle.js';
import { agentStateDir } from '../agent/paths.js';
import type { Clock } from '../runtime/clock.js';

/** Stops the preview environment's agent (router and instances) and removes its folder; false when none ran. */
export async function removeLocalPreview(root: string, environment: string, clock: Clock): Promise<boolean> {
  const dir = agentStateDir(root, environment);
  const pid = await stopAgent(dir, false, clock);
  rmSync(dir, { recursive: true, force: true });
  return pid !== null;
}
