/**
 * Pure: what a process about to exit does with deliveries it has not finished. It waits a
 * short grace for those under way, then hands everything still pending to a detached
 * background sender (`shipgate notify flush`), which sends it with the usual timeouts and
 * retries for a bounded time. The claims (a lease per attempt) keep that sender, `serve`
 * and the next command from sending a row at once.
 */

/**
 * How long a delivery under way at exit may take in all, counted from its start: a receiver
 * that answers at all (a webhook, Slack) answers within it, and is not sent a duplicate. One
 * that has not answered by then is cut off and sent again by the background sender; one to a
 * channel already seen hanging is cut off at once (see {@link exitWait}).
 */
export const DEFAULT_NOTIFY_EXIT_WAIT_MS = 250;
/** Longest wait at exit for the cut-off deliveries' releases to be written. */
export const RELEASE_WAIT_MS = 1_000;
/** How long the background sender keeps retrying; what is left waits for the next command or `serve`. */
export const DEFAULT_BACKGROUND_SEND_MS = 5 * 60_000;
/** Shortest sleep of the background sender between two passes over the outbox. */
export const MIN_WAKE_MS = 100;

/** An attempt under way at exit: its row, its channel and its start (clock ms). */
export interface AttemptUnderWay {
  id: string;
  channel: string;
  startedAt: number;
}

/** What this process has seen of each channel. */
export interface ChannelHistory {
  /** Channels on which an attempt timed out. */
  stalled: ReadonlySet<string>;
  /** Channels that answered an attempt (a success, or an error status): they are known to answer. */
  answered: ReadonlySet<string>;
}

/**
 * Which attempts under way the exit waits for, and for how long at most: until the newest
 * is `graceMs` old. Only a channel that has answered in this process is waited for, and
 * not once it has shown it hangs (an attempt timed out on it, or one is under way for
 * longer than the grace): a channel that never answered adds nothing to the exit (its
 * attempt goes to the background sender), and a healthy one is not cut off mid-answer
 * (which would send it a duplicate).
 */
export function exitWait(attempts: readonly AttemptUnderWay[], seen: ChannelHistory, now: number, graceMs: number): { ms: number; ids: string[] } {
  const stalledNow = new Set([...seen.stalled, ...attempts.filter((a) => now - a.startedAt >= graceMs).map((a) => a.channel)]);
  const waited = attempts.filter((a) => seen.answered.has(a.channel) && !stalledNow.has(a.channel));
  if (waited.length === 0) return { ms: 0, ids: [] };
  return { ms: Math.max(0, Math.max(...waited.map((a) => a.startedAt)) + graceMs - now), ids: waited.map((a) => a.id) };
}

/**
 * When the background sender looks again, given when its pending rows are due (ms);
 * null when nothing is pending or nothing falls due before `until` (it exits then).
 */
export function nextWakeMs(due: readonly number[], now: number, until: number): number | null {
  if (due.length === 0) return null;
  const first = Math.min(...due);
  if (first >= until) return null;
  return Math.max(MIN_WAKE_MS, first - now);
}

/** How long the shell waits at most for the command that started it to exit (node then waits for a zombie starter too). */
export const STARTER_EXIT_WAIT_MS = 3_000;
const STARTER_POLL_S = 0.02;

/**
 * The shell that starts a background sender at exit: it waits (at most
 * {@link STARTER_EXIT_WAIT_MS}) while the command that started it is alive, then replaces itself
 * with node (same pid). Node's start-up would otherwise take a core from that command's exit.
 * The script is fixed; the pid and the argv are its positional parameters.
 */
export const WAIT_THEN_EXEC_SCRIPT = `i=0; while [ "$i" -lt ${Math.round(STARTER_EXIT_WAIT_MS / 1000 / STARTER_POLL_S)} ] && kill -0 "$1" 2>/dev/null; do sleep ${STARTER_POLL_S}; i=$((i+1)); done; shift; exec "$@"`;

/**
 * The argv of the background sender: the same CLI entry, config file and environment as the
 * process handing over (secrets reach it through the environment, never here). At exit
 * (`shell`) it is started through {@link WAIT_THEN_EXEC_SCRIPT}; a stand-by started during a run
 * (`node`) is node at once, whose entry waits for `starterPid` before loading the CLI.
 */
export function handOffArgv(node: string, entry: string, configPath: string, environment: string, starterPid: number, start: 'shell' | 'node'): string[] {
  const argv = [node, entry, 'notify', 'flush', '--config', configPath, '--env', environment];
  return start === 'node' ? argv : ['/bin/sh', '-c', WAIT_THEN_EXEC_SCRIPT, 'shipgate-notify-flush', String(starterPid), ...argv];
}
