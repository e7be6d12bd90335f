import { readFileSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { writePrivateFile } from '../../runtime/private-files.js';
import type { AgentRollout, RouterOptions, VersionSpec } from '../contract.js';
import type { AdoptRecord } from '../supervisor/index.js';

/**
 * What the agent keeps on disk so that a restarted agent can re-adopt its
 * instances. Environment values are NOT written (they may hold secrets): only
 * their names. A handover to a new agent passes the full state in memory.
 */
export interface PersistedState {
  format: 1;
  app: string | null;
  listen: string | null;
  router: RouterOptions | null;
  weights: Record<string, number>;
  specs: (Omit<VersionSpec, 'env'> & { envNames: string[] })[];
  instances: AdoptRecord[];
  warmUntil: Record<string, string>;
  rollout: AgentRollout | null;
}

/** The in-memory state handed to a successor (with env values). */
export interface HandoverState extends Omit<PersistedState, 'specs'> {
  specs: VersionSpec[];
}

export function toPersisted(s: HandoverState): PersistedState {
  return { ...s, specs: s.specs.map(({ env, ...rest }) => ({ ...rest, envNames: Object.keys(env) })) };
}

export async function writeState(path: string, s: HandoverState): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writePrivateFile(tmp, `${JSON.stringify(toPersisted(s), null, 2)}\n`);
  await rename(tmp, path);
}

export interface RestoredState {
  state: HandoverState;
  /** Versions whose environment had values that were not written to disk: their instances cannot be restarted by this agent. */
  incomplete: Set<string>;
}

/** The last persisted state, or null. Specs come back without env values. */
export function readState(path: string): RestoredState | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const p = JSON.parse(text) as PersistedState;
  if (p.format !== 1) return null;
  const incomplete = new Set(p.specs.filter((s) => s.envNames.length > 0).map((s) => s.version));
  return { state: { ...p, specs: p.specs.map(({ envNames: _names, ...rest }) => ({ ...rest, env: {} })) }, incomplete };
}
