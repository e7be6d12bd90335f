import { humanDuration } from '../../config/duration.js';
import type { ExitInfo } from './spawn.js';

/** Why instances did not come up: the words of InstancesFailed and of the agent log. Pure. */

/** Log lines quoted in a failure message. */
export const FAILURE_LOG_LINES = 10;

export interface StartFailure {
  id: string;
  /** `exited with code 3 before it was ready`, `was not ready within 30s (...)`. */
  reason: string;
  /** The last lines the instance wrote in its failed run. */
  logTail: string[];
  /** Stopped by the supervisor (another instance failed first, or the start was cancelled): not a failure of its own. */
  stopped?: boolean;
}

/** `exited with code 3`, `was killed by SIGKILL`, `could not start: spawn ./app ENOENT`. */
export function exitReason(exit: ExitInfo): string {
  if (exit.error !== undefined) return `could not start: ${exit.error}`;
  if (exit.code !== null) return `exited with code ${exit.code}`;
  if (exit.signal !== null) return `was killed by ${exit.signal}`;
  // An adopted process is not our child: its exit status cannot be known.
  return 'exited';
}

export function notReadyReason(graceMs: number, lastProbe: string | null): string {
  return `was not ready within ${humanDuration(graceMs)}${lastProbe ? ` (last probe: ${lastProbe})` : ''}`;
}

/**
 * `1 of 2 instances of v1.2.0 did not come up:` then one entry per failed
 * instance with the last lines of its log.
 */
export function startFailureMessage(version: string, count: number, failures: StartFailure[]): string {
  const own = failures.filter((f) => !f.stopped);
  const lines = [`${own.length} of ${count} instance${count === 1 ? '' : 's'} of ${version} did not come up:`];
  for (const f of own) {
    if (f.logTail.length === 0) {
      lines.push(`  ${f.id} ${f.reason} (it wrote nothing to its log)`);
      continue;
    }
    lines.push(`  ${f.id} ${f.reason}; last lines of its log:`, ...f.logTail.map((l) => `    | ${l}`));
  }
  lines.push(`(shipgate logs --version ${version} shows more)`);
  return lines.join('\n');
}
