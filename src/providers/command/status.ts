import { toMs } from '../../config/duration.js';
import type { LoadedConfig } from '../../config/load.js';
import { toArgv } from '../../config/schema/index.js';
import { describeRunFailure, type Runner } from '../../runtime/process.js';
import { scriptCwd, scriptEnvOf } from './command-provider.js';

/** A status script may run this long at most (less when provider.timeout is shorter). */
export const STATUS_TIMEOUT_MS = 30_000;
/** Lines of its output kept (the last ones). */
export const STATUS_LINES = 20;

export interface TargetStatus {
  ok: boolean;
  /** Its output (stdout and stderr, in order), masked; the last STATUS_LINES lines. */
  output: string[];
  /** Why it failed, masked; null when it exited 0. */
  error: string | null;
  /** Who answered: the status script (the default) or the Fly.io Machines API. */
  source?: 'script' | 'fly';
}

/**
 * Runs `provider.status` of a command provider: what the target itself says is
 * live. It gets the documented script environment, with `SHIPGATE_VERSION` set to
 * the version shipgate last deployed there. Null when there is no status script.
 */
export async function runStatusScript(loaded: LoadedConfig, live: { version: string; id: string } | null, run: Runner): Promise<TargetStatus | null> {
  const provider = loaded.config.provider;
  if (provider.type !== 'command' || provider.status === undefined) return null;
  const argv = toArgv(provider.status);
  const output: string[] = [];
  const timeoutMs = Math.min(STATUS_TIMEOUT_MS, toMs(provider.timeout));
  const result = await run({
    argv,
    cwd: scriptCwd(provider, loaded.root),
    env: {
      ...(provider.env ?? {}),
      ...scriptEnvOf({ app: loaded.config.app, environment: loaded.environment, version: live?.version ?? null, previous: null, deploymentId: live?.id ?? null, releaseDir: null }),
    },
    timeoutMs,
    onLine: (line) => {
      output.push(loaded.masker.mask(line));
      if (output.length > STATUS_LINES) output.shift();
    },
  });
  if (result.exitCode === 0) return { ok: true, output, error: null };
  return { ok: false, output, error: loaded.masker.mask(`${argv.join(' ')} ${describeRunFailure(result, timeoutMs)}`) };
}
