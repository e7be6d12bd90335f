import type { RecordedLive } from './records-evidence.js';

/**
 * Pure judgements of what the store says against what outlives it: the records
 * folder, the agent's weights, the output of a `provider.status` script. Each
 * returns one sentence for a person, or null when there is nothing to say.
 */

/** Where the store's idea of what is live stands against the records folder. */
export interface StoreDoubt {
  /** `lost`: the store knows no live deployment at all; `behind`: the records know a later one (an older copy was put back). */
  kind: 'lost' | 'behind';
  /** What the records say went live last. */
  recorded: RecordedLive;
  message: string;
}

export function judgeStore(storeLive: { id: string; version: string } | null, recorded: RecordedLive | null, where: string): StoreDoubt | null {
  if (!recorded) return null;
  const evidence = `${recorded.path} says ${recorded.version} went live there (${recorded.deploymentId}${recorded.finishedAt ? `, ${recorded.finishedAt}` : ''})`;
  if (!storeLive) {
    return { kind: 'lost', recorded, message: `the store has no successful deployment of ${where}, but ${evidence}: the store looks lost or replaced` };
  }
  if (recorded.deploymentId > storeLive.id) {
    return { kind: 'behind', recorded, message: `the store's last live deployment of ${where} is ${storeLive.id} (${storeLive.version}), but ${evidence}, later: the store looks replaced by an older copy` };
  }
  return null;
}

/** The store's live version against the version the local router sends most traffic to. */
export function agentDisagreement(storeLive: string | null, routed: string | null, where: string): string | null {
  if (storeLive === routed) return null;
  if (routed === null) return `the store says ${storeLive} is live in ${where}, but the router sends no traffic to any version`;
  if (storeLive === null) return `the store has no successful deployment of ${where}, but the router serves ${routed}: the store looks lost or replaced`;
  return `the store says ${storeLive} is live in ${where}, but the router sends most traffic to ${routed}`;
}

/** Tokens of text that could be versions (the characters a version may use). */
function tokens(lines: readonly string[]): Set<string> {
  return new Set(lines.join('\n').split(/[^A-Za-z0-9._+-]+/).map((t) => t.replace(/[.]+$/, '')).filter(Boolean));
}

/**
 * What a `provider.status` script printed against the store. The script's output
 * is free text, so only an honest, narrow claim is made: when it names a version
 * shipgate has deployed there but not the one the store says is live. Output that
 * names no known version proves nothing either way.
 */
export function statusScriptDisagreement(output: readonly string[], storeLive: string | null, known: readonly string[], where: string): string | null {
  if (storeLive === null) return null;
  const said = tokens(output);
  if (said.has(storeLive)) return null;
  const named = known.filter((v) => v !== storeLive && said.has(v));
  if (named.length === 0) return null;
  return `the store says ${storeLive} is live in ${where}, but the target's status script names ${named.join(', ')}`;
}
