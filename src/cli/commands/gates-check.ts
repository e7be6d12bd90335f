import type { LoadedConfig } from '../../config/load.js';
import { UsageError } from '../../errors.js';
import { checkGates } from '../../pipeline/gate-check.js';
import { resolveActor } from '../../runtime/actor.js';
import { fullConfig, gitFacts } from '../pipeline-context.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalOptions, Output } from '../output.js';

export interface GatesCheckFlags extends GlobalOptions {
  version?: string;
  at?: string;
  sha?: string;
  actor?: string;
  emergency?: boolean;
  reason?: string;
  rollback?: boolean;
}

/** Parses `--at`: an ISO-8601 instant with an offset or Z. */
export function parseAt(value: string | undefined): number | null {
  if (value === undefined) return null;
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new UsageError(`--at: expected an ISO time with a zone, like 2026-11-23T09:00:00-08:00 or 2026-11-23T17:00:00Z (got "${value}")`);
  return ms;
}

/** The live version and its commit (the secrets gate scans the commits since it). */
async function liveVersion(loaded: LoadedConfig): Promise<{ version: string; sha: string | null } | null> {
  const { openExistingStore } = await import('../../store/index.js');
  const store = await openExistingStore(loaded.config.store.url, { root: loaded.root });
  if (!store) return null;
  try {
    const live = await store.lastSucceeded(loaded.config.app, loaded.environment);
    return live ? { version: live.version, sha: live.gitSha } : null;
  } finally {
    await store.close();
  }
}

/** `shipgate gates check`: evaluates every gate without deploying; exit 3 when one blocks. */
export async function gatesCheckCommand(versionArg: string | undefined, flags: GatesCheckFlags, out: Output): Promise<number> {
  const version = flags.version ?? versionArg;
  if (!version) throw new UsageError('gates check needs --version V');
  if (flags.emergency && !flags.reason?.trim()) throw new UsageError('--emergency needs --reason "why this cannot wait"');
  const at = parseAt(flags.at);
  const loaded = await fullConfig(flags, out);
  const actor = resolveActor(flags.actor);
  const { gitSha } = await gitFacts(loaded.root, { sha: flags.sha });
  const emergency = flags.emergency ? { by: actor, reason: flags.reason!.trim() } : null;
  const live = loaded.config.gates.secrets && loaded.config.gates.secrets.commits ? await liveVersion(loaded) : null;
  const results = await checkGates(loaded, { version, actor, gitSha, emergency, at, kind: flags.rollback ? 'rollback' : 'deploy', live });
  const blocked = results.some((r) => r.result === 'block');
  if (out.json) {
    out.result({ app: loaded.config.app, environment: loaded.environment, version, at: at === null ? null : new Date(at).toISOString(), allowed: !blocked, gates: results });
  } else {
    out.line(`gates for ${version} to ${loaded.config.app}/${loaded.environment}${at === null ? '' : ` at ${new Date(at).toISOString()}`}:`);
    for (const r of results) out.line(`  ${r.name.padEnd(9)} ${r.result.padEnd(10)} ${r.reason}`);
    out.line(blocked ? 'blocked' : 'allowed');
  }
  return blocked ? EXIT.blocked : EXIT.ok;
}
