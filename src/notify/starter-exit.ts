/**
 * The background sender's first step, taken by the CLI's entry before it loads the CLI: it
 * waits while the command that started it is alive, so that its loading (modules, config,
 * store) takes no CPU from that command's run or exit. It imports nothing but `node:` modules.
 */
import { isAlive as isRunning } from '../runtime/process-identity.js';

/** The pid of the command that started a background sender: it begins its work once that one has exited. */
export const AFTER_PID_ENV = 'SHIPGATE_NOTIFY_AFTER_PID';
/** Longest wait for that command (a rollout with long pauses included); past it, the sender starts anyway (claims keep the two from sending a row twice). */
export const STARTER_MAX_WAIT_MS = 24 * 60 * 60_000;
const POLL_MS = 20;

/** Waits while the process named by {@link AFTER_PID_ENV} lives (no wait when it is unset or gone). */
export async function waitForStarterExit(env: NodeJS.ProcessEnv = process.env, maxMs = STARTER_MAX_WAIT_MS): Promise<void> {
  const pid = Number(env[AFTER_PID_ENV]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  const until = Date.now() + maxMs;
  while (isAlive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, POLL_MS));
}

/** `pid` runs (a zombie does not): the lock holders' check, without a start token. */
export function isAlive(pid: number): boolean {
  return isRunning(pid, null);
}
